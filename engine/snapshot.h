#pragma once
// A configuration snapshot: the validated Config plus everything compiled from it (buyer request
// templates, response mappings with their regexes). Immutable once built; the engine swaps whole
// snapshots atomically, so a lead in flight keeps the snapshot it started with.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "buyers/payload.h"
#include "buyers/response.h"
#include "checks/phone.h"
#include "checks/vendors.h"
#include "core/config.h"
#include "engine/notices.h"
#include "engine/plan.h"

namespace pp::engine {

struct CompiledBuyer {
  const BuyerConfig* config = nullptr;
  std::optional<buyers::CompiledRequest> ping;
  std::optional<buyers::CompiledMapping> ping_mapping;
  std::optional<buyers::CompiledRequest> post;
  std::optional<buyers::CompiledMapping> post_mapping;
};

// A compliance check (issue 17), compiled: its line types, policy and templates.
struct CompiledCheck {
  const CheckConfig* config = nullptr;
  std::vector<checks::LineType> line_types;
  checks::TrustedFormPolicy policy = checks::TrustedFormPolicy::kRequireSuccess;
  std::optional<buyers::Template> reference, vendor;  // TrustedForm retain
  std::optional<buyers::CompiledRequest> request;     // http
  std::optional<buyers::CompiledMapping> mapping;     // http
};

// A campaign trigger (issue 18), compiled: per action, its request (http) or its email's subject
// and body templates.
struct CompiledTrigger {
  const TriggerConfig* config = nullptr;
  struct Action {
    std::optional<buyers::CompiledRequest> request;
    std::optional<buyers::Template> subject, body;
  };
  std::vector<Action> actions;  // as config->actions
};
// A supplier's postbacks, compiled, in configuration order.
struct CompiledPostback {
  const SupplierPostback* config = nullptr;
  std::optional<buyers::CompiledRequest> request;
};

class Snapshot {
 public:
  // Compiles every buyer; on failure returns null and appends "$.campaigns[i].buyers[k]...: why"
  // to `errors` (all of them, not just the first).
  // `version` numbers the configuration (1 for the first; every change takes the next): each lead
  // records the version it ran on.
  static std::shared_ptr<const Snapshot> build(ConfigPtr config, std::vector<std::string>& errors,
                                               uint64_t version = 1);

  uint64_t version() const { return version_; }
  // The campaign's rule plan in a mode (built with the snapshot). The campaign must exist.
  const RulePlan& plan(CampaignId campaign, LeadMode mode) const;

  const Config& config() const { return *config_; }
  const ConfigPtr& config_ptr() const { return config_; }
  const CompiledBuyer* buyer(BuyerId id) const;
  // The campaign's computed fields, compiled, in configuration order (empty when none).
  const std::vector<std::pair<std::string, buyers::Template>>& computed_fields(CampaignId id) const;
  // The campaign's checks and a buyer's, compiled, in configuration order (empty when none).
  const std::vector<CompiledCheck>& campaign_checks(CampaignId id) const;
  const std::vector<CompiledCheck>& buyer_checks(BuyerId id) const;
  const std::vector<CompiledCheck>& supplier_checks(SupplierId id) const;
  // Triggers of a campaign and postbacks of a supplier (issue 18; empty when none).
  const std::vector<CompiledTrigger>& triggers(CampaignId id) const;
  const std::vector<CompiledPostback>& postbacks(SupplierId id) const;
  // A portal notice's templates (issue 20): $.portal.templates' or the built-in ones; null for
  // an unknown name.
  const CompiledNotice* notice(std::string_view name) const;

 private:
  ConfigPtr config_;
  uint64_t version_ = 1;
  std::unordered_map<BuyerId, CompiledBuyer> buyers_;
  std::unordered_map<CampaignId, std::array<RulePlan, kLeadModes>> plans_;  // by LeadMode
  std::unordered_map<CampaignId, std::vector<std::pair<std::string, buyers::Template>>> computed_;
  std::unordered_map<CampaignId, std::vector<CompiledCheck>> campaign_checks_;
  std::unordered_map<BuyerId, std::vector<CompiledCheck>> buyer_checks_;
  std::unordered_map<SupplierId, std::vector<CompiledCheck>> supplier_checks_;
  std::unordered_map<CampaignId, std::vector<CompiledTrigger>> triggers_;
  std::unordered_map<SupplierId, std::vector<CompiledPostback>> postbacks_;
  std::vector<std::pair<std::string, CompiledNotice>> notices_;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace pp::engine
