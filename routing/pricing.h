#pragma once
// Pricing decisions (C4 buyer prices, B2 supplier prices). Pure functions.
#include <optional>

#include "core/config.h"
#include "core/lead.h"
#include "core/money.h"

namespace pp::routing {

// The price a buyer pays, known before delivery: static, or conditional (ordered rules, the first
// matching rule wins, else the default). Real-time prices are unknown until the buyer answers:
// nullopt. A rule that takes its price from a field whose value is not an amount falls through to
// the next rule.
std::optional<Money> quoted_buyer_price(const Pricing& p, const EvalContext& ctx);

// The final price of a sale: the quote, or for real-time pricing the price the buyer answered
// (nullopt when the buyer gave none: a real-time sale without a price is not a sale).
std::optional<Money> final_buyer_price(const Pricing& p, const EvalContext& ctx,
                                       std::optional<Money> answered);

// What the supplier earns for a lead that sold for `revenue`. Test leads and unsold leads earn 0
// (the caller passes sold=false). Revenue share rounds half away from zero to 1/10,000.
Money supplier_payout(const Pricing& p, const EvalContext& ctx, Money revenue, bool sold);

}  // namespace pp::routing
