#include "engine/engine.h"

#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/codes.h"
#include "core/hash.h"
#include "core/text.h"
#include "engine/async_store.h"
#include "engine/lead_context.h"
#include "routing/distribution.h"
#include "routing/pricing.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Parameters that drive the engine and never become lead data. lp_key in particular is a secret.
bool is_system_param(std::string_view n) {
  return n == "lp_campaign_id" || n == "lp_supplier_id" || n == "lp_key" || n == "lp_action" ||
         n == "lp_request_uuid" || n == "lp_lead_id" || n == "lp_test";
}

bool is_subid(std::string_view n) {
  return n.size() == 9 && n.substr(0, 8) == "lp_subid" && n[8] >= '1' && n[8] <= '6';
}

constexpr size_t kMaxSubidLength = 75;

IntakeResult unstored(Code code, std::string message) {
  IntakeResult r;
  r.status = LeadStatus::kError;
  r.code = code_int(code);
  r.message = std::move(message);
  return r;
}

HttpExchangeLog make_log(const buyers::OutboundRequest& req, const buyers::HttpResult& res) {
  HttpExchangeLog log;
  log.url = req.url;
  log.method = to_lower(req.method);
  log.payload = req.body;
  log.request_headers = req.headers;
  log.response = res.body;
  log.http_status = res.status;
  log.response_headers = res.headers;
  log.exec_time_us = res.elapsed_us;
  if (!res.ok()) {
    log.transport_error = std::string(buyers::to_string(res.error));
    if (!res.error_message.empty()) log.transport_error += ": " + res.error_message;
  }
  return log;
}

// Result of one HTTP step with a buyer.
struct Step {
  buyers::HttpResult http;
  buyers::MappedResponse mapped;
};

// Fills a buyer outcome from a mapped answer that did not sell.
void fail_outcome(BuyerOutcome& o, const Step& s, std::string_view stage) {
  using buyers::Verdict;
  switch (s.mapped.verdict) {
    case Verdict::kDuplicate:
      o.status = BuyerStatus::kDuplicated;
      o.error_code = code_int(Code::kBuyerDuplicate);
      o.error_message = "Duplicated by buyer";
      break;
    case Verdict::kRejected:
      o.status = BuyerStatus::kError;
      o.error_code = code_int(Code::kRejectedByBuyer);
      o.error_message = stage == "ping" ? "Rejected by buyer on ping" : "Rejected by buyer";
      if (!s.mapped.reason.empty()) o.error_message += ": " + s.mapped.reason;
      break;
    case Verdict::kError:
    case Verdict::kAccepted:  // accepted without a usable price
      o.status = BuyerStatus::kError;
      if (s.http.error == buyers::TransportError::kTimeout ||
          s.http.error == buyers::TransportError::kConnectTimeout) {
        o.error_code = code_int(Code::kBuyerTimeout);
        o.error_message = std::string(stage == "ping" ? "Ping" : "Post") + " timeout exceeded";
      } else {
        o.error_code = code_int(Code::kBuyerHttpError);
        o.error_message = s.mapped.verdict == Verdict::kAccepted
                              ? "Accepted without a price"
                              : "Buyer error: " + s.mapped.reason;
      }
      break;
  }
}

}  // namespace

struct Engine::Delivery {
  const Snapshot& snap;
  const CampaignConfig& campaign;
  Lead& lead;
  DebugLog& debug;
  buyers::Transport& transport;
  SteadyClock::time_point deadline;
  UnixMs now;
  std::atomic<uint64_t>& buyer_calls;

  asio::awaitable<Step> call(const buyers::CompiledRequest& req, const buyers::CompiledMapping& map,
                             const LeadContext& ctx, HttpExchangeLog& log) {
    Step s;
    buyers::OutboundRequest out = req.render(ctx, snap.config().outbound.user_agent);
    out.deadline = deadline;
    buyer_calls.fetch_add(1, std::memory_order_relaxed);
    s.http = co_await transport.send(out);
    s.mapped = map.map(s.http);
    log = make_log(out, s.http);
    co_return s;
  }

