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

const std::vector<CompiledCheck>& Snapshot::campaign_checks(CampaignId id) const {
  static const std::vector<CompiledCheck> kNone;
  auto it = campaign_checks_.find(id);
  return it == campaign_checks_.end() ? kNone : it->second;
}

const std::vector<CompiledCheck>& Snapshot::supplier_checks(SupplierId id) const {
  static const std::vector<CompiledCheck> kNone;
  auto it = supplier_checks_.find(id);
  return it == supplier_checks_.end() ? kNone : it->second;
}

const std::vector<CompiledTrigger>& Snapshot::triggers(CampaignId id) const {
  static const std::vector<CompiledTrigger> kNone;
  auto it = triggers_.find(id);
  return it == triggers_.end() ? kNone : it->second;
}

const std::vector<CompiledPostback>& Snapshot::postbacks(SupplierId id) const {
  static const std::vector<CompiledPostback> kNone;
  auto it = postbacks_.find(id);
  return it == postbacks_.end() ? kNone : it->second;
}

const std::vector<CompiledCheck>& Snapshot::buyer_checks(BuyerId id) const {
  static const std::vector<CompiledCheck> kNone;
  auto it = buyer_checks_.find(id);
  return it == buyer_checks_.end() ? kNone : it->second;
}

namespace {

// What the configuration loader cannot know (core has no libphonenumber and no templates):
// countries and line types by name, the TrustedForm policy, the templates of an HTTP validator.
std::vector<CompiledCheck> compile_checks(const std::vector<CheckConfig>& checks,
                                          const std::string& path,
                                          std::vector<std::string>& errors) {
  std::vector<CompiledCheck> out;
  for (size_t i = 0; i < checks.size(); ++i) {
    const CheckConfig& c = checks[i];
    const std::string cp = path + ".checks[" + std::to_string(i) + "]";
    CompiledCheck cc;
    cc.config = &c;
    for (const auto& country : c.countries)
      if (!checks::known_region(country))
        errors.push_back(cp + ".countries: unknown country '" + country + "'");
    for (const auto& t : c.line_types) {
      checks::LineType lt;
      if (checks::parse_line_type(t, lt))
        cc.line_types.push_back(lt);
      else
        errors.push_back(cp + ".line_types: unknown line type '" + t +
                         "' (mobile, fixed_line, fixed_line_or_mobile, toll_free, voip, ...)");
    }
    std::string err;
    if (c.type == CheckType::kTrustedForm) {
      if (!checks::parse_trustedform_policy(c.policy, cc.policy))
        errors.push_back(cp + ".policy: must be record, require_success or require_match");
      cc.reference = buyers::Template::compile(c.reference, err);
      if (!cc.reference) errors.push_back(cp + ".reference: " + err);
      err.clear();
      cc.vendor = buyers::Template::compile(c.vendor, err);
      if (!cc.vendor) errors.push_back(cp + ".vendor: " + err);
    }
    if (c.type == CheckType::kHttp) {
      cc.request = buyers::CompiledRequest::compile(c.request, err);
      if (!cc.request) errors.push_back(cp + ".request." + err);
      err.clear();
      cc.mapping = buyers::CompiledMapping::compile(c.response, err);
      if (!cc.mapping) errors.push_back(cp + ".response." + err);
    }
    out.push_back(std::move(cc));
  }
  return out;
}

}  // namespace

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
    if (!c.checks.empty())
      snap->campaign_checks_[c.id] =
          compile_checks(c.checks, "$.campaigns[" + std::to_string(ci) + "]", errors);
    for (size_t ti = 0; ti < c.triggers.size(); ++ti) {
      const TriggerConfig& t = c.triggers[ti];
      const std::string tp =
          "$.campaigns[" + std::to_string(ci) + "].triggers[" + std::to_string(ti) + "]";
      CompiledTrigger ct;
      ct.config = &t;
      for (size_t ai = 0; ai < t.actions.size(); ++ai) {
        const TriggerAction& a = t.actions[ai];
        const std::string ap = tp + ".actions[" + std::to_string(ai) + "]";
        CompiledTrigger::Action ca;
        std::string err;
        if (a.type == TriggerAction::Type::kHttp) {
          ca.request = buyers::CompiledRequest::compile(a.request, err);
          if (!ca.request) errors.push_back(ap + ".request." + err);
        } else if (a.type == TriggerAction::Type::kEmail) {
          ca.subject = buyers::Template::compile(a.subject, err);
          if (!ca.subject) errors.push_back(ap + ".subject: " + err);
          err.clear();
          ca.body = buyers::Template::compile(a.body, err);
          if (!ca.body) errors.push_back(ap + ".body: " + err);
        }
        ct.actions.push_back(std::move(ca));
      }
      snap->triggers_[c.id].push_back(std::move(ct));
    }
    for (size_t si = 0; si < c.suppliers.size(); ++si) {
      const SupplierConfig& s = c.suppliers[si];
      for (size_t pi = 0; pi < s.postbacks.size(); ++pi) {
        CompiledPostback cp;
        cp.config = &s.postbacks[pi];
        std::string err;
        cp.request = buyers::CompiledRequest::compile(s.postbacks[pi].request, err);
        if (!cp.request)
          errors.push_back("$.campaigns[" + std::to_string(ci) + "].suppliers[" +
                           std::to_string(si) + "].postbacks[" + std::to_string(pi) + "].request." +
                           err);
        snap->postbacks_[s.id].push_back(std::move(cp));
      }
      if (!s.own_checks.empty())
        snap->supplier_checks_[s.id] = compile_checks(
            s.own_checks,
            "$.campaigns[" + std::to_string(ci) + "].suppliers[" + std::to_string(si) + "]",
            errors);
    }
    for (size_t bi = 0; bi < c.buyers.size(); ++bi) {
      const BuyerConfig& b = c.buyers[bi];
      std::string path =
          "$.campaigns[" + std::to_string(ci) + "].buyers[" + std::to_string(bi) + "]";
      if (!b.checks.empty()) snap->buyer_checks_[b.id] = compile_checks(b.checks, path, errors);
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
  // Portal notices (issue 20): the configured text or the built-in one.
  for (std::string_view name : kNoticeNames) {
    const NoticeTemplate* t = config->portal.find_template(name);
    const NoticeTemplate text = t ? *t : default_notice(name);
    const std::string tp = "$.portal.templates." + std::string(name);
    std::string err;
    auto subject = buyers::Template::compile(text.subject, err);
    if (!subject) errors.push_back(tp + ".subject: " + err);
    err.clear();
    auto body = buyers::Template::compile(text.body, err);
    if (!body) errors.push_back(tp + ".body: " + err);
    if (subject && body)
      snap->notices_.emplace_back(std::string(name),
                                  CompiledNotice{std::move(*subject), std::move(*body)});
  }
  if (errors.size() != before) return nullptr;
  return snap;
}

const CompiledNotice* Snapshot::notice(std::string_view name) const {
  for (const auto& [n, c] : notices_)
    if (n == name) return &c;
  return nullptr;
}

}  // namespace pp::engine
