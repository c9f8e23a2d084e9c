// The lead's rule stages: fields, supplier paused, computed fields, filters, duplicates and the
// supplier's caps. Each stops the lead with a stored outcome (a supplier's ping is refused
// instead: nothing of a ping is stored).
#include <algorithm>

#include "core/ids.h"
#include "core/text.h"
#include "engine/engine_state.h"
#include "engine/lead_context.h"
#include "engine/pipeline.h"
#include "engine/snapshot.h"
#include "engine/stages.h"
#include "routing/filters.h"
#include "routing/pricing.h"

namespace pp::engine::stages {

namespace {

// Reads, validates and normalises the supplier's fields, in the order sent. On a ping only the
// campaign's ping fields are read (anything else, personal data above all, is dropped).
void read_fields(const IntakeRequest& req, const CampaignConfig& campaign, const Config& cfg,
                 bool ping, FieldList& out, std::vector<std::string>& missing,
                 std::vector<std::string>& invalid) {
  if (req.params.size() > cfg.server.max_fields) {
    invalid.push_back("too many fields (" + std::to_string(req.params.size()) + ", at most " +
                      std::to_string(cfg.server.max_fields) + ")");
    return;
  }
  for (const auto& [name, raw] : req.params) {
    if (is_system_param(name) || name == "lp_ping_id" || name == "lp_bid_id" ||
        name == "lp_consent_bids" || find_field(out, name) != nullptr)
      continue;
    // Computed fields are the engine's: a supplier cannot set them.
    if (std::any_of(campaign.computed_fields.begin(), campaign.computed_fields.end(),
                    [&n = name](const ComputedFieldConfig& c) { return c.name == n; }))
      continue;
    if (raw.size() > cfg.server.max_field_value_bytes) {
      invalid.push_back(name + " (value too long)");
      continue;
    }
    if (is_subid(name)) {
      std::string_view v = trim(raw);
      if (v.size() > kMaxSubidLength)
        invalid.push_back(name + " (longer than 75 characters)");
      else
        out.emplace_back(name, std::string(v));
      continue;
    }
    const FieldSpec* spec = campaign.find_field_spec(name);
    if (ping && (spec == nullptr || !(spec->on_ping || spec->required_on_ping))) continue;
    if (spec == nullptr || trim(raw).empty()) {
      // Additional fields are kept as sent (bounded above); empty campaign fields are "missing".
      if (spec == nullptr && name.size() <= 64) out.emplace_back(name, std::string(trim(raw)));
      continue;
    }
    FieldCheck fc = validate_field(*spec, raw);
    if (fc.ok)
      out.emplace_back(name, std::move(fc.value));
    else
      invalid.push_back(name + " (" + fc.error + ")");
  }
  for (const auto& f : campaign.fields) {
    bool required = ping ? f.required_on_ping : f.required;
    if (required && find_field(out, f.name) == nullptr) {
      bool was_invalid = false;
      for (const auto& i : invalid) was_invalid = was_invalid || i.rfind(f.name + " (", 0) == 0;
      if (!was_invalid) missing.push_back(f.name);
    }
  }
}

// Creates the lead (its id, creation time and test flag: from here on it is stored whatever
// happens) and reads its fields: required fields present, every field valid for its type. A
// ping reads its ping fields only, into an unnumbered lead that is never stored.
class FieldsStage final : public Stage {
 public:
  std::string_view name() const override { return kStageFields; }
  StageOutcome run(LeadRun& r) const override {
    Lead& lead = r.lead;
    const bool ping = r.mode == LeadMode::kPing;
    if (!ping) {
      IdGenerator& ids = thread_id_generator();
      r.now = r.engine.clock.now_ms();
      lead.id = ids.lead_id(r.now);
      lead.request_uuid = ids.uuid_v4();
      lead.test = is_test_request(r.req, r.supplier->test_mode);
      if (lead.test) lead.tags.push_back("test");
      for (const auto& t : r.req.tags) lead.tags.push_back(t);
      r.debug.lead_id = lead.id;
    }
    lead.created_ms = r.now;
    lead.campaign_id = r.campaign->id;
    lead.supplier_id = r.supplier->id;
    read_fields(r.req, *r.campaign, r.snap->config(), ping, lead.fields, r.missing, r.invalid);
    if (r.mode == LeadMode::kPost) lead.fields.emplace_back("lp_ping_id", r.ping.ping_id);
    if (r.mode == LeadMode::kPost && r.one_to_one())
      lead.fields.emplace_back("lp_consent_bids",
                               std::string(trim(*find_field(r.req.params, "lp_consent_bids"))));
    if (!r.missing.empty()) {
      return StageOutcome::stop(Code::kMissingField,
                                "Missing required field" +
                                    std::string(r.missing.size() > 1 ? "s: " : ": ") +
                                    join(r.missing));
    }
    if (!r.invalid.empty()) {
      return StageOutcome::stop(
          Code::kInvalidField,
          "Invalid field" + std::string(r.invalid.size() > 1 ? "s: " : ": ") + join(r.invalid));
    }
    return StageOutcome::next();
  }
};

class SupplierPausedStage final : public Stage {
 public:
  std::string_view name() const override { return kStageSupplierPaused; }
  StageOutcome run(LeadRun& r) const override {
    if (r.supplier->paused) return StageOutcome::stop(Code::kSupplierPaused, "Supplier is paused");
    return StageOutcome::next();
  }
};

// Computed fields (A5), rendered raw from the validated fields; filters and prices may use them.
class ComputedFieldsStage final : public Stage {
 public:
  std::string_view name() const override { return kStageComputedFields; }
  StageOutcome run(LeadRun& r) const override {
    const auto& computed = r.snap->computed_fields(r.campaign->id);
    if (computed.empty()) return StageOutcome::next();
    LeadContext ctx(r.lead, *r.campaign, r.now);
    for (const auto& [name, tpl] : computed) {
      std::string v = tpl.render(ctx, buyers::Escape::kNone);
      r.lead.fields.emplace_back(name, std::move(v));
    }
    return StageOutcome::next(std::to_string(computed.size()) + " computed");
  }
};

// The campaign's and the supplier's filters (B3); both levels are evaluated so the message names
// every filter the lead failed.
class FiltersStage final : public Stage {
 public:
  std::string_view name() const override { return kStageFilters; }
  StageOutcome run(LeadRun& r) const override {
    const EvalContext ectx{r.lead.fields, r.now};
    std::vector<std::string_view> failed;
    // Both levels are evaluated so the message names every filter the lead failed.
    routing::passes_filters(r.campaign->filters, ectx, &failed);
    routing::passes_filters(r.supplier->filters, ectx, &failed);
    std::vector<std::string> names(failed.begin(), failed.end());
    // "At least one of" (e.g. a consent certificate or a LeadiD token); not on a ping, which
    // carries its ping fields only.
    if (r.mode != LeadMode::kPing) {
      for (const auto& group : r.campaign->require_one_of) {
        bool any = false;
        for (const auto& f : group) {
          const std::string* v = find_field(r.lead.fields, f);
          any = any || (v != nullptr && !trim(*v).empty());
        }
        if (!any) names.push_back("at least one of " + join(group, ", "));
      }
    }
    if (names.empty()) return StageOutcome::next();
    return StageOutcome::stop(Code::kFiltered, "Lead not accepted due to filters: " + join(names));
  }
};

// The duplicate check (B4): the lead claims its keys (held until it is stored); with buyer-level
// checks the keys are claimed per buyer at delivery instead.
class DuplicatesStage final : public Stage {
 public:
  std::string_view name() const override { return kStageDuplicates; }
  StageOutcome run(LeadRun& r) const override {
    const CampaignConfig& c = *r.campaign;
    r.dedup_keys = DedupTable::keys(c, r.lead.fields);
    if (!c.dupe_check.enabled()) return StageOutcome::next();
    if (c.dupe_check.buyer_level)
      return StageOutcome::next(std::to_string(r.dedup_keys.size()) + " key(s) claimed per buyer");
    std::string holder;
    r.lead_claim = DedupHold::take(r.engine.dedup, r.dedup_keys, r.lead.id, r.now, holder);
    if (!r.lead_claim) {
      return StageOutcome::stop(Code::kDuplicated, "Duplicate lead (" + holder + ")",
                                LeadStatus::kDuplicated);
    }
    return StageOutcome::next(std::to_string(r.dedup_keys.size()) + " key(s) claimed");
  }
};

// The supplier's caps (B6): a lead reserves (committed once it sells and is stored); a ping only
// checks that there is room (its post reserves for real).
class SupplierCapsStage final : public Stage {
 public:
  std::string_view name() const override { return kStageSupplierCaps; }
  StageOutcome run(LeadRun& r) const override {
    std::string failed;
    const EvalContext ectx{r.lead.fields, r.now};
    const bool ping = r.mode == LeadMode::kPing;
    Money amount =
        ping ? Money() : routing::quoted_buyer_price(r.supplier->price, ectx).value_or(Money());
    auto hold = r.engine.caps.reserve(CapOwner::kSupplier, r.supplier->id, r.supplier->caps,
                                      r.campaign->tz, r.now, amount, failed);
    if (!hold) return StageOutcome::stop(Code::kCapReached, "Supplier cap reached: " + failed);
    if (!ping) r.supplier_hold = std::move(*hold);  // a ping's goes back now
    return StageOutcome::next();
  }
};

}  // namespace

const Stage& fields() { return instance<FieldsStage>(); }
const Stage& supplier_paused() { return instance<SupplierPausedStage>(); }
const Stage& computed_fields() { return instance<ComputedFieldsStage>(); }
const Stage& filters() { return instance<FiltersStage>(); }
const Stage& duplicates() { return instance<DuplicatesStage>(); }
const Stage& supplier_caps() { return instance<SupplierCapsStage>(); }

}  // namespace pp::engine::stages
