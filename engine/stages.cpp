// The lead's rule stages (engine/pipeline.h), one class each, and the plans that order them.
#include "core/text.h"
#include "engine/lead_context.h"
#include "engine/pipeline.h"
#include "engine/snapshot.h"
#include "routing/filters.h"
#include "routing/pricing.h"

namespace pp::engine {

namespace {

// Required fields present, every field valid for its type.
class FieldsStage final : public RuleStage {
 public:
  std::string_view name() const override { return kStageFields; }
  StageOutcome run(RuleContext& c) const override {
    if (!c.missing.empty()) {
      return StageOutcome::stop(Code::kMissingField,
                                "Missing required field" +
                                    std::string(c.missing.size() > 1 ? "s: " : ": ") +
                                    join(c.missing));
    }
    if (!c.invalid.empty()) {
      return StageOutcome::stop(
          Code::kInvalidField,
          "Invalid field" + std::string(c.invalid.size() > 1 ? "s: " : ": ") + join(c.invalid));
    }
    return StageOutcome::next();
  }
};

class SupplierPausedStage final : public RuleStage {
 public:
  std::string_view name() const override { return kStageSupplierPaused; }
  StageOutcome run(RuleContext& c) const override {
    if (c.supplier.paused) return StageOutcome::stop(Code::kSupplierPaused, "Supplier is paused");
    return StageOutcome::next();
  }
};

// Computed fields (A5), rendered raw from the validated fields; filters and prices may use them.
class ComputedFieldsStage final : public RuleStage {
 public:
  std::string_view name() const override { return kStageComputedFields; }
  StageOutcome run(RuleContext& c) const override {
    const auto& computed = c.snap.computed_fields(c.campaign.id);
    if (computed.empty()) return StageOutcome::next();
    LeadContext ctx(c.lead, c.campaign, c.now);
    for (const auto& [name, tpl] : computed) {
      std::string v = tpl.render(ctx, buyers::Escape::kNone);
      c.lead.fields.emplace_back(name, std::move(v));
    }
    return StageOutcome::next(std::to_string(computed.size()) + " computed");
  }
};

// The campaign's and the supplier's filters (B3); both levels are evaluated so the message names
// every filter the lead failed.
class FiltersStage final : public RuleStage {
 public:
  std::string_view name() const override { return kStageFilters; }
  StageOutcome run(RuleContext& c) const override {
    const EvalContext ectx{c.lead.fields, c.now};
    std::vector<std::string_view> failed;
    bool campaign_ok = routing::passes_filters(c.campaign.filters, ectx, &failed);
    bool supplier_ok = routing::passes_filters(c.supplier.filters, ectx, &failed);
    if (campaign_ok && supplier_ok) return StageOutcome::next();
    return StageOutcome::stop(Code::kFiltered,
                              "Lead not accepted due to filters: " +
                                  join(std::vector<std::string>(failed.begin(), failed.end())));
  }
};

// The duplicate check (B4): the lead claims its keys (held until it is stored); with buyer-level
// checks the keys are claimed per buyer at delivery instead.
class DuplicatesStage final : public RuleStage {
 public:
  std::string_view name() const override { return kStageDuplicates; }
  StageOutcome run(RuleContext& c) const override {
    c.dedup_keys = DedupTable::keys(c.campaign, c.lead.fields);
    if (!c.campaign.dupe_check.enabled()) return StageOutcome::next();
    if (c.campaign.dupe_check.buyer_level)
      return StageOutcome::next(std::to_string(c.dedup_keys.size()) + " key(s) claimed per buyer");
    std::string holder;
    c.lead_claim = DedupHold::take(c.dedup, c.dedup_keys, c.lead.id, c.now, holder);
    if (!c.lead_claim) {
      return StageOutcome::stop(Code::kDuplicated, "Duplicate lead (" + holder + ")",
                                LeadStatus::kDuplicated);
    }
    return StageOutcome::next(std::to_string(c.dedup_keys.size()) + " key(s) claimed");
  }
};

// The supplier's caps (B6): a lead reserves (committed once it sells and is stored); a ping only
// checks that there is room (its post reserves for real).
class SupplierCapsStage final : public RuleStage {
 public:
  std::string_view name() const override { return kStageSupplierCaps; }
  StageOutcome run(RuleContext& c) const override {
    std::string failed;
    const EvalContext ectx{c.lead.fields, c.now};
    Money amount = c.mode == LeadMode::kPing
                       ? Money()
                       : routing::quoted_buyer_price(c.supplier.price, ectx).value_or(Money());
    auto hold = c.caps.reserve(CapOwner::kSupplier, c.supplier.id, c.supplier.caps, c.campaign.tz,
                               c.now, amount, failed);
    if (!hold) return StageOutcome::stop(Code::kCapReached, "Supplier cap reached: " + failed);
    if (c.mode == LeadMode::kLead) c.supplier_hold = std::move(*hold);  // a ping's goes back now
    return StageOutcome::next();
  }
};

const FieldsStage kFields;
const SupplierPausedStage kSupplierPaused;
const ComputedFieldsStage kComputedFields;
const FiltersStage kFilters;
const DuplicatesStage kDuplicates;
const SupplierCapsStage kSupplierCaps;

}  // namespace

RulePlan RulePlan::build(const CampaignConfig&, LeadMode mode) {
  RulePlan p;
  if (mode == LeadMode::kPing) {
    p.stages_ = {&kFields, &kSupplierPaused, &kFilters, &kSupplierCaps};
  } else {
    p.stages_ = {&kFields,  &kSupplierPaused, &kComputedFields,
                 &kFilters, &kDuplicates,     &kSupplierCaps};
  }
  return p;
}

std::optional<StageOutcome> run_rules(const RulePlan& plan, RuleContext& ctx,
                                      StageTimer& timeline) {
  for (const RuleStage* stage : plan.stages()) {
    StageOutcome out = stage->run(ctx);
    timeline.mark(stage->name(), out.verdict, out.message);
    if (out.verdict != StageVerdict::kContinue) return out;
  }
  return std::nullopt;
}

}  // namespace pp::engine