  // Tries one buyer. Returns true when it bought the lead.
  asio::awaitable<bool> try_buyer(const CompiledBuyer& cb, BuyerOutcome& o, BuyerDebug& d) {
    const BuyerConfig& b = *cb.config;
    LeadContext ctx(lead, campaign, now);
    ctx.set_buyer(b.id);
    const auto t0 = SteadyClock::now();
    std::optional<Money> price = routing::quoted_buyer_price(b.price, lead.fields);

    if (b.type == DeliveryType::kLeadStore) {
      o.status = BuyerStatus::kAccepted;
      o.sell_price = price.value_or(Money());
      d.decision = "stored for the buyer (lead_store)";
      co_return true;
    }

    std::optional<Money> bid;
    std::string ping_body;
    if (b.type == DeliveryType::kPingPost && cb.ping && cb.ping_mapping) {
      HttpExchangeLog log;
      Step s = co_await call(*cb.ping, *cb.ping_mapping, ctx, log);
      d.ping = std::move(log);
      if (s.mapped.verdict != buyers::Verdict::kAccepted) {
        fail_outcome(o, s, "ping");
        o.exec_time_us = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count();
        d.decision = "ping not accepted";
        co_return false;
      }
      bid = s.mapped.price;
      if (bid) {
        d.has_bid = true;
        d.bid_raw = *bid;
        d.bid_adjusted = *bid;
      }
      ping_body = std::move(s.http.body);
      ctx.set_ping_response(&ping_body);
      if (SteadyClock::now() >= deadline) {
        o.status = BuyerStatus::kPinged;
        o.error_code = code_int(Code::kBuyerTimeout);
        o.error_message = "Delivery deadline reached before the post";
        d.decision = "pinged; no time left to post";
        co_return false;
      }
    }

    HttpExchangeLog log;
    Step s = co_await call(*cb.post, *cb.post_mapping, ctx, log);
    d.post = std::move(log);
    o.exec_time_us = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count();
    if (s.mapped.verdict == buyers::Verdict::kAccepted) {
      std::optional<Money> answered = s.mapped.price ? s.mapped.price : bid;
      std::optional<Money> final_price = routing::final_buyer_price(b.price, lead.fields, answered);
      if (final_price) {
        o.status = BuyerStatus::kAccepted;
        o.sell_price = *final_price;
        o.buyer_lead_id = s.mapped.buyer_lead_id;
        if (!s.mapped.redirect_url.empty()) lead.redirect_url = s.mapped.redirect_url;
        d.decision = "accepted at " + final_price->to_string();
        co_return true;
      }
    }
    fail_outcome(o, s, "post");
    d.decision = std::string("not sold: ") + o.error_message;
    co_return false;
  }

  asio::awaitable<void> waterfall() {
    for (size_t idx : routing::waterfall_order(campaign)) {
      const BuyerConfig& b = campaign.buyers[idx];
      BuyerOutcome o;
      o.buyer_id = b.id;
      BuyerDebug d;
      d.buyer_id = b.id;
      d.type = b.type;
      routing::Eligibility e = routing::check_buyer(b, b.paused);
      const CompiledBuyer* cb = snap.buyer(b.id);
      if (e.eligible && SteadyClock::now() + std::chrono::milliseconds(5) >= deadline) {
        e = {false, BuyerStatus::kSkipped, code_int(Code::kBuyerTimeout), "Delivery deadline reached"};
      }
      if (!e.eligible || cb == nullptr) {
        o.status = e.status;
        o.error_code = e.error_code;
        o.error_message = e.reason;
        d.decision = "skipped: " + e.reason;
        lead.buyers.push_back(std::move(o));
        debug.buyers.push_back(std::move(d));
        continue;
      }
      bool sold = co_await try_buyer(*cb, o, d);
      lead.buyers.push_back(std::move(o));
      debug.buyers.push_back(std::move(d));
      if (sold) break;  // exclusive sale: the first buyer that accepts gets the lead
    }
  }
};

Engine::Engine(SnapshotPtr snapshot, storage::Store& store, const Clock& clock)
    : snapshot_(std::move(snapshot)), store_(store), clock_(clock) {}

EngineCounters Engine::counters() const {
  return EngineCounters{received_.load(), accepted_.load(), stored_.load(),
                        store_failures_.load(), buyer_calls_.load(), in_flight_.load()};
}

std::optional<Lead> Engine::find_lead(std::string_view id) const {
  if (!is_lead_id(id)) return std::nullopt;
  return store_.get_lead(id);
}

std::optional<DebugLog> Engine::find_debug(std::string_view id) const {
  if (!is_lead_id(id)) return std::nullopt;
  return store_.get_debug(id);
}

