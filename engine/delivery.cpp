#include "engine/delivery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/codes.h"
#include "core/text.h"
#include "routing/filters.h"
#include "routing/pricing.h"
#include "routing/ranking.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

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

// Fills a buyer outcome from a mapped answer that did not sell.
void fail_outcome(BuyerOutcome& o, const BuyerCall& s, std::string_view stage) {
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

// Records a buyer's outcome and the reason the engine gives for it in the debug log.
void mark(BuyerOutcome& o, BuyerDebug& d, BuyerStatus status, int code, std::string message,
          std::string decision) {
  o.status = status;
  o.error_code = code;
  o.error_message = std::move(message);
  d.decision = std::move(decision);
}

}  // namespace

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

std::optional<Delivery::BuyerHolds> Delivery::hold_buyer(const BuyerConfig& b, Money amount,
                                                         Refusal& why) {
  BuyerHolds h;
  if (campaign.dupe_check.buyer_level && !lead_keys.empty()) {
    std::string holder;
    h.claim =
        DedupHold::take(engine.dedup, DedupTable::for_buyer(lead_keys, b.id), lead.id, now, holder);
    if (!h.claim) {
      why = {BuyerStatus::kDuplicated, code_int(Code::kDuplicated),
             "Duplicate: the buyer already has this lead (" + holder + ")",
             "skipped: duplicate for this buyer"};
      return std::nullopt;
    }
  }
  std::string cap_failed;
  auto cap =
      engine.caps.reserve(CapOwner::kBuyer, b.id, b.caps, campaign.tz, now, amount, cap_failed);
  if (!cap) {
    why = {BuyerStatus::kSkipped, code_int(Code::kBuyerCapReached), "Cap reached: " + cap_failed,
           "skipped: cap reached"};
    return std::nullopt;
  }
  h.cap = std::move(*cap);
  return h;
}

void Delivery::settle_sale(BuyerHolds& holds, const BuyerOutcome& o) {
  engine.caps.settle(holds.cap, lead.test ? Money() : o.sell_price, extras.counter_deltas);
  sold_caps.push_back(std::move(holds.cap));  // committed once the lead is stored
  if (holds.claim) {
    keep_duplicate_keys(extras, holds.claim->keys(), lead.id, campaign, now);
    buyer_claims.push_back(std::move(*holds.claim));
  }
}

asio::awaitable<BuyerCall> Delivery::call(const buyers::CompiledRequest& req,
                                          const buyers::CompiledMapping& map,
                                          const LeadContext& ctx, HttpExchangeLog& log,
                                          const std::vector<buyers::Cookie>* cookies) {
  BuyerCall s;
  buyers::OutboundRequest out = req.render(ctx, snap.config().outbound.user_agent);
  out.deadline = deadline;
  if (cookies) buyers::add_cookies(out, *cookies);
  engine.buyer_calls.fetch_add(1, std::memory_order_relaxed);
  s.http = co_await transport.send(out);
  s.mapped = map.map(s.http, out.url);
  log = make_log(out, s.http);
  co_return s;
}

void Delivery::keep_answer_values(BuyerOutcome& o, const buyers::MappedResponse& m) {
  if (!m.buyer_lead_id.empty()) o.buyer_lead_id = m.buyer_lead_id;
  o.kept.insert(o.kept.end(), m.kept.begin(), m.kept.end());
}

Money Delivery::missing_price(const BuyerConfig& b) const {
  const MissingPriceConfig& mp = b.missing_price ? *b.missing_price : campaign.missing_price;
  return mp.action == MissingPriceConfig::Action::kFallback ? mp.amount : Money();
}

routing::Eligibility Delivery::eligibility(const BuyerConfig& b, const EvalContext& ectx) {
  routing::Eligibility e = routing::check_buyer(b, b.paused);
  if (e.eligible && snap.buyer(b.id) == nullptr) {
    return {false, BuyerStatus::kSkipped, code_int(Code::kBuyerNotConfigured),
            "Buyer is not configured"};
  }
  std::vector<std::string_view> failed;
  if (e.eligible && !routing::passes_filters(b.filters, ectx, &failed)) {
    std::vector<std::string> names(failed.begin(), failed.end());
    return {false, BuyerStatus::kSkipped, code_int(Code::kFiltered), "Filtered: " + join(names)};
  }
  return e;
}

