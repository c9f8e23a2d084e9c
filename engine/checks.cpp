#include "engine/checks.h"

#include "checks/email.h"
#include "checks/list_key.h"
#include "checks/phone.h"
#include "checks/vendors.h"
#include "core/hash.h"
#include "core/text.h"
#include "engine/delivery.h"
#include "engine/lead_context.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

// ---- cache ------------------------------------------------------------------------------------

std::optional<CheckCache::Entry> CheckCache::get(const std::string& key, int64_t now_ms) const {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires_ms <= now_ms) return std::nullopt;
  return it->second;
}

void CheckCache::put(std::string key, Entry e, int64_t now_ms) {
  std::lock_guard lk(mu_);
  if (entries_.size() >= kMaxEntries) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires_ms <= now_ms; });
    if (entries_.size() >= kMaxEntries) entries_.clear();
  }
  entries_[std::move(key)] = std::move(e);
}

// ---- sampling and overrides -------------------------------------------------------------------

bool in_sample(std::string_view lead_id, std::string_view check, uint32_t percent) {
  if (percent >= 100) return true;
  if (percent == 0) return false;
  // FNV-1a over "<lead id>/<check>": cheap, stable, and independent between checks.
  uint64_t h = 1469598103934665603ULL;
  auto feed = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  };
  feed(lead_id);
  feed("/");
  feed(check);
  return h % 100 < percent;
}

CheckMode effective_mode(const CheckConfig& c, const SupplierConfig* supplier) {
  if (supplier)
    if (const CheckOverride* o = supplier->check_override(c.name); o && o->mode) return *o->mode;
  return c.mode;
}

uint32_t effective_sample(const CheckConfig& c, const SupplierConfig* supplier) {
  if (supplier)
    if (const CheckOverride* o = supplier->check_override(c.name); o && o->sample_percent)
      return *o->sample_percent;
  return c.sample_percent;
}

void add_check_fields(Lead& lead, const CheckRecord& r) {
  for (const auto& [k, v] : r.values) {
    std::string name = r.name + "_" + k;
    bool replaced = false;
    for (auto& f : lead.fields)
      if (f.first == name) {
        f.second = v;
        replaced = true;
      }
    if (!replaced) lead.fields.emplace_back(std::move(name), v);
  }
}

