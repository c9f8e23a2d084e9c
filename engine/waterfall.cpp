// Direct post (C1, C2): the campaign's distribution plan (waterfall, highest bidder, send to all,
// rotations, weights, groups) executed buyer by buyer until the lead's deadline.
#include <mutex>

#include "core/codes.h"
#include "engine/delivery.h"
#include "routing/distribution.h"
#include "routing/pricing.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

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
