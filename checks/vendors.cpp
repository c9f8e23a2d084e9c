#include "checks/vendors.h"

#include <boost/json.hpp>

#include "core/enum_names.h"
#include "core/hash.h"
#include "core/text.h"

namespace pp::checks {

namespace json = boost::json;

namespace {

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

std::string trim_slash(std::string_view base) {
  std::string b(base);
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b;
}

std::optional<json::value> parse_json(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return std::nullopt;
  return v;
}

const json::value* member(const json::value& v, std::string_view key) {
  return v.is_object() ? v.as_object().if_contains(key) : nullptr;
}

const json::value* path(const json::value& v, std::initializer_list<std::string_view> keys) {
  const json::value* cur = &v;
  for (std::string_view k : keys) {
    cur = member(*cur, k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

std::string text_of(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_null()) return "";
  return json::serialize(v);
}

// The first member named `key` at any depth (depth-first, bounded).
const json::value* find_member(const json::value& v, std::string_view key, int depth = 0) {
  if (depth > 16) return nullptr;
  if (v.is_object()) {
    if (const json::value* m = v.as_object().if_contains(key)) return m;
    for (const auto& kv : v.as_object())
      if (const json::value* m = find_member(kv.value(), key, depth + 1)) return m;
  } else if (v.is_array()) {
    for (const auto& e : v.as_array())
      if (const json::value* m = find_member(e, key, depth + 1)) return m;
  }
  return nullptr;
}

std::string clip(std::string_view s) { return std::string(s.substr(0, 200)); }

}  // namespace

std::string_view to_string(CheckVerdict v) {
  switch (v) {
    case CheckVerdict::kPass:
      return "pass";
    case CheckVerdict::kFail:
      return "fail";
    case CheckVerdict::kError:
      return "error";
  }
  return "error";
}

// ---- TrustedForm ------------------------------------------------------------------------------

std::optional<std::string> trustedform_cert_id(std::string_view value, std::string& reason) {
  std::string_view v = trim(value);
  if (v.size() == 40 && is_hex(v)) return to_lower(v);
  if (starts_with_icase(v, "http://")) {
    reason = "certificate URL is not https";
    return std::nullopt;
  }
  constexpr std::string_view kPrefix = "https://cert.trustedform.com/";
  if (!starts_with_icase(v, kPrefix)) {
    reason = "not a TrustedForm certificate URL (https://cert.trustedform.com/...)";
    return std::nullopt;
  }
  std::string_view id = v.substr(kPrefix.size());
  if (size_t q = id.find_first_of("?#"); q != std::string_view::npos) id = id.substr(0, q);
  if (!id.empty() && id.back() == '/') id.remove_suffix(1);
  if (id.size() != 40 || !is_hex(id)) {
    reason = "certificate id is not 40 hexadecimal digits";
    return std::nullopt;
  }
  return to_lower(id);
}

VendorRequest trustedform_request(std::string_view base_url, const TrustedFormClaim& c) {
  VendorRequest r;
  r.method = "POST";
  r.url = trim_slash(base_url) + "/" + c.cert_id;
  r.headers = {{"api-version", "4.0"},
               {"Content-Type", "application/json"},
               {"Accept", "application/json"},
               {"Authorization", "Basic " + base64_encode("API:" + c.api_key)}};
  json::object body;
  json::object match;
  if (!c.email.empty()) match["email"] = c.email;
  if (!c.phone.empty()) match["phone"] = c.phone;
  body["match_lead"] = std::move(match);
  json::object retain;
  retain["reference"] = c.reference;
  retain["vendor"] = c.vendor;
  body["retain"] = std::move(retain);
  r.body = json::serialize(body);
  return r;
}

constexpr EnumNames<TrustedFormPolicy, 3> kPolicies{{
    {TrustedFormPolicy::kRecord, "record"},
    {TrustedFormPolicy::kRequireSuccess, "require_success"},
    {TrustedFormPolicy::kRequireMatch, "require_match"},
}};

bool parse_trustedform_policy(std::string_view s, TrustedFormPolicy& out) {
  return parse_enum(kPolicies, s, out);
}

std::string_view to_string(TrustedFormPolicy p) { return enum_name(kPolicies, p); }

VendorAnswer trustedform_answer(int status, std::string_view body, TrustedFormPolicy policy) {
  VendorAnswer a;
  if (status == 401 || status == 403) {
    a.reason = "TrustedForm refused the API key (HTTP " + std::to_string(status) + ")";
    return a;
  }
  if (status >= 500 || status == 429) {
    a.reason = "TrustedForm unavailable (HTTP " + std::to_string(status) + ")";
    return a;
  }
  auto v = parse_json(body);
  const json::value* outcome = v ? member(*v, "outcome") : nullptr;
  if (outcome == nullptr || !outcome->is_string()) {
    if (status == 404) {
      a.verdict = policy == TrustedFormPolicy::kRecord ? CheckVerdict::kPass : CheckVerdict::kFail;
      a.reason = "certificate not found";
      a.values.emplace_back("outcome", "failure");
      a.values.emplace_back("reason", a.reason);
      return a;
    }
    a.reason = "TrustedForm answer without an outcome (HTTP " + std::to_string(status) + ")";
    return a;
  }
  std::string out = to_lower(outcome->as_string());
  a.values.emplace_back("outcome", out);
  std::string reason;
  if (const json::value* r = member(*v, "reason"); r && !r->is_null()) reason = clip(text_of(*r));
  if (!reason.empty()) a.values.emplace_back("reason", reason);
  const json::value* result = path(*v, {"match_lead", "result"});
  bool email_match = false, phone_match = false;
  if (result) {
    if (const json::value* e = member(*result, "email_match"); e && !e->is_null()) {
      email_match = e->is_bool() && e->as_bool();
      a.values.emplace_back("email_match", email_match ? "true" : "false");
    }
    if (const json::value* p = member(*result, "phone_match"); p && !p->is_null()) {
      phone_match = p->is_bool() && p->as_bool();
      a.values.emplace_back("phone_match", phone_match ? "true" : "false");
    }
  }
  const json::value* expires = path(*v, {"retain", "result", "expires_at"});
  if (!expires) expires = path(*v, {"retain", "results", "expires_at"});
  if (!expires) expires = path(*v, {"cert", "expires_at"});
  if (expires && expires->is_string())
    a.values.emplace_back("expires_at", clip(expires->as_string()));

  const bool success = out == "success";
  if (out != "success" && out != "failure") {
    a.reason = "TrustedForm outcome '" + clip(out) + "'";
    a.values.clear();
    return a;
  }
  a.verdict = CheckVerdict::kPass;
  if (policy == TrustedFormPolicy::kRecord) return a;
  if (!success) {
    a.verdict = CheckVerdict::kFail;
    a.reason = reason.empty() ? "certificate claim failed" : reason;
    return a;
  }
  if (policy == TrustedFormPolicy::kRequireMatch && !email_match && !phone_match) {
    a.verdict = CheckVerdict::kFail;
    a.reason = "certificate matches neither the lead's email nor its phone";
  }
  return a;
}

// ---- Jornaya ----------------------------------------------------------------------------------

bool jornaya_token_valid(std::string_view token) {
  token = trim(token);
  if (token.size() != 36) return false;
  for (size_t i = 0; i < token.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? token[i] != '-' : !is_hex(token.substr(i, 1))) return false;
  }
  return true;
}

VendorRequest jornaya_request(std::string_view base_url, std::string_view account,
                              std::string_view token) {
  VendorRequest r;
  r.method = "GET";
  r.url = trim_slash(base_url) + "/Authenticate?lac=" + url_encode(account) +
          "&id=" + url_encode(trim(token));
  r.headers = {{"Accept", "application/json"}};
  return r;
}

VendorAnswer jornaya_answer(int status, std::string_view body) {
  VendorAnswer a;
  if (status < 200 || status >= 300) {
    a.reason = "Jornaya answered HTTP " + std::to_string(status);
    return a;
  }
  std::optional<int> authentic;
  if (auto v = parse_json(body)) {
    if (const json::value* m = find_member(*v, "authentic")) {
      if (m->is_int64() && (m->as_int64() == 0 || m->as_int64() == 1))
        authentic = int(m->as_int64());
      else if (m->is_string() && (m->as_string() == "0" || m->as_string() == "1"))
        authentic = m->as_string() == "1" ? 1 : 0;
      else if (m->is_bool())
        authentic = m->as_bool() ? 1 : 0;
    }
  } else {
    // XML: <authentic>1</authentic>
    size_t open = body.find("<authentic>");
    if (open != std::string_view::npos) {
      std::string_view rest = body.substr(open + 11);
      size_t close = rest.find("</authentic>");
      if (close != std::string_view::npos) {
        std::string_view val = trim(rest.substr(0, close));
        if (val == "0" || val == "1") authentic = val == "1" ? 1 : 0;
      }
    }
  }
  if (!authentic) {
    a.reason = "Jornaya answer without 'authentic'";
    return a;
  }
  a.values.emplace_back("authentic", std::to_string(*authentic));
  a.verdict = *authentic == 1 ? CheckVerdict::kPass : CheckVerdict::kFail;
  if (*authentic == 0) a.reason = "LeadiD token is not authentic";
  return a;
}

}  // namespace pp::checks
