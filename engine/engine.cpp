#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/codes.h"
#include "core/hash.h"
#include "core/text.h"
#include "engine/async_store.h"
#include "engine/auction.h"
#include "engine/delivery.h"
#include "engine/holds.h"
#include "engine/lead_context.h"
#include "engine/settlement.h"
#include "engine/timeline.h"
#include "routing/filters.h"
#include "routing/pricing.h"
#include "routing/ranking.h"

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

// IntakeResult <-> the text remembered by the request guard.
constexpr char kFieldSep = '\x1f';
std::string encode_result(const IntakeResult& r) {
  std::string s;
  s += std::to_string(int(r.status)) + kFieldSep + r.lead_id + kFieldSep + std::to_string(r.code) +
       kFieldSep + r.message + kFieldSep + std::to_string(r.payout.units()) + kFieldSep +
       r.redirect_url;
  return s;
}
std::optional<IntakeResult> decode_result(std::string_view s) {
  std::vector<std::string_view> parts = split(s, std::string_view(&kFieldSep, 1));
  if (parts.size() != 6) return std::nullopt;
  auto st = parse_int(parts[0]);
  auto code = parse_int(parts[2]);
  auto payout = parse_int(parts[4]);
  if (!st || !code || !payout || *st < 0 || *st > 2) return std::nullopt;
  IntakeResult r;
  r.status = LeadStatus(*st);
  r.lead_id = std::string(parts[1]);
  r.code = int(*code);
  r.message = std::string(parts[3]);
  r.payout = Money::from_units(*payout);
  r.redirect_url = std::string(parts[5]);
  return r;
}

}  // namespace

// Authenticates a supplier request: an error answer, or the campaign and supplier. Nothing is
// stored for a request that cannot be attributed.
std::optional<IntakeResult> authenticate(const IntakeRequest& req, const Config& cfg,
                                         const CampaignConfig*& campaign,
                                         const SupplierConfig*& supplier) {
  const std::string* cid_s = find_field(req.params, "lp_campaign_id");
  const std::string* sid_s = find_field(req.params, "lp_supplier_id");
  const std::string* key = find_field(req.params, "lp_key");
  for (auto [p, name] : {std::pair{cid_s, "lp_campaign_id"}, std::pair{sid_s, "lp_supplier_id"},
                         std::pair{key, "lp_key"}}) {
    if (p == nullptr || trim(*p).empty()) {
      return unstored(Code::kMissingField, std::string("Missing required parameter ") + name);
    }
  }
  auto cid = parse_int(*cid_s);
  auto sid = parse_int(*sid_s);
  campaign = cid ? cfg.find_campaign(*cid) : nullptr;
  if (campaign == nullptr) return unstored(Code::kBadCredentials, "Invalid lp_campaign_id");
  supplier = sid ? campaign->find_supplier(*sid) : nullptr;
  // Hash and compare even when the supplier is unknown, so timing does not tell which part failed.
  const std::string presented = sha256_hex(trim(*key));
  const std::string& expected = supplier ? supplier->key_sha256 : presented;
  bool key_ok = constant_time_equals(presented, expected);
  if (supplier == nullptr || !key_ok) {
    return unstored(Code::kBadCredentials,
                    "Invalid credentials: check lp_campaign_id, lp_supplier_id and lp_key");
  }
  return std::nullopt;
}

std::optional<IntakeResult> Engine::supplier_rate_limited(const Config& cfg,
                                                          const CampaignConfig& c,
                                                          const SupplierConfig& s) {
  const ServerConfig& sc = cfg.server;
  if (sc.supplier_rate_per_s == 0) return std::nullopt;
  const std::string key = "s:" + std::to_string(c.id) + ":" + std::to_string(s.id);
  int64_t wait_ms = limits_.take(key, clock_.now_ms(), sc.supplier_rate_per_s, sc.supplier_burst);
  if (wait_ms == 0) return std::nullopt;
  IntakeResult r = unstored(Code::kRateLimited, "Too many requests: slow down and retry");
  r.http_status = 429;
  r.retry_after_s = int((wait_ms + 999) / 1000);
  return r;
}

// A6: lp_action=test, or a supplier in test mode.
bool is_test_request(const IntakeRequest& req, const SupplierConfig& supplier) {
  const std::string* action = find_field(req.params, "lp_action");
  return supplier.test_mode || (action && iequals(trim(*action), "test"));
}

enum class FieldStage { kPost, kPing };

