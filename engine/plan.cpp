#include "engine/plan.h"

#include "engine/pipeline.h"
#include "engine/stages.h"

namespace pp::engine {

boost::asio::awaitable<StageOutcome> Stage::run_async(LeadRun& r) const { co_return run(r); }

RulePlan RulePlan::build(const CampaignConfig& campaign, LeadMode mode) {
  namespace s = stages;
  RulePlan p;
  auto& v = p.stages_;
  if (mode == LeadMode::kPing) {
    // A supplier's ping: the ping fields and the rules that need no lead, then the auction; a
    // direct-post campaign answers whether the lead would be a duplicate (pre-ping, A3).
    if (campaign.type == CampaignType::kDirectPost) {
      v = {&s::rate_limit(), &s::preping()};
    } else {
      v = {&s::rate_limit(), &s::fields(),        &s::supplier_paused(),
           &s::filters(),    &s::supplier_caps(), &s::auction()};
    }
    return p;
  }
  v = {&s::rate_limit(), &s::request_guard()};
  if (mode == LeadMode::kPost) v.push_back(&s::ping_record());
  v.insert(v.end(), {&s::fields(), &s::supplier_paused(), &s::computed_fields(), &s::filters(),
                     &s::duplicates(), &s::supplier_caps()});
  // Checks after every free rule: a paid check is not bought for a lead the caps would refuse.
  bool supplier_checks = false;
  for (const auto& sup : campaign.suppliers)
    supplier_checks = supplier_checks || !sup.own_checks.empty();
  if (!campaign.checks.empty() || supplier_checks) v.push_back(&s::checks());
  if (mode == LeadMode::kPost)
    v.push_back(&s::sell_ping());
  else if (campaign.type == CampaignType::kPingPostExchange)
    v.push_back(&s::exchange());
  else
    v.push_back(&s::waterfall());
  v.push_back(&s::settlement());
  return p;
}

std::vector<std::string_view> RulePlan::names() const {
  std::vector<std::string_view> out;
  for (const Stage* s : stages_) out.push_back(s->name());
  return out;
}

boost::asio::awaitable<std::optional<StageOutcome>> run_plan(const RulePlan& plan, LeadRun& run) {
  for (const Stage* stage : plan.stages()) {
    run.timeline.enter(stage->name());
    // (Not a conditional expression: GCC 12 miscompiles co_await inside `?:`.)
    StageOutcome out;
    if (stage->waits())
      out = co_await stage->run_async(run);
    else
      out = stage->run(run);
    run.timeline.mark(stage->name(), out.verdict, out.message);
    if (out.verdict != StageVerdict::kContinue) co_return out;
  }
  co_return std::nullopt;
}

}  // namespace pp::engine
