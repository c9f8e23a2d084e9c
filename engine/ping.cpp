// A supplier's ping (A2, A3): authenticated, its campaign's plan in ping mode (the rules that need
// no lead, then the auction; a direct-post campaign's pre-ping duplicate check), then the offer.
// Nothing is stored but statistics: the ping waits in memory for its post, with its configuration.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/text.h"
#include "engine/engine.h"
#include "engine/pipeline.h"
#include "engine/settlement.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

PingAnswer ping_error(const IntakeResult& r) {
  PingAnswer a;
  a.status = r.status;
  a.code = r.code;
  a.message = r.message;
  a.http_status = r.http_status;
  a.retry_after_s = r.retry_after_s;
  return a;
}

// The bids offered to the supplier, best first. One-to-one (B1): a minimum bid, one bid per
// company (the best: bids come in rank order), at most max_bids.
std::vector<PingAnswer::Offered> offers(const CampaignConfig& campaign, const AuctionResult& res) {
  std::vector<PingAnswer::Offered> out;
  const bool one_to_one = campaign.type == CampaignType::kOneToOne;
  const OneToOneConfig& oo = campaign.one_to_one;
  std::vector<std::string> companies;
  for (size_t k = 0; k < res.ranked.size(); ++k) {
    const routing::RankedBid& r = res.ranked[k];
    if (!r.offered) continue;
    const BuyerConfig& b = campaign.buyers[r.buyer_index];
    if (one_to_one) {
      if (!oo.min_bid.is_zero() && r.after_margin < oo.min_bid) continue;
      const std::string company = to_lower(b.company_name);
      if (oo.dedupe_by_company &&
          std::find(companies.begin(), companies.end(), company) != companies.end())
        continue;
      if (oo.max_bids != 0 && out.size() >= oo.max_bids) break;
      companies.push_back(company);
    }
    out.push_back({res.bid_ids[k], r.after_margin, b.company_name, res.extra[r.buyer_index]});
  }
  return out;
}

// Statistics of an authenticated ping (pings_* or preping_*), written when the ping is answered.
std::vector<rollup::Delta> ping_tally(const LeadRun& run, bool preping, bool accepted,
                                      Money offer) {
  Lead shape;
  shape.campaign_id = run.campaign->id;
  shape.supplier_id = run.supplier->id;
  shape.created_ms = run.now;
  for (const auto& [name, value] : run.req.params) {
    std::string_view v = trim(value);
    if (is_subid(name) && v.size() <= kMaxSubidLength && find_field(shape.fields, name) == nullptr)
      shape.fields.emplace_back(name, std::string(v));
  }
  const TimeZone* zone = &run.campaign->tz;
  return preping ? preping_rollups(shape, accepted, zone)
                 : ping_rollups(shape, accepted, offer, run.auction.dbg, zone);
}

}  // namespace

asio::awaitable<PingAnswer> Engine::ping(IntakeRequest req, buyers::Transport& transport) {
  InFlight in_flight_guard(st_.in_flight);
  LeadRun run(st_, req, transport, LeadMode::kPing, snapshot(), SteadyClock::now(),
              st_.clock.now_ms(), &st_.stage_fault);
  run.timeline.enter(kStageAuthenticate);
  if (auto refused = authenticate(run)) co_return ping_error(*refused);
  run.timeline.mark(kStageAuthenticate);
  const CampaignConfig& campaign = *run.campaign;
  auto out = co_await run_plan(run.current->plan(campaign.id, LeadMode::kPing), run);
  st_.metrics.observe_stages(run.stages);
  if (out && out->verdict == StageVerdict::kRefuse)
    st_.metrics.count_refusal(run.stages.back().stage);
  // Every authenticated ping within its rate counts, answered or not (test pings never).
  const bool rate_limited = out && run.stages.back().stage == kStageRateLimit;
  const bool count = !rate_limited && !is_test_request(req, run.supplier->test_mode);
  const bool preping = campaign.type == CampaignType::kDirectPost;
  auto tally = [&](bool accepted, Money offer = {}) {
    if (count) st_.store.add_rollups(ping_tally(run, preping, accepted, offer));
  };

  if (preping) {
    tally(!out);
    if (out && out->verdict == StageVerdict::kRefuse) co_return ping_error(*out->answer);
    PingAnswer a;
    a.status = out ? LeadStatus::kDuplicated : LeadStatus::kAccepted;
    a.code = out ? out->code : 0;
    a.message = out ? "Duplicate lead" : "Not a duplicate";
    co_return a;
  }
  if (out) {
    tally(false);
    co_return ping_error(out->answer ? *out->answer : unstored(Code(out->code), out->message));
  }
  for (const auto& d : run.auction.dbg) {
    if (d.ping && d.ping->http_status != 0)
      st_.metrics.observe_buyer_call(campaign.id, d.buyer_id, true, d.ping->exec_time_us);
  }

  PingAnswer a;
  a.one_to_one = campaign.type == CampaignType::kOneToOne;
  a.bids = offers(campaign, run.auction);
  st_.pings_received.fetch_add(1, std::memory_order_relaxed);
  if (!a.bids.empty()) st_.pings_with_bids.fetch_add(1, std::memory_order_relaxed);
  tally(!a.bids.empty(), a.bids.empty() ? Money() : a.bids.front().payout);
  spdlog::info(
      "ping campaign={} supplier={} bids={} ms={:.1f}", campaign.id, run.supplier->id,
      a.bids.size(),
      double(std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - run.t0)
                 .count()) /
          1000.0);
  if (a.bids.empty()) {
    a.code = code_int(Code::kNoBuyers);
    a.message = "No bids";
    co_return a;
  }
  PingRecord rec;
  rec.snapshot = run.snap;  // the post sells on this configuration
  rec.ping_id = thread_id_generator().uuid_v4();
  rec.campaign_id = campaign.id;
  rec.supplier_id = run.supplier->id;
  rec.expires_ms = run.now + campaign.exchange.ping_ttl_ms;
  rec.auction = std::move(run.auction);
  a.status = LeadStatus::kAccepted;
  a.message = "Ping accepted";
  a.ping_id = rec.ping_id;
  a.offer = a.bids.front().payout;
  a.shared = campaign.exchange.shared;
  a.expires_in_s = campaign.exchange.ping_ttl_ms / 1000;
  st_.pings.put(std::move(rec), run.now);
  co_return a;
}

}  // namespace pp::engine