// Reads, validates and normalises the supplier's fields, in the order sent. On a ping only the
// campaign's ping fields are read (anything else, personal data above all, is dropped).
void read_fields(const IntakeRequest& req, const CampaignConfig& campaign, const Config& cfg,
                 FieldStage stage, FieldList& out, std::vector<std::string>& missing,
                 std::vector<std::string>& invalid) {
  if (req.params.size() > cfg.server.max_fields) {
    invalid.push_back("too many fields (" + std::to_string(req.params.size()) + ", at most " +
                      std::to_string(cfg.server.max_fields) + ")");
    return;
  }
  const bool ping = stage == FieldStage::kPing;
  for (const auto& [name, raw] : req.params) {
    if (is_system_param(name) || name == "lp_ping_id" || name == "lp_bid_id" ||
        name == "lp_consent_bids" || find_field(out, name) != nullptr)
      continue;
    // Computed fields are the engine's: a supplier cannot set them.
    if (std::any_of(campaign.computed_fields.begin(), campaign.computed_fields.end(),
                    [&n = name](const ComputedFieldConfig& c) { return c.name == n; }))
      continue;
    if (raw.size() > cfg.server.max_field_value_bytes) {
      invalid.push_back(name + " (value too long)");
      continue;
    }
    if (is_subid(name)) {
      std::string_view v = trim(raw);
      if (v.size() > kMaxSubidLength)
        invalid.push_back(name + " (longer than 75 characters)");
      else
        out.emplace_back(name, std::string(v));
      continue;
    }
    const FieldSpec* spec = campaign.find_field_spec(name);
    if (ping && (spec == nullptr || !(spec->on_ping || spec->required_on_ping))) continue;
    if (spec == nullptr || trim(raw).empty()) {
      // Additional fields are kept as sent (bounded above); empty campaign fields are "missing".
      if (spec == nullptr && name.size() <= 64) out.emplace_back(name, std::string(trim(raw)));
      continue;
    }
    FieldCheck fc = validate_field(*spec, raw);
    if (fc.ok)
      out.emplace_back(name, std::move(fc.value));
    else
      invalid.push_back(name + " (" + fc.error + ")");
  }
  for (const auto& f : campaign.fields) {
    bool required = ping ? f.required_on_ping : f.required;
    if (required && find_field(out, f.name) == nullptr) {
      bool was_invalid = false;
      for (const auto& i : invalid) was_invalid = was_invalid || i.rfind(f.name + " (", 0) == 0;
      if (!was_invalid) missing.push_back(f.name);
    }
  }
}

Engine::Engine(SnapshotPtr snapshot, storage::Store& store, const Clock& clock)
    : snapshot_(std::move(snapshot)),
      store_(store),
      clock_(clock),
      caps_(store),
      dedup_(store),
      requests_(store),
      buyer_state_(store),
      health_(BuyerHealth::Options{snapshot_.load()->config().outbound.breaker_failures,
                                   snapshot_.load()->config().outbound.breaker_open_ms}) {}

void Engine::observe(const Lead& lead, const DebugLog& debug, bool pings_observed) {
  metrics_.observe_stages(debug.stages);
  for (size_t i = 0; i < lead.buyers.size(); ++i) {
    const BuyerOutcome& o = lead.buyers[i];
    const BuyerDebug* d = debug_for(&debug, i, o);
    metrics_.count_outcome(lead.campaign_id, o.buyer_id, EngineMetrics::outcome_kind(o, d));
    if (d == nullptr) continue;
    // Only answered calls have a latency; the post of a supplier's ping counted its pings then.
    if (d->ping && d->ping->http_status != 0 && !pings_observed)
      metrics_.observe_buyer_call(lead.campaign_id, o.buyer_id, true, d->ping->exec_time_us);
    if (d->post && d->post->http_status != 0)
      metrics_.observe_buyer_call(lead.campaign_id, o.buyer_id, false, d->post->exec_time_us);
  }
}

Engine::Held Engine::held() {
  return Held{caps_.reserved_total(), dedup_.in_flight(), requests_.in_flight()};
}

EngineCounters Engine::counters() const {
  return EngineCounters{received_.load(),         accepted_.load(),        stored_.load(),
                        store_failures_.load(),   buyer_calls_.load(),     in_flight_.load(),
                        pings_received_.load(),   pings_with_bids_.load(), prepings_.load(),
                        prepings_accepted_.load()};
}

storage::Read<Lead> Engine::lookup_lead(std::string_view id) const {
  if (!is_lead_id(id)) return {};
  return store_.read_lead(id);
}

storage::Read<DebugLog> Engine::lookup_debug(std::string_view id) const {
  if (!is_lead_id(id)) return {};
  return store_.read_debug(id);
}

