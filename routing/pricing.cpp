#include "routing/pricing.h"

namespace pp::routing {

namespace {
std::optional<Money> rule_price(const Pricing& p, const EvalContext& ctx) {
  for (const auto& r : p.rules) {
    if (!r.when.matches(ctx)) continue;
    if (r.amount) return *r.amount;
    if (const std::string* v = find_field(ctx.fields, r.from_field)) {
      if (auto m = Money::parse(*v)) return *m;
    }
  }
  return std::nullopt;
}
}  // namespace

std::optional<Money> quoted_buyer_price(const Pricing& p, const EvalContext& ctx) {
  switch (p.kind) {
    case Pricing::Kind::kStatic:
      return p.amount;
    case Pricing::Kind::kConditional: {
      auto r = rule_price(p, ctx);
      return r ? *r : p.amount;
    }
    case Pricing::Kind::kRealTime:
    case Pricing::Kind::kRevenueShare:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Money> final_buyer_price(const Pricing& p, const EvalContext& ctx,
                                       std::optional<Money> answered) {
  if (p.kind == Pricing::Kind::kRealTime) return answered;
  return quoted_buyer_price(p, ctx);
}

Money supplier_payout(const Pricing& p, const EvalContext& ctx, Money revenue, bool sold) {
  if (!sold) return Money();
  switch (p.kind) {
    case Pricing::Kind::kStatic:
      return p.amount;
    case Pricing::Kind::kConditional: {
      auto r = rule_price(p, ctx);
      return r ? *r : p.amount;
    }
    case Pricing::Kind::kRevenueShare:
      return revenue.percent_bp(p.share_bp);
    case Pricing::Kind::kRealTime:
      return Money();
  }
  return Money();
}

}  // namespace pp::routing
