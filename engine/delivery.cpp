// Delivery's buyer-by-buyer machinery (engine/delivery.h): holds, requests, answers read into
// outcomes, the circuit breaker. The waterfall is in waterfall.cpp, the exchange in exchange.cpp.
#include "engine/delivery.h"

#include "core/codes.h"
#include "core/text.h"
#include "engine/events.h"
#include "routing/filters.h"
#include "routing/pricing.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

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

void mark(BuyerOutcome& o, BuyerDebug& d, BuyerStatus status, int code, std::string message,
          std::string decision) {
  o.status = status;
  o.error_code = code;
  o.error_message = std::move(message);
  d.decision = std::move(decision);
}

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
  if (const BillingConfig* billing = prepaid_billing(b)) {
    auto held = engine.balances.reserve(b.client_id, amount, billing->minimum_balance);
    if (!held) {
      why = {BuyerStatus::kSkipped, code_int(Code::kBuyerBalanceLow), std::string(kBalanceTooLow),
             "skipped: balance too low"};
      return std::nullopt;
    }
    h.balance = std::move(*held);
    h.billing = billing;
  }
  return h;
}

const BillingConfig* Delivery::prepaid_billing(const BuyerConfig& b) const {
  if (!b.prepaid || lead.test) return nullptr;
  const ClientConfig* c = snap.config().find_client(b.client_id);
  return c != nullptr && c->billing.prepaid() ? &c->billing : nullptr;
}

void Delivery::settle_sale(BuyerHolds& holds, BuyerOutcome& o) {
  if (holds.balance.active()) {
    bool crossed = false;
    const Money charged =
        engine.balances.settle(holds.balance, o.sell_price, holds.billing->minimum_balance, lead.id,
                               now, extras.postings, crossed);
    if (charged < o.sell_price) o.sell_price = charged;
    if (charged.units() > 0) o.charged_client = holds.balance.client();
    if (crossed) balances_paused.push_back(holds.balance.client());
    sold_balances.push_back(std::move(holds.balance));  // committed once the lead is stored
  }
  engine.caps.settle(holds.cap, lead.test ? Money() : o.sell_price, extras.counter_deltas,
                     &caps_reached);
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
  if (e.eligible) {
    if (auto it = check_failures.find(b.id); it != check_failures.end())
      return {false, BuyerStatus::kSkipped, code_int(Code::kFailedValidation), it->second};
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

void Delivery::record_health(const BuyerConfig& b, bool healthy) {
  if (snap.config().outbound.breaker_failures == 0) return;
  const UnixMs t = engine.clock.now_ms();
  const BuyerHealth::Change c = engine.health.record(b.id, healthy, t);
  if (c == BuyerHealth::Change::kNone) return;
  // buyer.paused / buyer.resumed (issue 18): the circuit is memory only, so the event is written
  // on its own with the next group commit rather than with this lead.
  EventBatch events(snap.config(), t);
  events.add_buyer(
      c == BuyerHealth::Change::kOpened ? EventType::kBuyerPaused : EventType::kBuyerResumed,
      PauseCause::kCircuitOpen, campaign.id, b.id, lead.id);
  if (!events.empty()) engine.store.add_deliveries(std::move(events.puts()));
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
    record_health(b, s.mapped.verdict != buyers::Verdict::kError);
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
  record_health(b, s.mapped.verdict != buyers::Verdict::kError);
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
  record_health(b, s.mapped.verdict != buyers::Verdict::kError);
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

void Delivery::skip(BuyerOutcome o, BuyerDebug d, BuyerStatus st, int code, std::string reason) {
  std::string decision = "skipped: " + reason;
  mark(o, d, st, code, std::move(reason), std::move(decision));
  lead.buyers.push_back(std::move(o));
  debug.buyers.push_back(std::move(d));
}

}  // namespace pp::engine