asio::awaitable<Engine::ReturnResult> Engine::return_lead(std::string id, std::string reason) {
  if (!is_lead_id(id)) co_return ReturnResult::kNotFound;
  {
    // One return per lead at a time: the read-modify-write below spans a co_await.
    std::lock_guard lk(returning_mu_);
    if (std::find(returning_.begin(), returning_.end(), id) != returning_.end()) {
      co_return ReturnResult::kRefused;
    }
    returning_.push_back(id);
  }
  struct Release {
    Engine& e;
    const std::string& id;
    ~Release() {
      std::lock_guard lk(e.returning_mu_);
      e.returning_.erase(std::find(e.returning_.begin(), e.returning_.end(), id));
    }
  } release{*this, id};

  storage::Read<Lead> read = store_.read_lead(id);
  if (read.failed()) co_return ReturnResult::kUnreadable;
  std::optional<Lead>& lead = read.value;
  if (!lead) co_return ReturnResult::kNotFound;
  if (lead->status != LeadStatus::kAccepted) co_return ReturnResult::kNotSold;
  size_t sold = 0;
  BuyerOutcome* buyer = nullptr;
  for (auto& o : lead->buyers) {
    if (o.status == BuyerStatus::kAccepted) {
      ++sold;
      buyer = &o;
    }
  }
  if (lead->returned || sold != 1) co_return ReturnResult::kRefused;
  lead->returned = true;
  lead->return_reason = reason;
  buyer->returned = true;
  buyer->return_reason = std::move(reason);
  storage::Status st =
      co_await async_update_lead(store_, *lead, return_rollups(*lead), asio::use_awaitable);
  if (!st.ok()) co_return ReturnResult::kFailed;
  spdlog::info("lead {} returned by buyer {}", lead->id, buyer->buyer_id);
  co_return ReturnResult::kDone;
}

Engine::PauseResult Engine::set_buyer_paused(CampaignId campaign, BuyerId buyer, bool paused) {
  SnapshotPtr snap = snapshot();
  const CampaignConfig* c = snap->config().find_campaign(campaign);
  if (c == nullptr) return PauseResult::kNoCampaign;
  const BuyerConfig* b = c->find_buyer(buyer);
  if (b == nullptr) return PauseResult::kNoBuyer;
  switch (buyer_state_.set_paused(*b, paused)) {
    case BuyerState::Change::kDone:
      spdlog::info("buyer {} of campaign {} {}", buyer, campaign, paused ? "paused" : "resumed");
      return PauseResult::kDone;
    case BuyerState::Change::kAlready:
      return PauseResult::kAlready;
    case BuyerState::Change::kFailed:
      return PauseResult::kFailed;
  }
  return PauseResult::kFailed;
}

int64_t Engine::cap_used(CapOwner owner, int64_t id, bool budget, const CapRule& rule,
                         const TimeZone& tz) {
  return caps_.used(owner, id, budget, rule, tz, clock_.now_ms());
}

// The post of a ping whose bidders were removed from the configuration since: marks them in
// `res.removed` (they are not sold), and says why the post is refused when none of the bids it
// could sell is left (the supplier's chosen bids, else every offered bid).
// The delivery stage's line in the timeline: how the lead was delivered and to how many.
static std::string delivery_summary(const Lead& lead, bool from_ping, bool exchange) {
  size_t tried = 0, sold = 0;
  for (const auto& o : lead.buyers) {
    if (o.status != BuyerStatus::kSkipped) ++tried;
    if (o.status == BuyerStatus::kAccepted) ++sold;
  }
  return std::string(from_ping  ? "post of a ping"
                     : exchange ? "exchange"
                                : "distribution") +
         ": " + std::to_string(lead.buyers.size()) + " buyer(s), " + std::to_string(tried) +
         " tried, " + std::to_string(sold) + " sold";
}

// The bids the supplier chose on the post of a ping, as indexes into res.ranked in the order it
// named them: `lp_bid_id` (shared sales) or, one-to-one, `lp_consent_bids` (B1); nullopt when it
// named none (then every bid is sold in rank order).
static std::optional<std::vector<size_t>> chosen_bids(const AuctionResult& res,
                                                      const FieldList& params, bool one_to_one) {
  const std::string* choice = find_field(params, one_to_one ? "lp_consent_bids" : "lp_bid_id");
  if (choice == nullptr) return std::nullopt;
  std::vector<size_t> chosen;
  for (std::string_view id : split(*choice, ",")) {
    for (size_t k = 0; k < res.bid_ids.size(); ++k) {
      if (res.bid_ids[k] == trim(id)) chosen.push_back(k);
    }
  }
  return chosen;
}