asio::awaitable<IntakeResult> Engine::direct_post(IntakeRequest req, buyers::Transport& transport) {
  received_.fetch_add(1, std::memory_order_relaxed);
  in_flight_.fetch_add(1);
  struct InFlight {
    std::atomic<int64_t>& n;
    ~InFlight() { n.fetch_sub(1); }
  } in_flight_guard{in_flight_};

  const SnapshotPtr snap = snapshot();
  const Config& cfg = snap->config();
  const auto t0 = SteadyClock::now();

  // 1. Authentication: nothing is stored for a request we cannot attribute.
  const std::string* cid_s = find_field(req.params, "lp_campaign_id");
  const std::string* sid_s = find_field(req.params, "lp_supplier_id");
  const std::string* key = find_field(req.params, "lp_key");
  for (auto [p, name] : {std::pair{cid_s, "lp_campaign_id"}, std::pair{sid_s, "lp_supplier_id"},
                         std::pair{key, "lp_key"}}) {
    if (p == nullptr || trim(*p).empty()) {
      co_return unstored(Code::kMissingField, std::string("Missing required parameter ") + name);
    }
  }
  auto cid = parse_int(*cid_s);
  auto sid = parse_int(*sid_s);
  const CampaignConfig* campaign = cid ? cfg.find_campaign(*cid) : nullptr;
  if (campaign == nullptr) co_return unstored(Code::kBadCredentials, "Invalid lp_campaign_id");
  const SupplierConfig* supplier = sid ? campaign->find_supplier(*sid) : nullptr;
  // Hash and compare even when the supplier is unknown, so timing does not tell which part failed.
  const std::string presented = sha256_hex(trim(*key));
  const std::string& expected = supplier ? supplier->key_sha256 : presented;
  bool key_ok = constant_time_equals(presented, expected);
  if (supplier == nullptr || !key_ok) {
    co_return unstored(Code::kBadCredentials, "Invalid credentials: check lp_campaign_id, lp_supplier_id and lp_key");
  }
  if (campaign->type != CampaignType::kDirectPost) {
    co_return unstored(Code::kWrongEndpoint,
                       "Campaign " + std::to_string(campaign->id) + " is a " +
                           std::string(to_string(campaign->type)) + " campaign: use /ping and /post");
  }

  // 2. The lead.
  IdGenerator& ids = thread_id_generator();
  Lead lead;
  lead.created_ms = clock_.now_ms();
  lead.id = ids.lead_id(lead.created_ms);
  lead.request_uuid = ids.uuid_v4();
  lead.campaign_id = campaign->id;
  lead.supplier_id = supplier->id;
  const std::string* action = find_field(req.params, "lp_action");
  lead.test = supplier->test_mode || (action && iequals(trim(*action), "test"));
  if (lead.test) lead.tags.push_back("test");
  DebugLog debug;
  debug.lead_id = lead.id;

  // 3. Fields: validate and normalise; keep the supplier's order.
  std::vector<std::string> missing;
  std::vector<std::string> invalid;
  if (req.params.size() > cfg.server.max_fields) {
    invalid.push_back("too many fields (" + std::to_string(req.params.size()) + ", at most " +
                      std::to_string(cfg.server.max_fields) + ")");
  } else {
    for (auto& [name, raw] : req.params) {
      if (is_system_param(name) || find_field(lead.fields, name) != nullptr) continue;
      // Computed fields are the engine's: a supplier cannot set them.
      if (std::any_of(campaign->computed_fields.begin(), campaign->computed_fields.end(),
                      [&](const ComputedFieldConfig& c) { return c.name == name; }))
        continue;
      if (raw.size() > cfg.server.max_field_value_bytes) {
        invalid.push_back(name + " (value too long)");
        continue;
      }
      if (is_subid(name)) {
        std::string_view v = trim(raw);
        if (v.size() > kMaxSubidLength) invalid.push_back(name + " (longer than 75 characters)");
        else lead.fields.emplace_back(name, std::string(v));
        continue;
      }
      const FieldSpec* spec = campaign->find_field_spec(name);
      if (spec == nullptr || trim(raw).empty()) {
        // Additional fields are kept as sent (bounded above); empty campaign fields are "missing".
        if (spec == nullptr && name.size() <= 64) lead.fields.emplace_back(name, std::string(trim(raw)));
        continue;
      }
      FieldCheck fc = validate_field(*spec, raw);
      if (fc.ok) lead.fields.emplace_back(name, std::move(fc.value));
      else invalid.push_back(name + " (" + fc.error + ")");
    }
  }
  for (const auto& f : campaign->fields) {
    if (f.required && find_field(lead.fields, f.name) == nullptr) {
      bool was_invalid = false;
      for (const auto& i : invalid) was_invalid = was_invalid || i.rfind(f.name + " (", 0) == 0;
      if (!was_invalid) missing.push_back(f.name);
    }
  }

  // 4. Decide and deliver.
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  if (supplier->paused) {
    lead.error_code = code_int(Code::kSupplierPaused);
    lead.error_message = "Supplier is paused";
  } else if (!missing.empty()) {
    lead.error_code = code_int(Code::kMissingField);
    lead.error_message = "Missing required field" + std::string(missing.size() > 1 ? "s: " : ": ") + join(missing);
  } else if (!invalid.empty()) {
    lead.error_code = code_int(Code::kInvalidField);
    lead.error_message = "Invalid field" + std::string(invalid.size() > 1 ? "s: " : ": ") + join(invalid);
  } else {
    // Computed fields (A5), rendered raw (no escaping) from the validated fields.
    if (const auto& computed = snap->computed_fields(campaign->id); !computed.empty()) {
      LeadContext ctx(lead, *campaign, lead.created_ms);
      for (const auto& [name, tpl] : computed) {
        std::string v = tpl.render(ctx, buyers::Escape::kNone);
        lead.fields.emplace_back(name, std::move(v));
      }
    }
    auto deadline = t0 + std::chrono::milliseconds(campaign->delivery_deadline_ms);
    Delivery del{*snap, *campaign, lead, debug, transport, deadline, lead.created_ms, buyer_calls_};
    co_await del.waterfall();

    const BuyerOutcome* sold = nullptr;
    size_t attempted = 0, rejected = 0, duplicated = 0;
    for (const auto& o : lead.buyers) {
      if (o.status == BuyerStatus::kAccepted) sold = &o;
      if (o.status != BuyerStatus::kSkipped) ++attempted;
      if (o.error_code == code_int(Code::kRejectedByBuyer)) ++rejected;
      if (o.status == BuyerStatus::kDuplicated) ++duplicated;
    }
    if (sold) {
      lead.status = LeadStatus::kAccepted;
      lead.error_code = 0;
      lead.revenue = sold->sell_price;
      lead.cost = routing::supplier_payout(supplier->price, lead.fields, lead.revenue, true);
      if (lead.test) {  // A6: test leads are never billed
        lead.revenue = Money();
        lead.cost = Money();
        for (auto& o : lead.buyers) o.sell_price = Money();
      }
    } else if (attempted > 0 && duplicated == attempted) {
      lead.status = LeadStatus::kDuplicated;
      lead.error_code = code_int(Code::kDuplicated);
      lead.error_message = "Duplicated by buyer";
    } else if (attempted == 1 && rejected == 1) {
      lead.error_code = code_int(Code::kRejectedByBuyer);
      lead.error_message = "Rejected by buyer";
    } else {
      lead.error_code = code_int(Code::kNoBuyers);
      lead.error_message = "No buyers available";
    }
  }
  lead.exec_time_us =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count();

  // 5. Durable before the answer (invariant 1).
  storage::Status st = co_await async_save_lead(store_, lead, debug, asio::use_awaitable);
  if (!st.ok()) {
    store_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("lead {} could not be stored: {}", lead.id, st.message);
    co_return unstored(Code::kUnavailable, "Lead could not be stored; retry later");
  }
  stored_.fetch_add(1, std::memory_order_relaxed);
  if (lead.status == LeadStatus::kAccepted) accepted_.fetch_add(1, std::memory_order_relaxed);

  spdlog::info("lead {} campaign={} supplier={} status={} code={} buyers={} test={} ms={:.1f}",
               lead.id, lead.campaign_id, lead.supplier_id, to_string(lead.status), lead.error_code,
               lead.buyers.size(), lead.test, double(lead.exec_time_us) / 1000.0);

  IntakeResult r;
  r.status = lead.status;
  r.lead_id = lead.id;
  r.code = lead.error_code;
  r.message = lead.status == LeadStatus::kAccepted ? "Lead accepted" : lead.error_message;
  r.payout = lead.cost;
  r.redirect_url = lead.redirect_url;
  co_return r;
}

}  // namespace pp::engine