namespace {

// The value of the check's first field, trimmed; empty when absent.
std::string_view input(const CheckConfig& c, const Lead& lead) {
  if (c.fields.empty()) return {};
  const std::string* v = find_field(lead.fields, c.fields[0]);
  return v ? trim(*v) : std::string_view();
}

void fail(CheckRecord& r, std::string reason) {
  r.status = CheckStatus::kFail;
  r.reason = std::move(reason);
}

void error(CheckRecord& r, const CheckConfig& c, std::string reason) {
  r.status = CheckStatus::kError;
  r.error_passed = !c.fail_closed;
  r.reason = std::move(reason);
}

void run_phone(const CompiledCheck& cc, const std::string_view value, CheckRecord& r) {
  checks::PhoneResult p = checks::check_phone(value, cc.config->countries);
  if (!p.e164.empty() && p.valid) r.values.emplace_back("e164", p.e164);
  if (!p.valid) return fail(r, "phone " + p.reason);
  r.values.emplace_back("line_type", std::string(checks::to_string(p.line_type)));
  r.values.emplace_back("country", p.region);
  if (!checks::line_type_allowed(p.line_type, cc.line_types))
    fail(r, "phone line type " + std::string(checks::to_string(p.line_type)) + " not allowed");
}

void run_email(std::string_view value, CheckRecord& r) {
  checks::EmailResult e = checks::check_email(value);
  if (!e.valid) return fail(r, "email " + e.reason);
  r.values.emplace_back("domain", e.domain);
}

void run_suppression(const CompiledCheck& cc, const Lead& lead, const CampaignConfig& campaign,
                     const Config& cfg, const SuppressionLists& lists, CheckRecord& r) {
  const CheckConfig& c = *cc.config;
  if (!lists.available()) return error(r, c, "suppression lists unavailable (not loaded)");
  size_t looked = 0;
  for (const auto& field : c.fields) {
    const std::string* v = find_field(lead.fields, field);
    if (v == nullptr || trim(*v).empty()) continue;
    const FieldSpec* spec = campaign.find_field_spec(field);
    const bool email = spec && spec->type == FieldType::kEmail;
    for (int64_t id : c.lists) {
      const ListConfig* list = cfg.find_list(id);
      if (list == nullptr) continue;
      uint64_t keys[3];
      size_t n = email ? checks::email_lookup_keys(list->kind, *v, keys)
                       : checks::phone_lookup_keys(list->kind, *v, keys);
      looked += n;
      for (size_t k = 0; k < n; ++k) {
        if (lists.contains(id, keys[k])) {
          r.values.emplace_back("list", std::to_string(id));
          return fail(r, field + " is on list '" + list->name + "'");
        }
      }
    }
  }
  if (looked == 0) {
    r.status = CheckStatus::kSkipped;
    r.reason = "no value to look up";
  }
}

// A vendor call: the request as the vendor documents it, sent under the check's deadline, the
// exchange kept for the debug log (the Authorization header masked: our key stays ours).
asio::awaitable<buyers::HttpResult> call(const checks::VendorRequest& vr, const CheckConfig& c,
                                         CheckEnv& env, SteadyClock::time_point deadline,
                                         CheckRecord& r) {
  buyers::OutboundRequest req;
  req.method = vr.method;
  req.url = vr.url;
  req.headers = vr.headers;
  req.headers.emplace_back("User-Agent", env.config.outbound.user_agent);
  req.body = vr.body;
  req.timeout = std::chrono::milliseconds(c.timeout_ms);
  req.connect_timeout = std::min(req.timeout, std::chrono::milliseconds(2000));
  req.deadline = std::min(deadline, SteadyClock::now() + req.timeout);
  req.max_response_bytes = 65536;
  buyers::HttpResult res = co_await env.transport.send(req);
  HttpExchangeLog log = make_log(req, res);
  for (auto& [k, v] : log.request_headers)
    if (iequals(k, "authorization")) v = "(masked)";
  r.exchange = std::move(log);
  co_return res;
}

std::string transport_reason(std::string_view provider, const buyers::HttpResult& res) {
  if (res.error == buyers::TransportError::kTimeout ||
      res.error == buyers::TransportError::kConnectTimeout)
    return std::string(provider) + " timeout";
  return std::string(provider) + " unreachable (" + std::string(buyers::to_string(res.error)) + ")";
}

// Applies a vendor's reading to the record.
void apply_answer(const checks::VendorAnswer& a, const CheckConfig& c, CheckRecord& r) {
  r.values = a.values;
  switch (a.verdict) {
    case checks::CheckVerdict::kPass:
      r.status = CheckStatus::kPass;
      r.reason = a.reason;
      break;
    case checks::CheckVerdict::kFail:
      fail(r, a.reason);
      break;
    case checks::CheckVerdict::kError:
      error(r, c, a.reason);
      break;
  }
}

// What a remote check's answer means: the vendor's translator (TrustedForm, Jornaya), or for an
// HTTP validator its answer mapping (accepted = pass, rejected or duplicate = fail, error = error).
void read_answer(const CompiledCheck& cc, const buyers::HttpResult& res, CheckRecord& r) {
  const CheckConfig& c = *cc.config;
  if (c.type == CheckType::kHttp) {
    buyers::MappedResponse m = cc.mapping->map(res);
    r.values = m.kept;
    switch (m.verdict) {
      case buyers::Verdict::kAccepted:
        r.status = CheckStatus::kPass;
        break;
      case buyers::Verdict::kRejected:
      case buyers::Verdict::kDuplicate:
        fail(r, m.reason.empty() ? "rejected by " + c.provider : m.reason);
        break;
      case buyers::Verdict::kError:
        error(r, c,
              res.ok() ? c.provider + " error: " + m.reason : transport_reason(c.provider, res));
        break;
    }
    return;
  }
  if (!res.ok()) return error(r, c, transport_reason(c.provider, res));
  apply_answer(c.type == CheckType::kTrustedForm
                   ? checks::trustedform_answer(res.status, res.body, cc.policy)
                   : checks::jornaya_answer(res.status, res.body),
               c, r);
}

std::string cache_key(const CheckConfig& c, CampaignId campaign, BuyerId buyer,
                      std::string_view input) {
  return std::to_string(campaign) + "/" + std::to_string(buyer) + "/" + c.name + "/" +
         sha256_hex(input);
}

}  // namespace

