// The buyer pull API (issue 19, I3; seed 003's shape): a lead_store buyer fetches the leads it
// bought with its own key (campaigns' buyers[].pull.key):
//   GET /v1/leads?limit=100&cursor=cur_123&max_age_hours=72
//   -> {"status": "success", "total", "count", "next_cursor", "leads": [{id, created_at,
//       campaign_id, price, test, <the fields it may see>...}]}
// Leads come oldest first from the buyer's pull queue (storage's positions grow in the order
// leads are stored): the next call with next_cursor goes on exactly after the last lead returned,
// so no lead is skipped or repeated while others are stored. next_cursor is returned even when
// there are no leads yet (poll with it). Errors: {"status": "error", "error_code", "message"}
// (401 unauthorized, 400 invalid_params, 429 rate_limited with Retry-After).
#include "api/router.h"
#include "core/hash.h"
#include "core/json_writer.h"
#include "core/text.h"

namespace pp::api {

namespace {

Response v1_error(int status, std::string_view code, std::string_view message) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().kv("status", "error").kv("error_code", code).kv("message", message).end_object();
  return json_response(status, std::move(out));
}

struct PullBuyer {
  const CampaignConfig* campaign = nullptr;
  const BuyerConfig* buyer = nullptr;
};

// The buyer whose pull key was presented (compared in constant time against every key).
PullBuyer pull_buyer(const Request& req, const Config& cfg) {
  std::string_view h = trim(req.header("authorization"));
  PullBuyer found;
  if (!starts_with_icase(h, "bearer ")) return found;
  std::string_view key = trim(h.substr(7));
  if (key.empty() || key.size() > 512) return found;
  const std::string presented = sha256_hex(key);
  for (const auto& c : cfg.campaigns)
    for (const auto& b : c.buyers)
      if (b.pull && constant_time_equals(presented, b.pull->key_sha256) && !found.buyer &&
          !b.archived && !c.archived)
        found = {&c, &b};
  return found;
}

}  // namespace

Response Router::buyer_pull(const Request& req) {
  if (req.path != "/v1/leads") return v1_error(404, "not_found", "Not found");
  auto snap = engine_.snapshot();
  const Config& cfg = snap->config();
  PullBuyer who = pull_buyer(req, cfg);
  if (who.buyer == nullptr)
    return v1_error(401, "unauthorized", "API key missing, invalid or revoked");
  if (req.method != "GET") return v1_error(405, "method_not_allowed", "Use GET");
  const PullConfig& pc = *who.buyer->pull;
  const uint32_t per_minute =
      pc.rate_per_minute ? pc.rate_per_minute : cfg.jobs.pull_rate_per_minute;
  const int64_t wait_ms =
      engine_.rate_limiter().take("v1:" + std::to_string(who.buyer->id), engine_.clock().now_ms(),
                                  std::max<uint32_t>(1, per_minute / 60), per_minute);
  if (wait_ms > 0) {
    Response r = v1_error(429, "rate_limited", "Too many requests: wait Retry-After seconds");
    r.headers.emplace_back("Retry-After", std::to_string((wait_ms + 999) / 1000));
    return r;
  }
  int64_t limit = 100;
  if (auto l = req.query_param("limit"); !l.empty()) {
    auto n = parse_int(l);
    if (!n || *n < 1 || *n > 5000)
      return v1_error(400, "invalid_params", "limit must be 1 to 5000");
    limit = *n;
  }
  uint64_t after = 0;
  if (auto c = req.query_param("cursor"); !c.empty()) {
    auto n = c.starts_with("cur_") ? parse_int(std::string_view(c).substr(4)) : std::nullopt;
    if (!n || *n < 0)
      return v1_error(400, "invalid_params", "cursor is not a value this API returned");
    after = uint64_t(*n);
  }
  UnixMs oldest = 0;
  if (auto a = req.query_param("max_age_hours"); !a.empty()) {
    auto n = parse_int(a);
    if (!n || *n < 1) return v1_error(400, "invalid_params", "max_age_hours must be 1 or more");
    oldest = engine_.clock().now_ms() - *n * 3'600'000;
  }
  const int64_t total = engine_.store().pull_total(who.buyer->id);
  std::string leads;
  JsonWriter w(leads);
  w.begin_array();
  int64_t count = 0;
  uint64_t last = after;
  bool failed = false;
  storage::Status st =
      engine_.store().scan_pull(who.buyer->id, after, [&](uint64_t pos, std::string_view id) {
        auto lead = engine_.lookup_lead(id);
        if (lead.failed()) {
          failed = true;
          return false;
        }
        last = pos;  // a lead gone (or too old) is passed over, never returned later
        if (!lead.found() || lead.value->created_ms < oldest) return true;
        const Lead& l = *lead.value;
        Money price;
        for (const auto& o : l.buyers)
          if (o.buyer_id == who.buyer->id) price = o.sell_price;
        w.begin_object();
        w.kv("id", l.id);
        w.kv("created_at", format_iso_utc(l.created_ms));
        w.kv("campaign_id", int64_t(l.campaign_id));
        w.kv("price", price);
        w.kv("test", l.test);
        w.kv("returned", l.returned);
        for (const auto& [name, value] : l.fields) {
          if (name == "id" || name == "created_at" || name == "campaign_id" || name == "price" ||
              name == "test" || name == "returned")
            continue;
          if (!pc.fields.empty() &&
              std::find(pc.fields.begin(), pc.fields.end(), name) == pc.fields.end())
            continue;
          w.kv(name, value);
        }
        w.end_object();
        return ++count < limit;
      });
  if (failed || !st.ok())
    return v1_error(500, "internal_error", "Storage could not be read; retry");
  w.end_array();
  std::string out;
  JsonWriter o(out);
  o.begin_object();
  o.kv("status", "success");
  o.kv("total", total);
  o.kv("count", count);
  o.kv("next_cursor", "cur_" + std::to_string(last));
  o.key("leads").raw(leads);
  o.end_object();
  return json_response(200, std::move(out));
}

}  // namespace pp::api
