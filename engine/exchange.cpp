// The exchange (D1-D5): the ping stage (every eligible buyer asked at once under one deadline,
// bids ranked) and the sell stage (posts in rank or chosen order, with fallback).
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/codes.h"
#include "engine/delivery.h"
#include "routing/pricing.h"
#include "routing/ranking.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

// The ping stage of an auction: every ping runs as its own coroutine on the lead's executor and
// writes only into this shared state (never into the lead), so the auction can close at its
// deadline while a ping is still out; a late answer lands here and is ignored.
struct AuctionPings {
  struct Slot {
    size_t buyer_index = 0;
    buyers::OutboundRequest request;
    BuyerCall step;
    bool done = false;
  };
  explicit AuctionPings(const asio::any_io_executor& ex) : timer(ex) {}
  std::vector<Slot> slots;
  size_t pending = 0;
  asio::steady_timer timer;  // expires at the auction deadline; cancelled when all pings are in
  SnapshotPtr snapshot;      // keeps the compiled mappings alive for late answers
};

namespace {
asio::awaitable<void> ping_one(std::shared_ptr<AuctionPings> st, size_t slot,
                               buyers::Transport& transport,
                               const buyers::CompiledMapping* mapping) {
  buyers::HttpResult res = co_await transport.send(st->slots[slot].request);
  auto& s = st->slots[slot];
  s.step.http = std::move(res);
  s.step.mapped = mapping->map(s.step.http, s.request.url);
  s.done = true;
  if (--st->pending == 0) st->timer.cancel();
}
}  // namespace

void Delivery::invite_bidders(AuctionResult& res, AuctionPings& st, std::vector<routing::Bid>& bids,
                              SteadyClock::time_point auction_deadline) {
  const size_t n = campaign.buyers.size();
  const EvalContext ectx{lead.fields, now};
  const ExchangeConfig& xc = campaign.exchange;
  for (size_t i = 0; i < n; ++i) {
    const BuyerConfig& b = campaign.buyers[i];
    if (b.archived) continue;  // deleted: not part of the campaign's leads any more
    BuyerDebug& d = res.dbg[i];
    d.buyer_id = b.id;
    d.type = b.type;
    BuyerOutcome o;
    o.buyer_id = b.id;
    routing::Eligibility e = eligibility(b, ectx);
    const CompiledBuyer* cb = snap.buyer(b.id);
    if (e.eligible && !b.caps.empty()) {
      // A buyer with no room left under its caps is not asked (the sale reserves for real).
      // (The trial reservation goes back at once.)
      std::string cap_failed;
      if (!engine.caps.reserve(CapOwner::kBuyer, b.id, b.caps, campaign.tz, now, Money(),
                               cap_failed)) {
        e = {false, BuyerStatus::kSkipped, code_int(Code::kBuyerCapReached),
             "Cap reached: " + cap_failed};
      }
    }
    if (e.eligible) {
      // A prepaid client's buyer whose balance is paused or spent is not asked (issue 20); the
      // sale holds its price for real.
      if (const BillingConfig* billing = prepaid_billing(b);
          billing != nullptr && !engine.balances.can_buy(b.client_id, billing->minimum_balance))
        e = {false, BuyerStatus::kSkipped, code_int(Code::kBuyerBalanceLow),
             std::string(kBalanceTooLow)};
    }
    if (e.eligible && b.type == DeliveryType::kPingPost && cb->ping) {
      auto share =
          auction_deadline - std::chrono::milliseconds(xc.network_buffer_ms) - SteadyClock::now();
      if (share < std::chrono::milliseconds(xc.min_buyer_time_ms)) {
        e = {false, BuyerStatus::kSkipped, code_int(Code::kPingTimeout),
             "Not enough time left to ping"};
      } else if (!admit(b, o, d)) {  // last: a granted probe must be followed by the call
        res.outcome[i] = o;
        res.skipped.push_back(i);
        continue;
      } else {
        LeadContext ctx(lead, campaign, now);
        ctx.set_buyer(b.id);
        AuctionPings::Slot slot;
        slot.buyer_index = i;
        slot.request = cb->ping->render(ctx, snap.config().outbound.user_agent);
        slot.request.deadline = auction_deadline - std::chrono::milliseconds(xc.network_buffer_ms);
        st.slots.push_back(std::move(slot));
        res.outcome[i] = o;
        continue;
      }
    } else if (e.eligible) {
      // Buyers without a ping bid their own price (static or conditional) (D: direct_post and
      // lead_store buyers in an exchange).
      if (auto price = routing::quoted_buyer_price(b.price, ectx)) {
        bids.push_back({i, *price});
        res.outcome[i] = o;
        continue;
      }
      e = {false, BuyerStatus::kSkipped, code_int(Code::kBuyerNotConfigured),
           "No price without a ping"};
    }
    mark(o, d, e.status, e.error_code, e.reason, "skipped: " + e.reason);
    res.outcome[i] = o;
    res.skipped.push_back(i);
  }
}

