#pragma once
// One lead on its way through its plan (engine/plan.h): everything the stages read and write,
// and the runner that walks the plan, marking each stage on the lead's timeline.
//
// Holds (a request claim, the lead's duplicate claim, the supplier's and the sold buyers' cap
// reservations, the sold buyers' duplicate claims) live in the LeadRun as owning handles: they go
// back by themselves when the run ends unless the lead was stored and committed them.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/lead.h"
#include "engine/auction.h"
#include "engine/balances.h"
#include "engine/caps_ledger.h"
#include "engine/holds.h"
#include "engine/intake.h"
#include "engine/plan.h"
#include "engine/timeline.h"
#include "storage/store.h"

namespace pp::buyers {
class Transport;
}

namespace pp::engine {

class Snapshot;
struct CompiledCheck;
struct EngineState;

struct LeadRun {
  using SteadyClock = std::chrono::steady_clock;

  LeadRun(EngineState& e, const IntakeRequest& r, buyers::Transport& t, LeadMode m,
          std::shared_ptr<const Snapshot> cur, SteadyClock::time_point start, UnixMs now_ms,
          const StageFault* fault)
      : engine(e),
        req(r),
        transport(t),
        mode(m),
        current(cur),
        snap(std::move(cur)),
        t0(start),
        now(now_ms),
        timeline(stages, start, fault) {}
  LeadRun(const LeadRun&) = delete;
  LeadRun& operator=(const LeadRun&) = delete;

  EngineState& engine;
  const IntakeRequest& req;
  buyers::Transport& transport;
  const LeadMode mode;
  // The configuration that authenticated the request (and runs its request stages), and the
  // lead's: the same, or for the post of a ping the one its ping ran on (set by ping_record).
  const std::shared_ptr<const Snapshot> current;
  std::shared_ptr<const Snapshot> snap;
  const CampaignConfig* campaign = nullptr;  // in `snap`
  const SupplierConfig* supplier = nullptr;  // in `snap`
  SteadyClock::time_point t0;
  UnixMs now;  // the lead's creation time (set again when the lead is created)

  Lead lead;
  DebugLog debug;
  storage::LeadExtras extras;
  std::vector<std::string> missing, invalid;  // the fields stage's findings
  std::vector<std::string> dedup_keys;        // the lead's duplicate-check keys

  // The post of a ping: its ping and the bids the supplier chose (indexes into its ranked bids).
  PingRecord ping;
  std::optional<std::vector<size_t>> chosen;
  // A supplier's ping: the auction's result.
  AuctionResult auction;
  Money exchange_payout;  // exchange: what the supplier earns (bids after margin of the sales)

  // Holds, in the order they are taken (released in reverse).
  std::vector<std::pair<std::string, int64_t>> request_keys;  // key, window (ms)
  std::vector<RequestHold> request_claims;
  std::optional<DedupHold> lead_claim;
  std::optional<CapLedger::Hold> supplier_hold;
  std::vector<DedupHold> buyer_claims;
  std::vector<CapLedger::Hold> sold_caps;
  std::vector<BalanceLedger::Hold> sold_balances;  // prepaid clients charged: committed once stored
  // Clients whose balance this lead's sales took to or below their minimum (buyer.paused, balance).
  std::vector<ClientId> balances_paused;
  // Cap rules this lead's sales fill (cap.reached, issue 18).
  std::vector<CapLedger::Reached> caps_reached;

  // Checks that run after the answer (async mode, issue 17): the campaign's (buyer 0) and buyers'.
  std::vector<std::pair<const CompiledCheck*, BuyerId>> async_checks;
  // Buyers whose own checks failed the lead: skipped in delivery ("Skipped: <provider>").
  std::unordered_map<BuyerId, std::string> buyer_check_failures;

  std::vector<StageRecord> stages;
  StageTimer timeline;

  bool exchange() const { return campaign->type == CampaignType::kPingPostExchange; }
  bool one_to_one() const { return campaign->type == CampaignType::kOneToOne; }
  // The lead takes the configured deadline from its start.
  SteadyClock::time_point delivery_deadline() const {
    return t0 + std::chrono::milliseconds(campaign->delivery_deadline_ms);
  }
};

// Walks the plan; the outcome of the stage that stopped or refused the lead, or nullopt when
// every stage let it go on.
boost::asio::awaitable<std::optional<StageOutcome>> run_plan(const RulePlan& plan, LeadRun& run);

}  // namespace pp::engine
