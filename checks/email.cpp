#include "checks/email.h"

#include <idn2.h>

#include <cstdlib>

#include "core/text.h"

namespace pp::checks {

namespace {

bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;  // UTF-8 (RFC 6531)
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

void lower_ascii(std::string& s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
}

bool ascii_only(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// The domain in ASCII, lower case; empty and `reason` when it cannot be one.
std::string to_ascii_domain(std::string_view domain, std::string& reason) {
  if (domain.empty()) {
    reason = "no domain";
    return {};
  }
  std::string out;
  if (ascii_only(domain)) {
    out = std::string(domain);
    lower_ascii(out);
  } else {
    char* converted = nullptr;
    std::string in(domain);
    int rc = idn2_to_ascii_8z(in.c_str(), &converted, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
      reason = std::string("not a valid internationalised domain (") + idn2_strerror(rc) + ")";
      return {};
    }
    out = converted;
    idn2_free(converted);
    lower_ascii(out);
  }
  if (!out.empty() && out.back() == '.') out.pop_back();  // a root dot
  if (out.size() > 253) {
    reason = "domain longer than 253 characters";
    return {};
  }
  size_t labels = 0;
  std::string_view last;
  std::string_view rest = out;
  for (;;) {
    const size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    ++labels;
    if (label.empty() || label.size() > 63) {
      reason = "domain label empty or longer than 63 characters";
      return {};
    }
    if (label.front() == '-' || label.back() == '-') {
      reason = "domain label starts or ends with '-'";
      return {};
    }
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        reason = "character not allowed in a domain";
        return {};
      }
    }
    last = label;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (labels < 2) {
    reason = "domain without a top-level domain";
    return {};
  }
  bool numeric_tld = true;
  for (char c : last) numeric_tld = numeric_tld && c >= '0' && c <= '9';
  if (numeric_tld) {
    reason = "numeric top-level domain";
    return {};
  }
  return out;
}

}  // namespace

EmailResult check_email(std::string_view raw) {
  EmailResult r;
  std::string_view s = trim(raw);
  if (s.empty()) {
    r.reason = "empty";
    return r;
  }
  if (s.size() > 254) {
    r.reason = "longer than 254 characters";
    return r;
  }
  size_t at = s.rfind('@');
  if (at == std::string_view::npos) {
    r.reason = "no '@'";
    return r;
  }
  std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  if (local.empty()) {
    r.reason = "empty local part";
    return r;
  }
  if (local.size() > 64) {
    r.reason = "local part longer than 64 characters";
    return r;
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    r.reason = "local part with a leading, trailing or double dot";
    return r;
  }
  for (unsigned char c : local) {
    if (c != '.' && !is_atext(c)) {
      r.reason = c == '@' ? "more than one '@'" : "character not allowed in the local part";
      return r;
    }
  }
  if (!domain.empty() && domain.front() == '[') {
    r.reason = "address literals are not accepted";
    return r;
  }
  r.domain = to_ascii_domain(domain, r.reason);
  if (r.domain.empty()) return r;
  r.normalized = std::string(local);
  lower_ascii(r.normalized);
  r.normalized += '@';
  r.normalized += r.domain;
  r.valid = true;
  return r;
}

std::string normalize_email(std::string_view raw) {
  std::string_view s = trim(raw);
  size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0) return {};
  std::string reason;
  std::string domain = to_ascii_domain(s.substr(at + 1), reason);
  if (domain.empty()) return {};
  std::string out(s.substr(0, at));
  lower_ascii(out);
  out += '@';
  out += domain;
  return out;
}

std::string normalize_domain(std::string_view raw) {
  std::string reason;
  std::string_view s = trim(raw);
  if (!s.empty() && s.front() == '@') s.remove_prefix(1);
  return to_ascii_domain(s, reason);
}

}  // namespace pp::checks
