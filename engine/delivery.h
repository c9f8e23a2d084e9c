#pragma once
// Delivery of one lead (issue 13: out of engine.cpp): the distribution plan executed buyer by
// buyer for direct post (waterfall, rotations, groups), the exchange's ping stage (concurrent
// pings under one deadline, ranking) and its sell stage (posts in rank or chosen order, with
// fallback). Each buyer's filters, duplicate claim and cap reservation are taken just before it
// is tried, and go back by themselves unless it buys. Used by the delivery stages
// (delivery_stages.cpp), over one LeadRun. delivery.cpp: one buyer at a time (holds, calls,
// answers, the circuit breaker); waterfall.cpp: direct post's plan; exchange.cpp: the auction
// and the sale.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "buyers/response.h"
#include "buyers/transport.h"
#include "engine/auction.h"
#include "engine/engine_state.h"
#include "engine/holds.h"
#include "engine/lead_context.h"
#include "engine/pipeline.h"
#include "engine/snapshot.h"

namespace pp::engine {

// One HTTP exchange with a buyer: the raw answer and how it reads.
struct BuyerCall {
  buyers::HttpResult http;
  buyers::MappedResponse mapped;
};

inline int64_t micros_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               t0)
      .count();
}

// The debug log's record of one HTTP exchange.
HttpExchangeLog make_log(const buyers::OutboundRequest& req, const buyers::HttpResult& res);
// Fills a buyer outcome from a mapped answer that did not sell (`stage`: "ping" or "post").
void fail_outcome(BuyerOutcome& o, const BuyerCall& s, std::string_view stage);
// Records a buyer's outcome and the reason the engine gives for it in the debug log.
void mark(BuyerOutcome& o, BuyerDebug& d, BuyerStatus status, int code, std::string message,
          std::string decision);

// Duplicate-check keys stored with the lead, kept for the campaign's dupe_check days.
inline void keep_duplicate_keys(storage::LeadExtras& extras, const std::vector<std::string>& keys,
                                const std::string& lead_id, const CampaignConfig& campaign,
                                UnixMs now) {
  const int64_t until = now + int64_t(campaign.dupe_check.days) * 86400000;
  for (const auto& k : keys) extras.dedup.push_back({k, lead_id, until});
}

struct AuctionPings;  // an auction's pings in flight (delivery.cpp)

struct Delivery {
  // Delivers `run`'s lead until `deadline`.
  Delivery(LeadRun& run, std::chrono::steady_clock::time_point deadline)
      : engine(run.engine),
        snap(*run.snap),
        campaign(*run.campaign),
        lead(run.lead),
        debug(run.debug),
        transport(run.transport),
        deadline(deadline),
        now(run.now),
        lead_keys(run.dedup_keys),
        extras(run.extras),
        buyer_claims(run.buyer_claims),
        snap_ptr(run.snap),
        exchange_payout(run.exchange_payout),
        sold_caps(run.sold_caps),
        caps_reached(run.caps_reached),
        sold_balances(run.sold_balances),
        balances_paused(run.balances_paused),
        check_failures(run.buyer_check_failures) {}

  EngineState& engine;
  const Snapshot& snap;
  const CampaignConfig& campaign;
  Lead& lead;
  DebugLog& debug;
  buyers::Transport& transport;
  std::chrono::steady_clock::time_point deadline;
  UnixMs now;
  const std::vector<std::string>& lead_keys;  // duplicate-check keys of the lead
  storage::LeadExtras& extras;
  std::vector<DedupHold>& buyer_claims;  // buyer-level keys of sales: held until the lead is stored
  SnapshotPtr snap_ptr;
  Money& exchange_payout;  // exchange: what the supplier earns (bids after margin of the sales)
  std::vector<CapLedger::Hold>& sold_caps;  // buyers' settled cap holds: committed once stored
  std::vector<CapLedger::Reached>& caps_reached;  // rules the sales fill (cap.reached)
  std::vector<BalanceLedger::Hold>& sold_balances;
  std::vector<ClientId>& balances_paused;
  // Buyers whose own checks failed the lead (run_buyer_checks): skipped, "Skipped: <provider>".
  const std::unordered_map<BuyerId, std::string>& check_failures;

