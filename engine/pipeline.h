#pragma once
// The lead's rule stages as a plan (issue 13; Envoy's filter chain and Prebid's hook plans are
// the models): each stage is one small object with a name and one decision — let the lead go on,
// or stop it with a stored outcome. The plan for a campaign and a mode is built once with the
// configuration snapshot; /direct_post, /post and /ping all run it (a ping in ping mode), so there
// is one copy of the rules in one order. Adding a stage is one class and one line in a plan.
//
// Delivery (waterfall or auction) and settlement follow the plan in Engine::deliver.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/codes.h"
#include "core/config.h"
#include "core/lead.h"
#include "engine/caps_ledger.h"
#include "engine/holds.h"
#include "engine/timeline.h"

namespace pp::engine {

class Snapshot;

// A full lead (direct post, the post of a ping), or a supplier's ping (its ping fields only: no
// computed fields, no duplicate claim, and the supplier's caps are checked, not reserved).
enum class LeadMode : uint8_t { kLead, kPing };

// What the rule stages read and write for one lead. Holds taken here live as long as the context
// (the lead keeps it until it is stored) and give themselves back otherwise.
struct RuleContext {
  const Snapshot& snap;
  const CampaignConfig& campaign;
  const SupplierConfig& supplier;
  LeadMode mode;
  UnixMs now;
  Lead& lead;  // validated fields in; computed fields out
  const std::vector<std::string>& missing;
  const std::vector<std::string>& invalid;
  DedupTable& dedup;
  CapLedger& caps;

  std::vector<std::string> dedup_keys;  // the lead's duplicate-check keys (lead mode)
  std::optional<DedupHold> lead_claim;
  std::optional<CapLedger::Hold> supplier_hold;
};

struct StageOutcome {
  StageVerdict verdict = StageVerdict::kContinue;
  Code code = Code::kAccepted;
  std::string message;  // stop: the stored outcome's message; continue: a note for the timeline
  LeadStatus status = LeadStatus::kError;

  static StageOutcome next(std::string note = {}) {
    return {StageVerdict::kContinue, Code::kAccepted, std::move(note), LeadStatus::kError};
  }
  static StageOutcome stop(Code code, std::string message, LeadStatus status = LeadStatus::kError) {
    return {StageVerdict::kStop, code, std::move(message), status};
  }
};

class RuleStage {
 public:
  virtual ~RuleStage() = default;
  virtual std::string_view name() const = 0;
  virtual StageOutcome run(RuleContext& ctx) const = 0;
};

// The ordered stages of a campaign in one mode.
class RulePlan {
 public:
  static RulePlan build(const CampaignConfig& campaign, LeadMode mode);
  const std::vector<const RuleStage*>& stages() const { return stages_; }

 private:
  std::vector<const RuleStage*> stages_;  // stateless stages, shared by every plan
};

// Runs the plan, marking each stage on the timeline; the outcome of the stage that stopped the
// lead, or nullopt when every stage let it go on.
std::optional<StageOutcome> run_rules(const RulePlan& plan, RuleContext& ctx, StageTimer& timeline);

}  // namespace pp::engine