static std::optional<std::string> mark_removed_bidders(
    AuctionResult& res, const CampaignConfig& pinned, const Config& now_cfg,
    const std::optional<std::vector<size_t>>& chosen) {
  const CampaignConfig* live = now_cfg.find_campaign(pinned.id);
  res.removed.assign(pinned.buyers.size(), false);
  bool any_removed = false;
  for (size_t i = 0; i < pinned.buyers.size(); ++i) {
    res.removed[i] = live == nullptr || live->find_buyer(pinned.buyers[i].id) == nullptr;
    any_removed = any_removed || res.removed[i];
  }
  if (!any_removed) return std::nullopt;
  for (size_t k = 0; k < res.ranked.size(); ++k) {
    const routing::RankedBid& r = res.ranked[k];
    bool wanted =
        chosen ? std::find(chosen->begin(), chosen->end(), k) != chosen->end() : r.offered;
    if (wanted && !res.removed[r.buyer_index]) return std::nullopt;
  }
  return std::string("The buyer that bid on this ping no longer exists: ping again");
}

asio::awaitable<PingAnswer> Engine::ping(IntakeRequest req, buyers::Transport& transport) {
  InFlight in_flight_guard(in_flight_);
  const SnapshotPtr snap = snapshot();
  const Config& cfg = snap->config();
  const auto t0 = SteadyClock::now();
  auto error = [](const IntakeResult& r) {
    PingAnswer a;
    a.status = r.status;
    a.code = r.code;
    a.message = r.message;
    a.http_status = r.http_status;
    a.retry_after_s = r.retry_after_s;
    return a;
  };
  auto fail = [&](Code c, std::string m) { return error(unstored(c, std::move(m))); };

  const CampaignConfig* campaign = nullptr;
  const SupplierConfig* supplier = nullptr;
  if (auto err = authenticate(req, cfg, campaign, supplier)) co_return error(*err);
  if (auto err = supplier_rate_limited(cfg, *campaign, *supplier)) co_return error(*err);
  const UnixMs now = clock_.now_ms();

  std::vector<std::string> missing, invalid;
  FieldList fields;
  read_fields(req, *campaign, cfg, FieldStage::kPing, fields, missing, invalid);
  // Statistics (pings_* and preping_*): every authenticated ping counts, answered or not.
  Lead shape;
  shape.campaign_id = campaign->id;
  shape.supplier_id = supplier->id;
  shape.created_ms = now;
  for (const auto& f : fields) {
    if (is_subid(f.first)) shape.fields.push_back(f);
  }
  const bool count_ping = !is_test_request(req, *supplier);
  struct PingTally {
    Engine& e;
    const Lead& shape;
    bool preping;
    bool count;
    bool accepted = false;
    Money offer;
    const std::vector<BuyerDebug>* buyers = nullptr;
    void flush() {
      if (!count) return;
      count = false;
      e.store_.add_rollups(preping ? preping_rollups(shape, accepted)
                                   : ping_rollups(shape, accepted, offer,
                                                  buyers ? *buyers : std::vector<BuyerDebug>{}));
    }
    ~PingTally() { flush(); }
  } ping_tally{*this, shape, campaign->type == CampaignType::kDirectPost, count_ping};

  if (campaign->type == CampaignType::kDirectPost) {
    // Pre-ping duplicate check (A3): would a lead with these values be a duplicate?
    if (!campaign->dupe_check.enabled()) {
      co_return fail(Code::kWrongEndpoint,
                     "Campaign " + std::to_string(campaign->id) +
                         " has no duplicate check to pre-ping: use /direct_post");
    }
    FieldList values;
    for (const auto& [name, raw] : req.params) {
      const FieldSpec* spec = campaign->find_field_spec(name);
      if (spec == nullptr) continue;
      FieldCheck fc = validate_field(*spec, raw);
      if (fc.ok) values.emplace_back(name, std::move(fc.value));
    }
    std::string holder;
    prepings_.fetch_add(1, std::memory_order_relaxed);
    if (dedup_.held(DedupTable::keys(*campaign, values), now, holder)) {
      PingAnswer a;
      a.status = LeadStatus::kDuplicated;
      a.code = code_int(Code::kDuplicated);
      a.message = "Duplicate lead";
      co_return a;
    }
    prepings_accepted_.fetch_add(1, std::memory_order_relaxed);
    ping_tally.accepted = true;
    PingAnswer a;
    a.status = LeadStatus::kAccepted;
    a.message = "Not a duplicate";
    co_return a;
  }

  // The campaign's rule stages in ping mode (engine/stages.cpp): the same stages, in the same
  // order, as a lead's; a ping claims nothing and only checks the supplier's caps for room.
  Lead lead;
  lead.created_ms = now;
  lead.campaign_id = campaign->id;
  lead.supplier_id = supplier->id;
  lead.fields = std::move(fields);
  std::vector<StageRecord> stage_log;
  StageTimer timeline(stage_log, t0, &stage_fault_);
  RuleContext rules{*snap, *campaign, *supplier, LeadMode::kPing, now,
                    lead,  missing,   invalid,   dedup_,          caps_};
  if (auto out = run_rules(snap->plan(campaign->id, LeadMode::kPing), rules, timeline)) {
    co_return fail(out->code, std::move(out->message));
  }

  // The ping stage over the ping fields.
  DebugLog debug;
  storage::LeadExtras extras;
  std::vector<std::string> no_keys;
  auto auction_deadline = t0 + std::chrono::milliseconds(campaign->exchange.auction_timeout_ms);
  Delivery del{*this, *snap,   *campaign, lead, debug, transport, auction_deadline,
               now,   no_keys, extras,    {},   snap};
  AuctionResult res = co_await del.auction(*supplier, auction_deadline);
  ping_tally.buyers = &res.dbg;
  for (const auto& d : res.dbg) {
    if (d.ping && d.ping->http_status != 0)
      metrics_.observe_buyer_call(campaign->id, d.buyer_id, true, d.ping->exec_time_us);
  }

  PingAnswer a;
  a.one_to_one = campaign->type == CampaignType::kOneToOne;
  const OneToOneConfig& oo = campaign->one_to_one;
  std::vector<std::string> companies;
  for (size_t k = 0; k < res.ranked.size(); ++k) {
    const routing::RankedBid& r = res.ranked[k];
    if (!r.offered) continue;
    const BuyerConfig& b = campaign->buyers[r.buyer_index];
    if (a.one_to_one) {
      // B1: a minimum bid, one bid per company (the best: bids come in rank order), a maximum.
      if (!oo.min_bid.is_zero() && r.after_margin < oo.min_bid) continue;
      if (oo.dedupe_by_company && std::find(companies.begin(), companies.end(),
                                            to_lower(b.company_name)) != companies.end())
        continue;
      if (oo.max_bids != 0 && a.bids.size() >= oo.max_bids) break;
      companies.push_back(to_lower(b.company_name));
    }
    a.bids.push_back({res.bid_ids[k], r.after_margin, b.company_name, res.extra[r.buyer_index]});
  }
  pings_received_.fetch_add(1, std::memory_order_relaxed);
  if (!a.bids.empty()) pings_with_bids_.fetch_add(1, std::memory_order_relaxed);
  ping_tally.accepted = !a.bids.empty();
  if (ping_tally.accepted) ping_tally.offer = a.bids.front().payout;
  ping_tally.flush();  // now: `res` goes away (or into the ping record) below
  spdlog::info("ping campaign={} supplier={} bids={} ms={:.1f}", campaign->id, supplier->id,
               a.bids.size(), double(micros_since(t0)) / 1000.0);
  if (a.bids.empty()) {
    a.code = code_int(Code::kNoBuyers);
    a.message = "No bids";
    a.bids.clear();
    co_return a;
  }
  PingRecord rec;
  rec.snapshot = snap;  // the post sells on this configuration
  rec.ping_id = thread_id_generator().uuid_v4();
  rec.campaign_id = campaign->id;
  rec.supplier_id = supplier->id;
  rec.expires_ms = now + campaign->exchange.ping_ttl_ms;
  rec.auction = std::move(res);
  a.status = LeadStatus::kAccepted;
  a.message = "Ping accepted";
  a.ping_id = rec.ping_id;
  a.offer = a.bids.front().payout;
  a.shared = campaign->exchange.shared;
  a.expires_in_s = campaign->exchange.ping_ttl_ms / 1000;
  pings_.put(std::move(rec), now);
  co_return a;
}