  // What a buyer holds while it is tried: its buyer-level duplicate claim and its cap
  // reservation. Both go back by themselves unless the buyer buys (settle_sale).
  struct BuyerHolds {
    std::optional<DedupHold> claim;
    CapLedger::Hold cap;
    BalanceLedger::Hold balance;  // a prepaid client's buyer (issue 20); inactive otherwise
    const BillingConfig* billing = nullptr;  // that client's billing (the lead's snapshot)
  };
  struct Refusal {
    BuyerStatus status;
    int code;
    std::string message;
    std::string decision;
  };
  // Takes a buyer's holds for a sale of `amount`, or says why the buyer cannot be tried.
  std::optional<BuyerHolds> hold_buyer(const BuyerConfig& b, Money amount, Refusal& why);
  // A buyer bought the lead: its cap use (test leads use up lead counts but never budget: they
  // are never billed) and its buyer-level duplicate keys are written with the lead; the claim is
  // kept until that write is durable.
  // A prepaid client's buyer is charged its price from the balance (at most what it held: a
  // real-time price above the whole balance sells at the balance, and `o.sell_price` says so).
  void settle_sale(BuyerHolds& holds, BuyerOutcome& o);
  static constexpr std::string_view kBalanceTooLow =
      "Balance too low: the client's prepaid balance cannot cover the lead";
  // The client's billing when its buyers pay from a balance (null otherwise, and for test leads:
  // never billed).
  const BillingConfig* prepaid_billing(const BuyerConfig& b) const;

  // One request to a buyer. `cookies`: what the buyer's ping answer set (sent with the post).
  boost::asio::awaitable<BuyerCall> call(const buyers::CompiledRequest& req,
                                         const buyers::CompiledMapping& map, const LeadContext& ctx,
                                         HttpExchangeLog& log,
                                         const std::vector<buyers::Cookie>* cookies = nullptr);

  // What a buyer's answer gave to keep: its lead id (the latest answer that has one) and `keep`
  // values (appended: the ping's, then the post's).
  static void keep_answer_values(BuyerOutcome& o, const buyers::MappedResponse& m);

  // The price of a real-time sale whose buyer named none: the buyer's or the campaign's
  // missing_price (fallback amount, or 0).
  Money missing_price(const BuyerConfig& b) const;

  // Whether a buyer may take this lead at all: its live pause state and delivery type
  // (routing::check_buyer), a compiled configuration, and its own filters.
  routing::Eligibility eligibility(const BuyerConfig& b, const EvalContext& ectx);

  // Circuit breaker (C6): false (and the outcome filled) when the buyer's circuit is open.
  bool admit(const BuyerConfig& b, BuyerOutcome& o, BuyerDebug& d);
  void record_health(const BuyerConfig& b, bool healthy);

  // Tries one buyer. Returns true when it bought the lead; `price` is then the sale price.
  boost::asio::awaitable<bool> try_buyer(const CompiledBuyer& cb, BuyerOutcome& o, BuyerDebug& d);

  // Exchange: sells one ranked bid. `ping_body` is the buyer's ping answer (ping_post buyers),
  // `cookies` what that answer set.
  boost::asio::awaitable<bool> deliver_bid(const CompiledBuyer& cb, BuyerOutcome& o, BuyerDebug& d,
                                           const std::string* ping_body,
                                           const std::vector<buyers::Cookie>& cookies, Money bid);

  // The exchange (D1-D5).
  // The ping stage (D1, D2): every eligible buyer asked at once under one deadline, bids ranked.
  boost::asio::awaitable<AuctionResult> auction(
      const SupplierConfig& supplier, std::chrono::steady_clock::time_point auction_deadline);
  // Who is asked: a ping for every eligible ping_post buyer with time left and a closed circuit;
  // buyers without a ping bid their own price; the rest are skipped (in `res`).
  void invite_bidders(AuctionResult& res, AuctionPings& st, std::vector<routing::Bid>& bids,
                      std::chrono::steady_clock::time_point auction_deadline);
  // The pings' answers: bids, or why there is none (late, rejected, no price).
  void read_pings(AuctionResult& res, const AuctionPings& st, std::vector<routing::Bid>& bids);

  // The sell stage (D3, D4): posts in rank order — or, when the supplier chose bids, in the order
  // it chose them (`chosen`: indexes into res.ranked) — with fallback while time remains; then
  // records every buyer on the lead. Exclusive sales sell once; shared sales up to their limit.
  boost::asio::awaitable<void> sell(AuctionResult& res, const std::vector<size_t>* chosen);

  boost::asio::awaitable<void> run_exchange(const SupplierConfig& supplier,
                                            std::chrono::steady_clock::time_point auction_deadline);

  void skip(BuyerOutcome o, BuyerDebug d, BuyerStatus st, int code, std::string reason);

  boost::asio::awaitable<void> run();
};

}  // namespace pp::engine