bool Delivery::admit(const BuyerConfig& b, BuyerOutcome& o, BuyerDebug& d) {
  if (snap.config().outbound.breaker_failures == 0) return true;
  switch (engine.health.admit(b.id, engine.clock.now_ms())) {
    case BuyerHealth::Gate::kPass:
      return true;
    case BuyerHealth::Gate::kProbe:
      d.decision = "circuit half-open: this call is the probe; ";
      return true;
    case BuyerHealth::Gate::kOpen:
      mark(o, d, BuyerStatus::kSkipped, code_int(Code::kBuyerCircuitOpen),
           "Circuit open: the buyer keeps failing", "skipped: circuit open");
      return false;
  }
  return true;
}

void Delivery::record_health(const BuyerConfig& b, const BuyerCall& s) {
  if (snap.config().outbound.breaker_failures == 0) return;
  engine.health.record(b.id, s.mapped.verdict != buyers::Verdict::kError, engine.clock.now_ms());
}

asio::awaitable<bool> Delivery::try_buyer(const CompiledBuyer& cb, BuyerOutcome& o, BuyerDebug& d) {
  const BuyerConfig& b = *cb.config;
  LeadContext ctx(lead, campaign, now);
  ctx.set_buyer(b.id);
  const auto t0 = SteadyClock::now();
  const EvalContext ectx{lead.fields, now};
  std::optional<Money> price = routing::quoted_buyer_price(b.price, ectx);

  if (b.type == DeliveryType::kLeadStore) {
    o.status = BuyerStatus::kAccepted;
    o.sell_price = price.value_or(Money());
    d.decision = "stored for the buyer (lead_store)";
    co_return true;
  }

  if (!admit(b, o, d)) co_return false;
  std::optional<Money> bid;
  std::string ping_body;
  std::vector<buyers::Cookie> ping_cookies;
  if (b.type == DeliveryType::kPingPost && cb.ping && cb.ping_mapping) {
    HttpExchangeLog log;
    BuyerCall s = co_await call(*cb.ping, *cb.ping_mapping, ctx, log);
    record_health(b, s);
    d.ping = std::move(log);
    keep_answer_values(o, s.mapped);
    if (s.mapped.verdict != buyers::Verdict::kAccepted) {
      fail_outcome(o, s, "ping");
      o.exec_time_us = micros_since(t0);
      d.decision = "ping not accepted";
      co_return false;
    }
    bid = s.mapped.price;
    if (bid) {
      d.has_bid = true;
      d.bid_raw = *bid;
      d.bid_adjusted = *bid;
    }
    ping_cookies = std::move(s.mapped.cookies);
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
  BuyerCall s = co_await call(*cb.post, *cb.post_mapping, ctx, log, &ping_cookies);
  record_health(b, s);
  d.post = std::move(log);
  o.exec_time_us = micros_since(t0);
  keep_answer_values(o, s.mapped);
  if (s.mapped.verdict == buyers::Verdict::kAccepted) {
    std::optional<Money> answered = s.mapped.price ? s.mapped.price : bid;
    std::optional<Money> final_price = routing::final_buyer_price(b.price, ectx, answered);
    o.status = BuyerStatus::kAccepted;
    if (final_price) {
      o.sell_price = *final_price;
      d.decision = "accepted at " + final_price->to_string();
    } else {
      // A buyer that took the lead is a sale, price or not (C4): the campaign's missing_price.
      o.sell_price = missing_price(b);
      o.price_missing = true;
      d.decision = "accepted without a price: sold at " + o.sell_price.to_string() +
                   " (missing_price, flagged)";
    }
    if (!s.mapped.redirect_url.empty() && lead.redirect_url.empty()) {
      lead.redirect_url = s.mapped.redirect_url;
    }
    co_return true;
  }
  fail_outcome(o, s, "post");
  d.decision = std::string("not sold: ") + o.error_message;
  co_return false;
}

asio::awaitable<bool> Delivery::deliver_bid(const CompiledBuyer& cb, BuyerOutcome& o, BuyerDebug& d,
                                            const std::string* ping_body,
                                            const std::vector<buyers::Cookie>& cookies, Money bid) {
  const BuyerConfig& b = *cb.config;
  const auto t0 = SteadyClock::now();
  if (b.type == DeliveryType::kLeadStore) {
    o.status = BuyerStatus::kAccepted;
    o.sell_price = bid;
    d.decision = "won at " + bid.to_string() + "; stored for the buyer (lead_store)";
    co_return true;
  }
  LeadContext ctx(lead, campaign, now);
  ctx.set_buyer(b.id);
  ctx.set_ping_response(ping_body);
  HttpExchangeLog log;
  BuyerCall s = co_await call(*cb.post, *cb.post_mapping, ctx, log, &cookies);
  record_health(b, s);
  d.post = std::move(log);
  o.exec_time_us += micros_since(t0);
  keep_answer_values(o, s.mapped);
  if (s.mapped.verdict == buyers::Verdict::kAccepted) {
    // A real-time buyer may confirm a different price in its post answer.
    Money price =
        b.price.kind == Pricing::Kind::kRealTime && s.mapped.price ? *s.mapped.price : bid;
    o.status = BuyerStatus::kAccepted;
    o.sell_price = price;
    if (!s.mapped.redirect_url.empty() && lead.redirect_url.empty())
      lead.redirect_url = s.mapped.redirect_url;
    d.decision = "won; accepted at " + price.to_string();
    co_return true;
  }
  fail_outcome(o, s, "post");
  d.decision = "won; post not accepted: " + o.error_message;
  co_return false;
}

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
    if (snap.config().outbound.breaker_failures != 0) {
      bool healthy = slot.done && slot.step.mapped.verdict != buyers::Verdict::kError;
      engine.health.record(campaign.buyers[i].id, healthy, engine.clock.now_ms());
    }
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
    co_await st->timer.async_wait(asio::as_tuple(asio::use_awaitable));
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

void Delivery::skip(BuyerOutcome o, BuyerDebug d, BuyerStatus st, int code, std::string reason) {
  std::string decision = "skipped: " + reason;
  mark(o, d, st, code, std::move(reason), std::move(decision));
  lead.buyers.push_back(std::move(o));
  debug.buyers.push_back(std::move(d));
}

asio::awaitable<void> Delivery::run() {
  const size_t n = campaign.buyers.size();
  const EvalContext ectx{lead.fields, now};
  routing::Candidates cand;
  cand.eligible.assign(n, false);
  cand.price.assign(n, std::nullopt);
  // Buyers that cannot take this lead at all, recorded after the ones that were tried.
  std::vector<std::pair<size_t, routing::Eligibility>> ineligible;
  for (size_t i = 0; i < n; ++i) {
    const BuyerConfig& b = campaign.buyers[i];
    if (b.archived) continue;  // deleted: not part of the campaign's leads any more
    routing::Eligibility e = eligibility(b, ectx);
    if (!e.eligible) {
      ineligible.emplace_back(i, std::move(e));
      continue;
    }
    cand.eligible[i] = true;
    cand.price[i] = routing::quoted_buyer_price(b.price, ectx);
  }

  std::vector<routing::PlannedGroup> plan;
  {
    std::lock_guard lk(engine.rotation_mu);
    plan =
        routing::plan_distribution(campaign, cand, [&](int64_t group) -> routing::RotationState& {
          return engine.rotation[std::to_string(campaign.id) + "/" + std::to_string(group)];
        });
  }

  const uint32_t total_limit = routing::total_sales_limit(campaign);
  uint32_t sales = 0;
  for (const auto& group : plan) {
    uint32_t group_sales = 0;
    for (size_t i : group.buyers) {
      if (total_limit != 0 && sales >= total_limit) break;
      if (group.max_sales != 0 && group_sales >= group.max_sales) break;
      const BuyerConfig& b = campaign.buyers[i];
      BuyerOutcome o;
      o.buyer_id = b.id;
      BuyerDebug d;
      d.buyer_id = b.id;
      d.type = b.type;
      if (SteadyClock::now() + std::chrono::milliseconds(5) >= deadline) {
        skip(std::move(o), std::move(d), BuyerStatus::kSkipped, code_int(Code::kBuyerTimeout),
             "Delivery deadline reached");
        continue;
      }
      // Buyer-level duplicate check (only buyers that already bought this lead are skipped)
      // and the buyer's caps.
      Refusal why;
      auto holds = hold_buyer(b, cand.price[i].value_or(Money()), why);
      if (!holds) {
        skip(std::move(o), std::move(d), why.status, why.code, std::move(why.message));
        continue;
      }
      bool sold = co_await try_buyer(*snap.buyer(b.id), o, d);
      if (sold) {
        settle_sale(*holds, o);
        ++sales;
        ++group_sales;
      }
      lead.buyers.push_back(std::move(o));
      debug.buyers.push_back(std::move(d));
    }
    if (group_sales > 0 && group.stop_if_sold) break;
  }
  for (auto& [i, e] : ineligible) {
    BuyerOutcome o;
    o.buyer_id = campaign.buyers[i].id;
    BuyerDebug d;
    d.buyer_id = o.buyer_id;
    d.type = campaign.buyers[i].type;
    skip(std::move(o), std::move(d), e.status, e.error_code, e.reason);
  }
}

}  // namespace pp::engine