asio::awaitable<CheckRecord> run_check(const CompiledCheck& cc, const Lead& lead,
                                       const CampaignConfig& campaign, CheckEnv& env,
                                       SteadyClock::time_point deadline, BuyerId buyer) {
  const CheckConfig& c = *cc.config;
  const auto t0 = SteadyClock::now();
  CheckRecord r;
  r.name = c.name;
  r.provider = c.provider;
  r.type = std::string(to_string(c.type));
  r.buyer_id = buyer;
  // Every check but an HTTP validator reads its field; without it the check is skipped, or the
  // lead fails when the field is required.
  std::string_view value = input(c, lead);
  if (c.type != CheckType::kHttp && c.type != CheckType::kSuppression && value.empty()) {
    const std::string field = c.fields.empty() ? std::string("input") : c.fields[0];
    if (c.required) {
      fail(r, field + " is missing");
    } else {
      r.status = CheckStatus::kSkipped;
      r.reason = field + " is empty";
    }
    r.duration_us = micros_since(t0);
    co_return r;
  }
  const int64_t now = env.now_ms;
  // Local checks decide here; remote ones build their vendor's request (or fail without one).
  std::optional<checks::VendorRequest> request;
  std::string remote_input;  // what a cached result is keyed by (its digest)
  switch (c.type) {
    case CheckType::kPhone:
      run_phone(cc, value, r);
      break;
    case CheckType::kEmail:
      run_email(value, r);
      break;
    case CheckType::kSuppression:
      run_suppression(cc, lead, campaign, env.config, env.lists, r);
      break;
    case CheckType::kTrustedForm: {
      std::string why;
      auto cert = checks::trustedform_cert_id(value, why);
      if (!cert) {
        if (cc.policy == checks::TrustedFormPolicy::kRecord) {
          r.reason = why;
          r.values.emplace_back("outcome", "invalid");
        } else {
          fail(r, why);
        }
        break;
      }
      checks::TrustedFormClaim claim;
      claim.cert_id = *cert;
      claim.api_key = c.api_key;
      for (const auto& f : campaign.fields) {
        const std::string* v = find_field(lead.fields, f.name);
        if (v == nullptr || v->empty()) continue;
        if (f.type == FieldType::kEmail && claim.email.empty()) claim.email = *v;
        if (f.type == FieldType::kPhone && claim.phone.empty()) claim.phone = *v;
      }
      LeadContext ctx(lead, campaign, now);
      ctx.set_buyer(buyer);
      claim.reference = cc.reference ? cc.reference->render(ctx, buyers::Escape::kNone) : lead.id;
      claim.vendor = cc.vendor ? cc.vendor->render(ctx, buyers::Escape::kNone) : "";
      remote_input = claim.cert_id + "|" + claim.email + "|" + claim.phone;
      request = checks::trustedform_request(
          c.base_url.empty() ? checks::kTrustedFormBaseUrl : std::string_view(c.base_url), claim);
      break;
    }
    case CheckType::kJornaya:
      if (!checks::jornaya_token_valid(value)) {
        fail(r, "not a LeadiD token");
        break;
      }
      remote_input = std::string(value);
      request = checks::jornaya_request(
          c.base_url.empty() ? checks::kJornayaBaseUrl : std::string_view(c.base_url), c.account,
          value);
      break;
    case CheckType::kHttp: {
      LeadContext ctx(lead, campaign, now);
      ctx.set_buyer(buyer);
      buyers::OutboundRequest rendered = cc.request->render(ctx, env.config.outbound.user_agent);
      remote_input = rendered.method + " " + rendered.url + "\n" + rendered.body;
      request =
          checks::VendorRequest{rendered.method, rendered.url, rendered.headers, rendered.body};
      break;
    }
  }
  if (request) {
    // A remote check: a result for the same input within the cache window, else the vendor.
    const std::string key = cache_key(c, campaign.id, buyer, remote_input);
    std::optional<CheckCache::Entry> hit;
    if (c.cache_s > 0) hit = env.cache.get(key, now);
    if (hit) {
      r.cached = true;
      r.status = hit->status;
      r.reason = hit->reason;
      r.values = hit->values;
    } else {
      buyers::HttpResult res = co_await call(*request, c, env, deadline, r);
      read_answer(cc, res, r);
      if (c.cache_s > 0 && r.status != CheckStatus::kError)
        env.cache.put(key, {r.status, r.reason, r.values, now + int64_t(c.cache_s) * 1000}, now);
    }
  }
  r.duration_us = micros_since(t0);
  co_return r;
}

}  // namespace pp::engine