void Delivery::read_pings(AuctionResult& res, const AuctionPings& st,
                          std::vector<routing::Bid>& bids) {
  for (const auto& slot : st.slots) {
    size_t i = slot.buyer_index;
    BuyerOutcome& o = *res.outcome[i];
    BuyerDebug& d = res.dbg[i];
    record_health(campaign.buyers[i],
                  slot.done && slot.step.mapped.verdict != buyers::Verdict::kError);
    if (!slot.done) {
      o.status = BuyerStatus::kError;
      o.error_code = code_int(Code::kPingTimeout);
      o.error_message = "PING timeout exceeded";
      HttpExchangeLog log = make_log(slot.request, buyers::HttpResult{});
      log.transport_error = "no answer before the auction closed";
      d.ping = std::move(log);
      d.decision = "no bid: the auction closed first";
      res.ping_failures.push_back(i);
      continue;
    }
    d.ping = make_log(slot.request, slot.step.http);
    o.exec_time_us = slot.step.http.elapsed_us;
    res.ping_body[i] = slot.step.http.body;
    res.extra[i] = slot.step.mapped.extra;
    res.cookies[i] = slot.step.mapped.cookies;
    keep_answer_values(o, slot.step.mapped);
    if (slot.step.mapped.verdict == buyers::Verdict::kAccepted && slot.step.mapped.price) {
      bids.push_back({i, *slot.step.mapped.price});
      continue;
    }
    if (slot.step.mapped.verdict == buyers::Verdict::kAccepted) {
      o.status = BuyerStatus::kError;
      o.error_code = code_int(Code::kBuyerHttpError);
      o.error_message = "Accepted the ping without a bid";
    } else {
      fail_outcome(o, slot.step, "ping");
      if (o.error_code == code_int(Code::kBuyerTimeout)) {
        o.error_code = code_int(Code::kPingTimeout);
        o.error_message = "PING timeout exceeded";
      }
    }
    d.decision = "no bid: " + o.error_message;
    res.ping_failures.push_back(i);
  }
}

