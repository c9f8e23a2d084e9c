#include "engine/snapshot.h"

namespace pp::engine {

const CompiledBuyer* Snapshot::buyer(BuyerId id) const {
  auto it = buyers_.find(id);
  return it == buyers_.end() ? nullptr : &it->second;
}

const RulePlan& Snapshot::plan(CampaignId campaign, LeadMode mode) const {
  return plans_.at(campaign)[size_t(mode)];
}

const std::vector<std::pair<std::string, buyers::Template>>& Snapshot::computed_fields(
    CampaignId id) const {
  static const std::vector<std::pair<std::string, buyers::Template>> kNone;
  auto it = computed_.find(id);
  return it == computed_.end() ? kNone : it->second;
}

SnapshotPtr Snapshot::build(ConfigPtr config, std::vector<std::string>& errors, uint64_t version) {
  auto snap = std::make_shared<Snapshot>();
  snap->config_ = config;
  snap->version_ = version;
  size_t before = errors.size();
  for (size_t ci = 0; ci < config->campaigns.size(); ++ci) {
    const auto& c = config->campaigns[ci];
    snap->plans_.emplace(
        c.id, std::array{RulePlan::build(c, LeadMode::kDirect), RulePlan::build(c, LeadMode::kPost),
                         RulePlan::build(c, LeadMode::kPing)});
    for (size_t fi = 0; fi < c.computed_fields.size(); ++fi) {
      std::string err;
      auto t = buyers::Template::compile(c.computed_fields[fi].template_text, err);
      if (!t) {
        errors.push_back("$.campaigns[" + std::to_string(ci) + "].computed_fields[" +
                         std::to_string(fi) + "].template: " + err);
        continue;
      }
      snap->computed_[c.id].emplace_back(c.computed_fields[fi].name, std::move(*t));
    }
    for (size_t bi = 0; bi < c.buyers.size(); ++bi) {
      const BuyerConfig& b = c.buyers[bi];
      std::string path =
          "$.campaigns[" + std::to_string(ci) + "].buyers[" + std::to_string(bi) + "]";
      CompiledBuyer cb;
      cb.config = &b;
      std::string err;
      bool http = b.type == DeliveryType::kDirectPost || b.type == DeliveryType::kPingPost ||
                  b.type == DeliveryType::kGoogleSheets;
      if (http) {
        cb.post = buyers::CompiledRequest::compile(b.post, err);
        if (!cb.post) errors.push_back(path + ".post." + err);
        err.clear();
        cb.post_mapping = buyers::CompiledMapping::compile(b.post_response, err);
        if (!cb.post_mapping) errors.push_back(path + ".post_response." + err);
      }
      if (b.type == DeliveryType::kPingPost && b.ping) {
        err.clear();
        cb.ping = buyers::CompiledRequest::compile(*b.ping, err);
        if (!cb.ping) errors.push_back(path + ".ping." + err);
        err.clear();
        cb.ping_mapping = buyers::CompiledMapping::compile(b.ping_response, err);
        if (!cb.ping_mapping) errors.push_back(path + ".ping_response." + err);
      }
      snap->buyers_.emplace(b.id, std::move(cb));
    }
  }
  if (errors.size() != before) return nullptr;
  return snap;
}

}  // namespace pp::engine
