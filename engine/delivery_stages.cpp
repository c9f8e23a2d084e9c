// Delivery (the waterfall and rotations of a direct post, the exchange's auction and sale, the
// sale of a supplier's ping at its post, the auction of a supplier's ping) and settlement.
#include "core/text.h"
#include "engine/checks.h"
#include "engine/delivery.h"
#include "engine/engine_state.h"
#include "engine/pipeline.h"
#include "engine/settlement.h"
#include "engine/stages.h"

namespace pp::engine::stages {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The delivery stage's line in the timeline: how the lead was delivered and to how many.
std::string delivery_summary(const Lead& lead, std::string_view how) {
  size_t tried = 0, sold = 0;
  for (const auto& o : lead.buyers) {
    if (o.status != BuyerStatus::kSkipped) ++tried;
    if (o.status == BuyerStatus::kAccepted) ++sold;
  }
  return std::string(how) + ": " + std::to_string(lead.buyers.size()) + " buyer(s), " +
         std::to_string(tried) + " tried, " + std::to_string(sold) + " sold";
}

// A direct post: the distribution plan, buyer by buyer (waterfall, rotations, weights, groups).
class WaterfallStage final : public Stage {
 public:
  std::string_view name() const override { return kStageDelivery; }
  bool waits() const override { return true; }
  asio::awaitable<StageOutcome> run_async(LeadRun& r) const override {
    co_await run_buyer_checks(r);
    Delivery del(r, r.delivery_deadline());
    co_await del.run();
    co_return StageOutcome::next(delivery_summary(r.lead, "distribution"));
  }
};

// A full lead posted to an exchange campaign: pinged and posted in one go (A2), the auction
// closing at the campaign's auction timeout (within the lead's deadline).
class ExchangeStage final : public Stage {
 public:
  std::string_view name() const override { return kStageDelivery; }
  bool waits() const override { return true; }
  asio::awaitable<StageOutcome> run_async(LeadRun& r) const override {
    const auto deadline = r.delivery_deadline();
    co_await run_buyer_checks(r);
    Delivery del(r, deadline);
    const auto auction_deadline =
        std::min(deadline, SteadyClock::now() +
                               std::chrono::milliseconds(r.campaign->exchange.auction_timeout_ms));
    co_await del.run_exchange(*r.supplier, auction_deadline);
    co_return StageOutcome::next(delivery_summary(r.lead, "exchange"));
  }
};

// The post of a supplier's ping: sells the ping's auction, in the order of the bids the supplier
// chose (lp_bid_id, shared sales; lp_consent_bids, one-to-one), else in rank order.
class SellPingStage final : public Stage {
 public:
  std::string_view name() const override { return kStageDelivery; }
  bool waits() const override { return true; }
  asio::awaitable<StageOutcome> run_async(LeadRun& r) const override {
    co_await run_buyer_checks(r);
    Delivery del(r, r.delivery_deadline());
    AuctionResult res = std::move(r.ping.auction);
    co_await del.sell(res, r.chosen ? &*r.chosen : nullptr);
    co_return StageOutcome::next(delivery_summary(r.lead, "post of a ping"));
  }
};

// A supplier's ping: every eligible buyer pinged under the campaign's auction timeout; the bids
// ranked into r.auction (offered to the supplier by Engine::ping).
class AuctionStage final : public Stage {
 public:
  std::string_view name() const override { return kStageAuction; }
  bool waits() const override { return true; }
  asio::awaitable<StageOutcome> run_async(LeadRun& r) const override {
    const auto deadline = r.t0 + std::chrono::milliseconds(r.campaign->exchange.auction_timeout_ms);
    Delivery del(r, deadline);
    r.auction = co_await del.auction(*r.supplier, deadline);
    size_t offered = 0;
    for (const auto& b : r.auction.ranked) offered += b.offered ? 1 : 0;
    co_return StageOutcome::next(std::to_string(offered) + " bid(s) offered");
  }
};

// The lead's outcome from its buyers' (engine/settlement.h): sold, its revenue and cost, the
// supplier's cap use and the lead's duplicate keys kept; unsold, the lead stops with why.
class SettlementStage final : public Stage {
 public:
  std::string_view name() const override { return kStageSettlement; }
  StageOutcome run(LeadRun& r) const override {
    Lead& lead = r.lead;
    const EvalContext ectx{lead.fields, r.now};
    settle_outcome(lead, r.exchange() || r.mode == LeadMode::kPost, r.exchange_payout,
                   r.supplier->price, ectx);
    if (lead.status != LeadStatus::kAccepted)
      return StageOutcome::stop(lead.error_code, lead.error_message, lead.status);
    r.engine.caps.settle(*r.supplier_hold, lead.cost, r.extras.counter_deltas, &r.caps_reached);
    if (!r.campaign->dupe_check.buyer_level)
      keep_duplicate_keys(r.extras, r.dedup_keys, lead.id, *r.campaign, r.now);
    return StageOutcome::next("revenue " + lead.revenue.to_string() + ", cost " +
                              lead.cost.to_string());
  }
};

}  // namespace

const Stage& waterfall() { return instance<WaterfallStage>(); }
const Stage& exchange() { return instance<ExchangeStage>(); }
const Stage& sell_ping() { return instance<SellPingStage>(); }
const Stage& auction() { return instance<AuctionStage>(); }
const Stage& settlement() { return instance<SettlementStage>(); }

}  // namespace pp::engine::stages
