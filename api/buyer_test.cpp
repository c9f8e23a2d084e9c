// The buyer test tool's route (issue 14, C7):
//   POST /admin/campaigns/{id}/buyers/{buyer_id}/test   a saved buyer
//   POST /admin/campaigns/{id}/buyers/test              an unsaved buyer document ("buyer")
// Body (all optional but "buyer" for the second): {"lead": {field: value}, "dry_run": true,
// "buyer": {...}}. Answers every request as rendered, each response with its timing, and how the
// buyer's mapping reads it. Nothing is stored, counted or held.
#include "engine/buyer_test.h"

#include <boost/json.hpp>

#include "api/router.h"
#include "config/document.h"
#include "core/json_writer.h"
#include "core/text.h"

namespace pp::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

void write_headers(JsonWriter& w, const buyers::Headers& h) {
  w.begin_object();
  for (const auto& [k, v] : h) w.kv(k, v);
  w.end_object();
}

void write_step(JsonWriter& w, const std::optional<engine::BuyerTestStep>& s) {
  if (!s) {
    w.null();
    return;
  }
  w.begin_object();
  w.key("request").begin_object();
  w.kv("method", s->request.method).kv("url", s->request.url);
  w.key("headers");
  write_headers(w, s->request.headers);
  w.kv("body", s->request.body);
  w.end_object();
  w.key("response");
  if (!s->response) {
    w.null();
  } else {
    const buyers::HttpResult& r = *s->response;
    w.begin_object();
    w.kv("status", int64_t(r.status));
    w.key("headers");
    write_headers(w, r.headers);
    w.kv("body", r.body);
    w.key("time_ms").fixed(double(r.elapsed_us) / 1000.0, 2);
    if (r.ok())
      w.key("error").null();
    else
      w.kv("error", std::string(buyers::to_string(r.error)) +
                        (r.error_message.empty() ? "" : ": " + r.error_message));
    w.end_object();
  }
  w.key("outcome");
  if (!s->outcome) {
    w.null();
  } else {
    const buyers::MappedResponse& m = *s->outcome;
    w.begin_object();
    w.kv("result", to_string(m.verdict));
    w.key("price");
    if (m.price)
      w.value(*m.price);
    else
      w.null();
    w.kv("reason", m.reason)
        .kv("redirect_url", m.redirect_url)
        .kv("buyer_lead_id", m.buyer_lead_id);
    w.end_object();
  }
  w.end_object();
}

}  // namespace

asio::awaitable<Response> Router::admin_buyer_test(const Request& req, buyers::Transport& transport,
                                                   const ApiTokenConfig& token) {
  if (req.method != "POST") co_return error_response(405, "Use POST");
  if (!token.may_change())
    co_return error_response(403, "Forbidden: this token cannot call buyers");
  // /admin/campaigns/{id}/buyers[/{buyer_id}]/test
  std::vector<std::string_view> seg = split(std::string_view(req.path).substr(7), "/");
  if (seg.size() < 4 || seg.size() > 5 || seg[0] != "campaigns" || seg[2] != "buyers")
    co_return error_response(404, "Not found");
  auto cid = parse_int(seg[1]);
  std::optional<int64_t> bid;
  if (seg.size() == 5) bid = parse_int(seg[3]);
  if (!cid || (seg.size() == 5 && !bid)) co_return error_response(404, "Not found");
  if (!token.sees(*cid)) co_return error_response(404, "Campaign not found");

  json::object body;
  if (!trim(req.body).empty()) {
    std::string err;
    auto v = config::parse(req.body, err);
    if (!v || !v->is_object()) co_return error_response(400, "The body must be a JSON object");
    body = std::move(v->as_object());
  }
  const bool dry_run = config::flag_of(body, "dry_run");

  // The snapshot the buyer lives in: the current one, or a trial one with the unsaved buyer.
  engine::SnapshotPtr snap = engine_.snapshot();
  config::EntityRef ref{config::EntityKind::kBuyer, *cid, bid.value_or(0), {}};
  if (!bid) {
    const json::value* doc = body.if_contains("buyer");
    if (doc == nullptr || !doc->is_object())
      co_return error_response(400, "Invalid body",
                               {{"buyer", "an unsaved buyer document is required"}});
    json::value buyer = *doc;
    engine::ConfigState st = config_->current();
    if (config::get_entity(*st.document, {config::EntityKind::kCampaign, 0, *cid, {}}) == nullptr)
      co_return error_response(404, "Campaign not found");
    if (!buyer.as_object().contains("id"))
      buyer.as_object()["id"] = config::next_entity_id(*st.document, config::EntityKind::kBuyer);
    ref.id = config::int_of(buyer.as_object().if_contains("id"));
    // Validating a whole configuration takes a while on large ones: off the I/O thread.
    engine::ChangeResult problems;
    engine::SnapshotPtr trial;
    co_await on_report_thread([&] {
      json::object doc_with_buyer = *st.document;
      config::set_entity(doc_with_buyer, ref, &buyer);
      trial = config_->trial(doc_with_buyer, ref, problems);
      return Response{};
    });
    if (!trial) co_return error_response(400, problems.message, problems.details);
    snap = std::move(trial);
  }
  const CampaignConfig* campaign = snap->config().find_campaign(*cid);
  if (campaign == nullptr || campaign->archived)
    co_return error_response(404, "Campaign not found");
  const BuyerConfig* b = campaign->find_buyer(ref.id);
  const engine::CompiledBuyer* cb = snap->buyer(ref.id);
  if (b == nullptr || b->archived || cb == nullptr)
    co_return error_response(404, "Buyer not found");

  // The sample lead: the fields given (validated as a supplier's would be), the rest examples.
  FieldList given;
  if (const json::value* l = body.if_contains("lead")) {
    if (!l->is_object())
      co_return error_response(400, "Invalid body", {{"lead", "must be an object"}});
    for (const auto& [k, v] : l->as_object())
      given.emplace_back(std::string(k),
                         v.is_string() ? std::string(v.as_string()) : json::serialize(v));
  }
  std::vector<std::pair<std::string, std::string>> problems;
  FieldList fields = engine::sample_lead(*campaign, given, problems);
  if (!problems.empty()) co_return error_response(400, "Invalid sample lead", problems);

  engine::BuyerTestResult r = co_await engine::test_buyer(
      snap, *campaign, *cb, std::move(fields), dry_run, transport, engine_.clock().now_ms());
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.kv("campaign_id", int64_t(campaign->id)).kv("buyer_id", int64_t(ref.id));
  w.kv("saved", bid.has_value()).kv("dry_run", r.dry_run);
  w.key("lead").begin_object();
  for (const auto& [k, v] : r.lead) w.kv(k, v);
  w.end_object();
  w.key("ping");
  write_step(w, r.ping);
  w.key("post");
  write_step(w, r.post);
  w.kv("note", r.note);
  w.end_object();
  co_return json_response(200, std::move(out));
}

}  // namespace pp::api
