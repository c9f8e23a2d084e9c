#include "engine/settlement.h"

#include <string>

#include "core/codes.h"
#include "engine/day_rows.h"
#include "routing/pricing.h"

namespace pp::engine {

namespace {

using rollup::Kind;

rollup::Key key(Kind kind, const Lead& lead, int64_t a, int64_t b = 0) {
  rollup::Key k;
  k.kind = kind;
  k.campaign = lead.campaign_id;
  k.slot_ms = rollup::slot_of(lead.created_ms);
  k.a = a;
  k.b = b;
  return k;
}

rollup::Key subids_key(const Lead& lead) {
  rollup::Key k = key(Kind::kSubids, lead, lead.supplier_id);
  std::vector<std::string> subs;
  for (size_t i = 1; i <= rollup::kSubids; ++i) {
    const std::string* v = find_field(lead.fields, "lp_subid" + std::to_string(i));
    subs.push_back(v ? *v : std::string());
  }
  k.subids = rollup::join_subids(subs);
  return k;
}

const BuyerDebug* debug_of(const DebugLog& debug, BuyerId id) {
  for (const auto& d : debug.buyers) {
    if (d.buyer_id == id) return &d;
  }
  return nullptr;
}

// Adds the same supplier metric to the 'S' and 'U' rows.
struct SupplierRows {
  SupplierRows(std::vector<rollup::Delta>& out, rollup::Key s_key, rollup::Key u_key)
      : s(std::move(s_key)),
        u(std::move(u_key)),
        s_row(out, s, rollup::sm::kCount),
        u_row(out, u, rollup::sm::kCount) {}
  rollup::Key s, u;
  rollup::Row s_row, u_row;
  void add(size_t metric, int64_t amount) {
    s_row.add(metric, amount);
    u_row.add(metric, amount);
  }
};

// The rows' day rows, when the lead's campaign has a zone.
std::vector<rollup::Delta> with_day_rows(std::vector<rollup::Delta> out, const Lead& lead,
                                         const TimeZone* day_zone) {
  if (day_zone != nullptr && !out.empty())
    rollup::add_day_rows(out, local_day_start(*day_zone, lead.created_ms));
  return out;
}

}  // namespace

BuyerTally tally(const BuyerOutcome& o, const BuyerDebug* d) {
  BuyerTally t;
  t.ping = d != nullptr && d->ping.has_value();
  t.ping_bid = t.ping && d->has_bid;
  if (t.ping && !t.ping_bid) return t;  // failed at the ping: not a lead for this buyer
  t.lead = o.status == BuyerStatus::kAccepted || o.status == BuyerStatus::kDuplicated ||
           o.status == BuyerStatus::kError;
  return t;
}

std::vector<Money> cost_shares(const Lead& lead) {
  std::vector<Money> out(lead.buyers.size());
  int64_t total_price = 0;
  size_t sold = 0;
  for (const auto& o : lead.buyers) {
    if (o.status != BuyerStatus::kAccepted) continue;
    total_price += o.sell_price.units();
    ++sold;
  }
  if (sold == 0) return out;
  const int64_t cost = lead.cost.units();
  int64_t given = 0;
  size_t first = lead.buyers.size();
  for (size_t i = 0; i < lead.buyers.size(); ++i) {
    const auto& o = lead.buyers[i];
    if (o.status != BuyerStatus::kAccepted) continue;
    if (first == lead.buyers.size()) first = i;
    int64_t share = total_price > 0 ? int64_t(__int128(cost) * o.sell_price.units() / total_price)
                                    : cost / int64_t(sold);
    out[i] = Money::from_units(share);
    given += share;
  }
  out[first] += Money::from_units(cost - given);  // rounding remainder
  return out;
}

std::vector<rollup::Delta> lead_rollups(const Lead& lead, const DebugLog& debug,
                                        const TimeZone* day_zone) {
  std::vector<rollup::Delta> out;
  if (lead.test) return out;
  using namespace rollup;
  SupplierRows sup{out, key(Kind::kSupplier, lead, lead.supplier_id), subids_key(lead)};
  sup.add(sm::kLeads, 1);
  switch (lead.status) {
    case LeadStatus::kAccepted:
      sup.add(sm::kAccepted, 1);
      break;
    case LeadStatus::kDuplicated:
      sup.add(sm::kDuplicated, 1);
      break;
    case LeadStatus::kError:
      sup.add(sm::kFailed, 1);
      break;
  }
  sup.add(sm::kCost, lead.cost.units());
  sup.add(sm::kRevenue, lead.revenue.units());
  const bool from_ping = find_field(lead.fields, "lp_ping_id") != nullptr;
  if (from_ping) sup.add(sm::kPingPosts, 1);

  std::vector<Money> shares = cost_shares(lead);
  for (size_t i = 0; i < lead.buyers.size(); ++i) {
    const BuyerOutcome& o = lead.buyers[i];
    BuyerTally t = tally(o, debug_of(debug, o.buyer_id));
    const Key bk = key(Kind::kBuyer, lead, o.buyer_id);
    Row b(out, bk, bm::kCount);
    if (t.ping && !from_ping) {
      b.add(bm::kPings, 1);
      b.add(t.ping_bid ? bm::kPingsAccepted : bm::kPingsFailed, 1);
    }
    if (!t.lead) continue;
    b.add(bm::kLeads, 1);
    if (o.status == BuyerStatus::kAccepted) {
      b.add(bm::kAccepted, 1);
      b.add(bm::kRevenue, o.sell_price.units());
      const Key xk = key(Kind::kCross, lead, lead.supplier_id, o.buyer_id);
      Row x(out, xk, xm::kCount);
      x.add(xm::kSold, 1);
      x.add(xm::kRevenue, o.sell_price.units());
      x.add(xm::kCost, shares[i].units());
    } else if (o.status == BuyerStatus::kDuplicated) {
      b.add(bm::kDuplicated, 1);
    } else {
      b.add(bm::kFailed, 1);
    }
  }
  return with_day_rows(std::move(out), lead, day_zone);
}

std::vector<rollup::Delta> return_rollups(const Lead& lead, const TimeZone* day_zone) {
  std::vector<rollup::Delta> out;
  if (lead.test || lead.status != LeadStatus::kAccepted) return out;
  using namespace rollup;
  SupplierRows sup{out, key(Kind::kSupplier, lead, lead.supplier_id), subids_key(lead)};
  sup.add(sm::kReturned, 1);
  sup.add(sm::kReturnedCost, lead.cost.units());
  sup.add(sm::kReturnedRevenue, lead.revenue.units());
  std::vector<Money> shares = cost_shares(lead);
  for (size_t i = 0; i < lead.buyers.size(); ++i) {
    const BuyerOutcome& o = lead.buyers[i];
    if (o.status != BuyerStatus::kAccepted || !o.returned) continue;
    Key bk = key(Kind::kBuyer, lead, o.buyer_id);
    add_delta(out, bk, bm::kReturned, 1, bm::kCount);
    add_delta(out, bk, bm::kReturnedRevenue, o.sell_price.units(), bm::kCount);
    Key xk = key(Kind::kCross, lead, lead.supplier_id, o.buyer_id);
    add_delta(out, xk, xm::kReturned, 1, xm::kCount);
    add_delta(out, xk, xm::kReturnedRevenue, o.sell_price.units(), xm::kCount);
    add_delta(out, xk, xm::kReturnedCost, shares[i].units(), xm::kCount);
  }
  return with_day_rows(std::move(out), lead, day_zone);
}

std::vector<rollup::Delta> ping_rollups(const Lead& shape, bool accepted, Money best_offer,
                                        const std::vector<BuyerDebug>& buyers,
                                        const TimeZone* day_zone) {
  using namespace rollup;
  std::vector<Delta> out;
  SupplierRows sup{out, key(Kind::kSupplier, shape, shape.supplier_id), subids_key(shape)};
  sup.add(sm::kPings, 1);
  sup.add(accepted ? sm::kPingsAccepted : sm::kPingsFailed, 1);
  if (accepted) sup.add(sm::kPingBidSum, best_offer.units());
  for (const auto& d : buyers) {
    if (!d.ping) continue;
    Key bk = key(Kind::kBuyer, shape, d.buyer_id);
    add_delta(out, bk, bm::kPings, 1, bm::kCount);
    add_delta(out, bk, d.has_bid ? bm::kPingsAccepted : bm::kPingsFailed, 1, bm::kCount);
  }
  return with_day_rows(std::move(out), shape, day_zone);
}

std::vector<rollup::Delta> preping_rollups(const Lead& shape, bool accepted,
                                           const TimeZone* day_zone) {
  using namespace rollup;
  std::vector<Delta> out;
  SupplierRows sup{out, key(Kind::kSupplier, shape, shape.supplier_id), subids_key(shape)};
  sup.add(sm::kPrepings, 1);
  sup.add(accepted ? sm::kPrepingsAccepted : sm::kPrepingsFailed, 1);
  return with_day_rows(std::move(out), shape, day_zone);
}

void settle_outcome(Lead& lead, bool real_time_payout, Money exchange_payout,
                    const Pricing& supplier_price, const EvalContext& ectx) {
  size_t sold = 0, attempted = 0, rejected = 0, duplicated = 0, ping_timeouts = 0;
  Money revenue;
  for (const auto& o : lead.buyers) {
    if (o.error_code == code_int(Code::kPingTimeout)) ++ping_timeouts;
    if (o.status == BuyerStatus::kAccepted) {
      ++sold;
      revenue += o.sell_price;
    }
    if (o.status != BuyerStatus::kSkipped) ++attempted;
    if (o.error_code == code_int(Code::kRejectedByBuyer)) ++rejected;
    if (o.status == BuyerStatus::kDuplicated) ++duplicated;
  }
  auto fail = [&](Code code, const char* message, LeadStatus status = LeadStatus::kError) {
    lead.status = status;
    lead.error_code = code_int(code);
    lead.error_message = message;
  };
  if (sold > 0) {
    lead.status = LeadStatus::kAccepted;
    lead.error_code = 0;
    lead.revenue = revenue;
    lead.cost = real_time_payout ? exchange_payout
                                 : routing::supplier_payout(supplier_price, ectx, revenue, true);
    if (lead.test) {  // A6: test leads are never billed
      lead.revenue = Money();
      lead.cost = Money();
      for (auto& o : lead.buyers) o.sell_price = Money();
    }
  } else if (attempted > 0 && duplicated == attempted) {
    fail(Code::kDuplicated, "Duplicated by buyer", LeadStatus::kDuplicated);
  } else if (real_time_payout && attempted > 0 && ping_timeouts == attempted) {
    fail(Code::kPingTimeout, "PING timeout exceeded");
  } else if (attempted == 1 && rejected == 1) {
    fail(Code::kRejectedByBuyer, "Rejected by buyer");
  } else {
    fail(Code::kNoBuyers, "No buyers available");
  }
}

}  // namespace pp::engine