asio::awaitable<IntakeResult> Engine::direct_post(IntakeRequest req, buyers::Transport& transport) {
  return deliver(std::move(req), transport, /*from_ping=*/false);
}

asio::awaitable<IntakeResult> Engine::post(IntakeRequest req, buyers::Transport& transport) {
  return deliver(std::move(req), transport, /*from_ping=*/true);
}

// The request guard step (A7): claims the request's keys (its payload hash for 60 s, its
// Idempotency-Key for 24 h). A repeat gets the first request's stored answer, a repeat still in
// flight waits for it (until `wait_until`), a key reused with another body is refused (409).
// Returns the answer to give instead of storing a lead, or nullopt to go on with `out` held.
asio::awaitable<std::optional<IntakeResult>> Engine::guard_request(
    const IntakeRequest& req, const SupplierConfig& supplier, SteadyClock::time_point wait_until,
    RequestClaims& out) {
  const std::string supplier_prefix = std::to_string(supplier.id) + "/";
  if (!req.body_hash.empty()) {
    out.keys.emplace_back("p/" + supplier_prefix + req.body_hash, RequestGuard::kPayloadWindowMs);
  }
  if (!req.idempotency_key.empty()) {
    out.keys.emplace_back("i/" + supplier_prefix + sha256_hex(req.idempotency_key),
                          RequestGuard::kIdempotencyWindowMs);
  }
  for (const auto& [rk, window] : out.keys) {
    for (;;) {
      RequestGuard::Claim c = requests_.claim(rk, req.body_hash, clock_.now_ms(), window);
      if (c.state == RequestGuard::State::kFirst) {
        out.held.emplace_back(requests_, rk);
        break;
      }
      if (c.state == RequestGuard::State::kConflict && rk[0] == 'i') {
        IntakeResult r = unstored(Code::kIdempotencyConflict,
                                  "Idempotency-Key was already used with a different request body");
        r.http_status = 409;
        co_return r;
      }
      if (c.state == RequestGuard::State::kReplay) {
        if (auto r = decode_result(c.answer)) co_return *r;
        out.held.clear();  // an unreadable stored answer: go on as a new request, unguarded
        break;
      }
      if (c.state == RequestGuard::State::kConflict) break;  // payload keys embed the hash
      if (SteadyClock::now() > wait_until) {
        co_return unstored(Code::kUnavailable,
                           "The same request is still being processed; retry later");
      }
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }
  co_return std::nullopt;
}

asio::awaitable<IntakeResult> Engine::deliver(IntakeRequest req, buyers::Transport& transport,
                                              bool from_ping) {
  received_.fetch_add(1, std::memory_order_relaxed);
  InFlight in_flight_guard(in_flight_);

  // The lead's configuration: the current one, or for the post of a ping the one its ping ran on
  // (set below). A lead runs on exactly one configuration.
  SnapshotPtr snap = snapshot();
  const SnapshotPtr current = snap;
  const auto t0 = SteadyClock::now();

  // The timeline: every stage the lead goes through (stored with its debug log).
  std::vector<StageRecord> stage_log;
  StageTimer timeline(stage_log, t0, &stage_fault_);

  // 1. Authentication (always by the current configuration): nothing is stored for a request we
  // cannot attribute.
  const CampaignConfig* campaign = nullptr;
  const SupplierConfig* supplier = nullptr;
  if (auto err = authenticate(req, current->config(), campaign, supplier)) co_return *err;
  timeline.mark(
      kStageAuthenticate, StageVerdict::kContinue,
      "campaign " + std::to_string(campaign->id) + ", supplier " + std::to_string(supplier->id));
  if (auto err = supplier_rate_limited(current->config(), *campaign, *supplier)) co_return *err;
  timeline.mark(kStageRateLimit);
  if (from_ping && campaign->type == CampaignType::kDirectPost) {
    co_return unstored(Code::kWrongEndpoint, "Campaign " + std::to_string(campaign->id) +
                                                 " is a direct_post campaign: use /direct_post");
  }
  if (!from_ping && campaign->type == CampaignType::kOneToOne) {
    co_return unstored(Code::kWrongEndpoint, "Campaign " + std::to_string(campaign->id) + " is a " +
                                                 std::string(to_string(campaign->type)) +
                                                 " campaign: use /ping and /post");
  }
  // A full lead posted to an exchange campaign is pinged and posted in one go.
  const bool exchange = campaign->type == CampaignType::kPingPostExchange;
  const bool one_to_one = campaign->type == CampaignType::kOneToOne;

  // 2. Duplicate requests (A7): a repeat gets the first answer; a repeat in flight waits for it.
  RequestClaims requests;  // forgotten when deliver returns: after the store, or at once
  if (auto answer = co_await guard_request(
          req, *supplier,
          t0 + std::chrono::milliseconds(campaign->delivery_deadline_ms) + std::chrono::seconds(5),
          requests)) {
    co_return *answer;
  }
  const auto& request_keys = requests.keys;
  std::vector<RequestHold>& claimed = requests.held;

  timeline.mark(kStageRequestGuard, StageVerdict::kContinue,
                claimed.empty() ? std::string() : std::to_string(claimed.size()) + " claim(s)");

  // A post names its ping: an unknown, expired or reused ping id is an error (nothing stored).
  PingRecord ping_record;
  std::string ping_id;
  std::optional<std::vector<size_t>> chosen;  // the bids the supplier chose (post of a ping)
  if (from_ping) {
    const std::string* pid = find_field(req.params, "lp_ping_id");
    auto fail = [&](Code c, std::string m) { return unstored(c, std::move(m)); };
    if (pid == nullptr || trim(*pid).empty())
      co_return fail(Code::kMissingField, "Missing required parameter lp_ping_id");
    const std::string* consent = find_field(req.params, "lp_consent_bids");
    if (one_to_one && (consent == nullptr || trim(*consent).empty())) {
      co_return fail(Code::kMissingField, "Missing required parameter lp_consent_bids");
    }
    ping_id = std::string(trim(*pid));
    switch (pings_.take(ping_id, campaign->id, supplier->id, clock_.now_ms(), ping_record)) {
      case PingStore::Take::kOk:
        break;
      case PingStore::Take::kUnknown:
        co_return fail(Code::kUnknownPing, "Unknown lp_ping_id");
      case PingStore::Take::kExpired:
        co_return fail(Code::kPingExpired, "lp_ping_id has expired");
      case PingStore::Take::kUsed:
        co_return fail(Code::kPingUsed, "lp_ping_id was already posted");
    }
    // The post runs on its ping's configuration, so the bids it sells are the bids that were
    // made, at their prices, by the buyers that made them; buyers removed from the configuration
    // since cannot be sold (an exclusive sale falls back to the next bid).
    if (ping_record.snapshot && ping_record.snapshot != current) {
      const CampaignConfig* pinned = ping_record.snapshot->config().find_campaign(campaign->id);
      const SupplierConfig* pinned_supplier =
          pinned ? pinned->find_supplier(supplier->id) : nullptr;
      if (pinned_supplier == nullptr) co_return fail(Code::kUnknownPing, "Unknown lp_ping_id");
      snap = ping_record.snapshot;
      campaign = pinned;
      supplier = pinned_supplier;
    }
    chosen = chosen_bids(ping_record.auction, req.params, one_to_one);
    if (auto gone =
            mark_removed_bidders(ping_record.auction, *campaign, current->config(), chosen)) {
      co_return fail(Code::kPingBuyerRemoved, std::move(*gone));
    }
    timeline.mark(kStagePingRecord, StageVerdict::kContinue,
                  "ping " + ping_id + (snap != current ? " (its configuration kept)" : ""));
  }
  const Config& cfg = snap->config();

  // 3. The lead.
  IdGenerator& ids = thread_id_generator();
  Lead lead;
  lead.created_ms = clock_.now_ms();
  lead.id = ids.lead_id(lead.created_ms);
  lead.request_uuid = ids.uuid_v4();
  lead.campaign_id = campaign->id;
  lead.supplier_id = supplier->id;
  lead.test = is_test_request(req, *supplier);
  if (lead.test) lead.tags.push_back("test");
  DebugLog debug;
  debug.lead_id = lead.id;
  const UnixMs now = lead.created_ms;

  // 4. Fields: validate and normalise; keep the supplier's order.
  std::vector<std::string> missing;
  std::vector<std::string> invalid;
  read_fields(req, *campaign, cfg, FieldStage::kPost, lead.fields, missing, invalid);
  if (from_ping) lead.fields.emplace_back("lp_ping_id", ping_id);
  if (one_to_one)
    lead.fields.emplace_back("lp_consent_bids",
                             std::string(trim(*find_field(req.params, "lp_consent_bids"))));

  // 5. The campaign's rule stages (engine/stages.cpp), then delivery and settlement.
  storage::LeadExtras extras;
  // The rules' holds (duplicate claim, supplier cap) and the sales' (buyer claims and caps) live
  // until the lead is stored, and go back by themselves on every other path.
  RuleContext rules{*snap, *campaign, *supplier, LeadMode::kLead, now,
                    lead,  missing,   invalid,   dedup_,          caps_};
  std::vector<DedupHold> buyer_claims;
  std::vector<CapLedger::Hold> sold_caps;
  auto fail_lead = [&](Code code, std::string message, LeadStatus status = LeadStatus::kError) {
    lead.status = status;
    lead.error_code = code_int(code);
    lead.error_message = std::move(message);
  };
  bool stopped = false;
  if (auto out = run_rules(snap->plan(campaign->id, LeadMode::kLead), rules, timeline)) {
    fail_lead(out->code, std::move(out->message), out->status);
    stopped = true;
  }
  const std::vector<std::string>& dedup_keys = rules.dedup_keys;
  std::optional<CapLedger::Hold>& supplier_hold = rules.supplier_hold;
  const EvalContext ectx{lead.fields, now};
  if (!stopped) {
    auto deadline = t0 + std::chrono::milliseconds(campaign->delivery_deadline_ms);
    Delivery del{*this,    *snap, *campaign,  lead,   debug, transport,
                 deadline, now,   dedup_keys, extras, {},    snap};
    if (from_ping) {
      // The post of a ping: sell the ping's auction, in the order of the bids the supplier chose
      // (lp_bid_id, shared sales), else in rank order.
      AuctionResult res = std::move(ping_record.auction);
      co_await del.sell(res, chosen ? &*chosen : nullptr);
    } else if (exchange) {
      // A full lead posted to an exchange campaign: ping and post in one go (A2).
      auto auction_deadline =
          std::min(deadline, SteadyClock::now() +
                                 std::chrono::milliseconds(campaign->exchange.auction_timeout_ms));
      co_await del.run_exchange(*supplier, auction_deadline);
    } else {
      co_await del.run();
    }
    buyer_claims = std::move(del.buyer_claims);
    sold_caps = std::move(del.sold_caps);

    timeline.mark(kStageDelivery, StageVerdict::kContinue,
                  delivery_summary(lead, from_ping, exchange));
    settle_outcome(lead, exchange || from_ping, del.exchange_payout, supplier->price, ectx);
    if (lead.status == LeadStatus::kAccepted) {
      caps_.settle(*supplier_hold, lead.cost, extras.counter_deltas);
      if (!campaign->dupe_check.buyer_level) del.remember_duplicate_keys(dedup_keys);
    }
    if (lead.status == LeadStatus::kAccepted)
      timeline.mark(kStageSettlement, StageVerdict::kContinue,
                    "revenue " + lead.revenue.to_string() + ", cost " + lead.cost.to_string());
    else
      timeline.mark(kStageSettlement, StageVerdict::kStop, lead.error_message);
  }
  lead.exec_time_us = micros_since(t0);

  IntakeResult r;
  r.status = lead.status;
  r.lead_id = lead.id;
  r.code = lead.error_code;
  r.message = lead.status == LeadStatus::kAccepted ? "Lead accepted" : lead.error_message;
  r.payout = lead.cost;
  r.redirect_url = lead.redirect_url;
  const std::string answer = encode_result(r);
  for (const auto& [rk, window] : request_keys) {
    if (std::none_of(claimed.begin(), claimed.end(),
                     [&k = rk](const RequestHold& h) { return h.key() == k; }))
      continue;
    extras.requests.push_back(
        {rk, RequestGuard::persisted_value(req.body_hash, answer, now + window), now + window});
  }

  debug.stages = std::move(stage_log);
  debug.config_version = snap->version();
  extras.rollups = lead_rollups(lead, debug);

  // 6. Durable before the answer (invariant 1); the claims and holds above go back when this
  // coroutine returns, after the keys they guard are stored.
  storage::Status st =
      co_await async_save_lead(store_, lead, debug, std::move(extras), asio::use_awaitable);
  if (!st.ok()) {
    store_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("lead {} could not be stored: {}", lead.id, st.message);
    co_return unstored(Code::kUnavailable, "Lead could not be stored; retry later");
  }
  // Stored: the sales' cap use is now permanent (before, it was only reserved; a lead that did not
  // store gives it back when its holds go).
  for (auto& h : sold_caps) caps_.commit(h);
  if (supplier_hold) caps_.commit(*supplier_hold);
  stored_.fetch_add(1, std::memory_order_relaxed);
  if (lead.status == LeadStatus::kAccepted) accepted_.fetch_add(1, std::memory_order_relaxed);
  observe(lead, debug, /*pings_observed=*/from_ping);

  spdlog::info("lead {} campaign={} supplier={} status={} code={} buyers={} test={} ms={:.1f}",
               lead.id, lead.campaign_id, lead.supplier_id, to_string(lead.status), lead.error_code,
               lead.buyers.size(), lead.test, double(lead.exec_time_us) / 1000.0);
  co_return r;
}

}  // namespace pp::engine