asio::awaitable<AuctionResult> Delivery::auction(const SupplierConfig& supplier,
                                                 SteadyClock::time_point auction_deadline) {
  AuctionResult res;
  const size_t n = campaign.buyers.size();
  res.outcome.assign(n, std::nullopt);
  res.dbg.assign(n, BuyerDebug{});
  res.ping_body.assign(n, std::nullopt);
  res.extra.assign(n, {});
  res.cookies.assign(n, {});
  std::vector<routing::Bid> bids;
  auto ex = co_await asio::this_coro::executor;
  auto st = std::make_shared<AuctionPings>(ex);
  st->snapshot = snap_ptr;
  invite_bidders(res, *st, bids, auction_deadline);

  // All pings at once; the auction closes when every ping is in or at its deadline.
  st->pending = st->slots.size();
  if (st->pending > 0) {
    st->timer.expires_at(auction_deadline);
    for (size_t k = 0; k < st->slots.size(); ++k) {
      const CompiledBuyer* cb = snap.buyer(campaign.buyers[st->slots[k].buyer_index].id);
      engine.buyer_calls.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(ex, ping_one(st, k, transport, &*cb->ping_mapping), asio::detached);
    }
    // A ping that completes without suspending (an answer already there, a URL refused before
    // any I/O) runs to its end inside co_spawn: when every ping did, the timer's cancel came
    // before this wait and nothing would wake it before the deadline.
    if (st->pending > 0) co_await st->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  read_pings(res, *st, bids);

  res.ranked = routing::rank_bids(campaign, supplier, bids);
  for (size_t k = 0; k < res.ranked.size(); ++k) {
    const routing::RankedBid& r = res.ranked[k];
    res.bid_ids.push_back(thread_id_generator().uuid_v4());
    BuyerDebug& d = res.dbg[r.buyer_index];
    d.has_bid = true;
    d.bid_raw = r.raw;
    d.bid_adjusted = r.after_margin;
    d.rank = int(k + 1);
  }
  co_return res;
}

asio::awaitable<void> Delivery::sell(AuctionResult& res, const std::vector<size_t>* chosen) {
  const ExchangeConfig& xc = campaign.exchange;
  auto& outcome = res.outcome;
  auto& dbg = res.dbg;
  std::vector<size_t> try_order;  // indexes into res.ranked
  if (chosen) {
    try_order = *chosen;
  } else {
    for (size_t k = 0; k < res.ranked.size(); ++k) try_order.push_back(k);
  }
  std::vector<bool> tried(res.ranked.size(), false);
  const uint32_t total_limit = routing::total_sales_limit(campaign);
  uint32_t max_sales =
      xc.shared ? (xc.shared_max_buyers ? xc.shared_max_buyers : uint32_t(res.ranked.size())) : 1;
  if (total_limit != 0) max_sales = std::min(max_sales, total_limit);
  uint32_t sales = 0;
  std::vector<size_t> order;
  for (size_t k : try_order) {
    if (k >= res.ranked.size() || tried[k]) continue;
    tried[k] = true;
    const routing::RankedBid& r = res.ranked[k];
    size_t i = r.buyer_index;
    order.push_back(i);
    BuyerOutcome& o = *outcome[i];
    BuyerDebug& d = dbg[i];
    const BuyerConfig& b = campaign.buyers[i];
    if (!res.removed.empty() && res.removed[i]) {
      mark(o, d, BuyerStatus::kSkipped, code_int(Code::kBuyerNotConfigured),
           "Buyer removed since the ping", "bid, not posted: removed from the configuration");
      continue;
    }
    if (auto it = check_failures.find(b.id); it != check_failures.end()) {
      mark(o, d, BuyerStatus::kSkipped, code_int(Code::kFailedValidation), it->second,
           "bid, not posted: the buyer's check failed the lead");
      continue;
    }
    if (!r.offered || sales >= max_sales) {
      o.status = BuyerStatus::kOutbid;
      o.error_message = r.offered ? "Outbid" : "Bid below the minimum buyer bid";
      d.decision = "outbid: " + r.reason;
      continue;
    }
    if (SteadyClock::now() + std::chrono::milliseconds(5) >= deadline) {
      mark(o, d, BuyerStatus::kPinged, code_int(Code::kBuyerTimeout),
           "Delivery deadline reached before the post", "bid, not posted: " + r.reason);
      continue;
    }
    Refusal why;
    auto holds = hold_buyer(b, r.raw, why);
    if (!holds) {
      mark(o, d, why.status, why.code, std::move(why.message), std::move(why.decision));
      continue;
    }
    const std::string* ping_body = res.ping_body[i] ? &*res.ping_body[i] : nullptr;
    d.decision = r.reason;
    bool sold = co_await deliver_bid(*snap.buyer(b.id), o, d, ping_body, res.cookies[i], r.raw);
    if (sold) {
      settle_sale(*holds, o);
      exchange_payout += r.after_margin;
      ++sales;
    }
  }
  // Bids the supplier did not choose (or that were never reached) are outbid.
  for (size_t k = 0; k < res.ranked.size(); ++k) {
    if (tried[k]) continue;
    size_t i = res.ranked[k].buyer_index;
    outcome[i]->status = BuyerStatus::kOutbid;
    outcome[i]->error_message = chosen ? "Not chosen" : "Outbid";
    dbg[i].decision = (chosen ? "not chosen: " : "outbid: ") + res.ranked[k].reason;
    order.push_back(i);
  }
  for (size_t i : res.ping_failures) order.push_back(i);
  for (size_t i : res.skipped) order.push_back(i);
  for (size_t i : order) {
    lead.buyers.push_back(std::move(*outcome[i]));
    debug.buyers.push_back(std::move(dbg[i]));
  }
}

asio::awaitable<void> Delivery::run_exchange(const SupplierConfig& supplier,
                                             SteadyClock::time_point auction_deadline) {
  AuctionResult res = co_await auction(supplier, auction_deadline);
  co_await sell(res, nullptr);
}

}  // namespace pp::engine
