// The request's stages, run on the configuration that authenticated it: the supplier's rate
// limit, the request guard (A7), the ping a post names, and a direct-post campaign's pre-ping
// duplicate check (A3). They refuse without storing anything.
#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/hash.h"
#include "core/text.h"
#include "engine/engine_state.h"
#include "engine/pipeline.h"
#include "engine/snapshot.h"
#include "engine/stages.h"

namespace pp::engine::stages {

namespace asio = boost::asio;

namespace {

// 429 for a supplier over server.rate_limits.supplier_per_s, with the answer's Retry-After.
class RateLimitStage final : public Stage {
 public:
  std::string_view name() const override { return kStageRateLimit; }
  StageOutcome run(LeadRun& r) const override {
    const ServerConfig& sc = r.current->config().server;
    if (sc.supplier_rate_per_s == 0) return StageOutcome::next();
    const std::string key =
        "s:" + std::to_string(r.campaign->id) + ":" + std::to_string(r.supplier->id);
    int64_t wait_ms = r.engine.limits.take(key, r.engine.clock.now_ms(), sc.supplier_rate_per_s,
                                           sc.supplier_burst);
    if (wait_ms == 0) return StageOutcome::next();
    IntakeResult a = unstored(Code::kRateLimited, "Too many requests: slow down and retry");
    a.http_status = 429;
    a.retry_after_s = int((wait_ms + 999) / 1000);
    return StageOutcome::refuse(std::move(a));
  }
};

// Duplicate requests (A7): claims the request's keys (its payload hash for 60 s, its
// Idempotency-Key for 24 h). A repeat gets the first request's stored answer, a repeat still in
// flight waits for it (until the lead's deadline and 5 s more), a key reused with another body is
// refused (409). The claims are held until the lead and its answer are stored.
class RequestGuardStage final : public Stage {
 public:
  std::string_view name() const override { return kStageRequestGuard; }
  bool waits() const override { return true; }
  asio::awaitable<StageOutcome> run_async(LeadRun& r) const override {
    const IntakeRequest& req = r.req;
    const std::string supplier_prefix = std::to_string(r.supplier->id) + "/";
    if (!req.body_hash.empty()) {
      r.request_keys.emplace_back("p/" + supplier_prefix + req.body_hash,
                                  RequestGuard::kPayloadWindowMs);
    }
    if (!req.idempotency_key.empty()) {
      r.request_keys.emplace_back("i/" + supplier_prefix + sha256_hex(req.idempotency_key),
                                  req.idempotency_window_ms > 0
                                      ? req.idempotency_window_ms
                                      : RequestGuard::kIdempotencyWindowMs);
    }
    const auto wait_until = r.delivery_deadline() + std::chrono::seconds(5);
    RequestGuard& guard = r.engine.requests;
    for (const auto& [rk, window] : r.request_keys) {
      for (;;) {
        RequestGuard::Claim c = guard.claim(rk, req.body_hash, r.engine.clock.now_ms(), window);
        if (c.state == RequestGuard::State::kFirst) {
          r.request_claims.emplace_back(guard, rk);
          break;
        }
        if (c.state == RequestGuard::State::kConflict && rk[0] == 'i') {
          IntakeResult a =
              unstored(Code::kIdempotencyConflict,
                       "Idempotency-Key was already used with a different request body");
          a.http_status = 409;
          co_return StageOutcome::refuse(std::move(a));
        }
        if (c.state == RequestGuard::State::kReplay) {
          if (auto a = decode_result(c.answer)) co_return StageOutcome::refuse(std::move(*a));
          r.request_claims.clear();  // an unreadable stored answer: go on as new, unguarded
          break;
        }
        if (c.state == RequestGuard::State::kConflict) break;  // payload keys embed the hash
        if (std::chrono::steady_clock::now() > wait_until) {
          co_return StageOutcome::refuse(unstored(
              Code::kUnavailable, "The same request is still being processed; retry later"));
        }
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(std::chrono::milliseconds(5));
        co_await timer.async_wait(asio::use_awaitable);
      }
    }
    co_return StageOutcome::next(r.request_claims.empty()
                                     ? std::string()
                                     : std::to_string(r.request_claims.size()) + " claim(s)");
  }
};

// The bids the supplier chose on the post of a ping, as indexes into res.ranked in the order it
// named them: `lp_bid_id` (shared sales) or, one-to-one, `lp_consent_bids` (B1); nullopt when it
// named none (then every bid is sold in rank order).
std::optional<std::vector<size_t>> chosen_bids(const AuctionResult& res, const FieldList& params,
                                               bool one_to_one) {
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

// The post of a ping whose bidders were removed from the configuration since: marks them in
// `res.removed` (they are not sold), and says why the post is refused when none of the bids it
// could sell is left (the supplier's chosen bids, else every offered bid).
std::optional<std::string> mark_removed_bidders(AuctionResult& res, const CampaignConfig& pinned,
                                                const Config& now_cfg,
                                                const std::optional<std::vector<size_t>>& chosen) {
  const CampaignConfig* live = now_cfg.find_campaign(pinned.id);
  res.removed.assign(pinned.buyers.size(), false);
  bool any_removed = false;
  for (size_t i = 0; i < pinned.buyers.size(); ++i) {
    const BuyerConfig* now = live ? live->find_buyer(pinned.buyers[i].id) : nullptr;
    res.removed[i] = now == nullptr || now->archived;
    any_removed = any_removed || res.removed[i];
  }
  if (!any_removed) return std::nullopt;
  for (size_t k = 0; k < res.ranked.size(); ++k) {
    const routing::RankedBid& b = res.ranked[k];
    bool wanted =
        chosen ? std::find(chosen->begin(), chosen->end(), k) != chosen->end() : b.offered;
    if (wanted && !res.removed[b.buyer_index]) return std::nullopt;
  }
  return std::string("The buyer that bid on this ping no longer exists: ping again");
}

// A post names its ping: an unknown, expired or reused ping id is refused. The post then runs on
// its ping's configuration, so the bids it sells are the bids that were made, at their prices, by
// the buyers that made them; buyers removed from the configuration since are not sold (an
// exclusive sale falls back to the next bid), and when none is left the post is refused (1018).
class PingRecordStage final : public Stage {
 public:
  std::string_view name() const override { return kStagePingRecord; }
  StageOutcome run(LeadRun& r) const override {
    auto refuse = [](Code c, std::string m) {
      return StageOutcome::refuse(unstored(c, std::move(m)));
    };
    const std::string* pid = find_field(r.req.params, "lp_ping_id");
    if (pid == nullptr || trim(*pid).empty())
      return refuse(Code::kMissingField, "Missing required parameter lp_ping_id");
    const std::string* consent = find_field(r.req.params, "lp_consent_bids");
    if (r.one_to_one() && (consent == nullptr || trim(*consent).empty()))
      return refuse(Code::kMissingField, "Missing required parameter lp_consent_bids");
    const std::string ping_id(trim(*pid));
    switch (r.engine.pings.take(ping_id, r.campaign->id, r.supplier->id, r.engine.clock.now_ms(),
                                r.ping)) {
      case PingStore::Take::kOk:
        break;
      case PingStore::Take::kUnknown:
        return refuse(Code::kUnknownPing, "Unknown lp_ping_id");
      case PingStore::Take::kExpired:
        return refuse(Code::kPingExpired, "lp_ping_id has expired");
      case PingStore::Take::kUsed:
        return refuse(Code::kPingUsed, "lp_ping_id was already posted");
    }
    r.ping.ping_id = ping_id;
    if (r.ping.snapshot && r.ping.snapshot != r.current) {
      const CampaignConfig* pinned = r.ping.snapshot->config().find_campaign(r.campaign->id);
      const SupplierConfig* pinned_supplier =
          pinned ? pinned->find_supplier(r.supplier->id) : nullptr;
      if (pinned_supplier == nullptr) return refuse(Code::kUnknownPing, "Unknown lp_ping_id");
      r.snap = r.ping.snapshot;
      r.campaign = pinned;
      r.supplier = pinned_supplier;
    }
    r.chosen = chosen_bids(r.ping.auction, r.req.params, r.one_to_one());
    if (auto gone =
            mark_removed_bidders(r.ping.auction, *r.campaign, r.current->config(), r.chosen))
      return refuse(Code::kPingBuyerRemoved, std::move(*gone));
    return StageOutcome::next("ping " + ping_id +
                              (r.snap != r.current ? " (its configuration kept)" : ""));
  }
};

// A direct-post campaign's ping (A3): would a lead with these values be a duplicate? Continues
// when it would not; stops (DUPLICATED, answered, nothing stored) when it would.
class PrepingStage final : public Stage {
 public:
  std::string_view name() const override { return kStagePreping; }
  StageOutcome run(LeadRun& r) const override {
    const CampaignConfig& c = *r.campaign;
    if (!c.dupe_check.enabled()) {
      return StageOutcome::refuse(unstored(
          Code::kWrongEndpoint, "Campaign " + std::to_string(c.id) +
                                    " has no duplicate check to pre-ping: use /direct_post"));
    }
    FieldList values;
    for (const auto& [name, raw] : r.req.params) {
      const FieldSpec* spec = c.find_field_spec(name);
      if (spec == nullptr) continue;
      FieldCheck fc = validate_field(*spec, raw);
      if (fc.ok) values.emplace_back(name, std::move(fc.value));
    }
    std::string holder;
    r.engine.prepings.fetch_add(1, std::memory_order_relaxed);
    if (r.engine.dedup.held(DedupTable::keys(c, values), r.now, holder))
      return StageOutcome::stop(Code::kDuplicated, "Duplicate lead", LeadStatus::kDuplicated);
    r.engine.prepings_accepted.fetch_add(1, std::memory_order_relaxed);
    return StageOutcome::next("Not a duplicate");
  }
};

}  // namespace

const Stage& rate_limit() { return instance<RateLimitStage>(); }
const Stage& request_guard() { return instance<RequestGuardStage>(); }
const Stage& ping_record() { return instance<PingRecordStage>(); }
const Stage& preping() { return instance<PrepingStage>(); }

}  // namespace pp::engine::stages
