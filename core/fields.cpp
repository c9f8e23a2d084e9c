#include "core/fields.h"

#include <arpa/inet.h>
#include <date/date.h>

#include <array>
#include <cstdio>

#include "core/enum_names.h"
#include "core/money.h"
#include "core/text.h"

namespace pp {

namespace {
constexpr EnumNames<FieldType, 14> kTypeNames{{
    {FieldType::kText, "text"},
    {FieldType::kNumeric, "numeric"},
    {FieldType::kEmail, "email"},
    {FieldType::kPhone, "phone"},
    {FieldType::kDate, "date"},
    {FieldType::kDateTime, "datetime"},
    {FieldType::kAge, "age"},
    {FieldType::kDob, "dob"},
    {FieldType::kList, "list"},
    {FieldType::kState, "state"},
    {FieldType::kZip, "zip"},
    {FieldType::kIp, "ip"},
    {FieldType::kUrl, "url"},
    {FieldType::kBoolean, "boolean"},
}};

// 50 states, DC and the inhabited territories.
constexpr std::array<std::string_view, 56> kStates{
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
    "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
    "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP"};

FieldCheck ok(std::string v) { return FieldCheck{true, std::move(v), {}}; }
FieldCheck fail(std::string e) { return FieldCheck{false, {}, std::move(e)}; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool valid_email(std::string_view s) {
  if (s.size() > 254) return false;
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos)
    return false;
  std::string_view local = s.substr(0, at);
  std::string_view domain = s.substr(at + 1);
  if (local.size() > 64 || domain.size() < 3) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return false;
  for (char c : local) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
    if (std::string_view("()<>[]\\,;:\"").find(c) != std::string_view::npos) return false;
  }
  size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) return false;
  // labels: letters, digits, hyphens; not starting/ending with a hyphen
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && c != '-') return false;
    }
    start = end + 1;
  }
  std::string_view tld = domain.substr(dot + 1);
  for (char c : tld) {
    if (c >= '0' && c <= '9') return false;
  }
  return true;
}

bool valid_url(std::string_view s) {
  std::string_view rest;
  if (starts_with_icase(s, "http://"))
    rest = s.substr(7);
  else if (starts_with_icase(s, "https://"))
    rest = s.substr(8);
  else
    return false;
  size_t end = rest.find_first_of("/?#");
  std::string_view host = rest.substr(0, end);
  if (host.empty()) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return false;
  }
  return true;
}

std::string two(unsigned v) {
  char b[3];
  std::snprintf(b, sizeof b, "%02u", v % 100);
  return b;
}

std::string format_date(const CivilDate& d) {
  char b[16];
  std::snprintf(b, sizeof b, "%04d-%02u-%02u", d.y, d.m, d.d);
  return b;
}

bool parse_uint(std::string_view s, unsigned& out) {
  if (!all_digits(s) || s.size() > 4) return false;
  out = 0;
  for (char c : s) out = out * 10 + unsigned(c - '0');
  return true;
}
}  // namespace

bool field_indexed(const FieldSpec& spec) {
  if (spec.searchable) return *spec.searchable;
  if (spec.type == FieldType::kEmail || spec.type == FieldType::kPhone) return true;
  static constexpr std::string_view kLookedUp[] = {"first_name",
                                                   "last_name",
                                                   "full_name",
                                                   "email",
                                                   "phone",
                                                   "phone_number",
                                                   "phone1",
                                                   "home_phone",
                                                   "cell_phone",
                                                   "mobile_phone",
                                                   "trusted_form_cert_url",
                                                   "trustedform_cert_url",
                                                   "xxtrustedformcerturl",
                                                   "trusted_form_cert_id",
                                                   "jornaya_leadid",
                                                   "jornaya_lead_id",
                                                   "leadid_token",
                                                   "universal_leadid",
                                                   "lead_id_token"};
  for (std::string_view n : kLookedUp) {
    if (iequals(spec.name, n)) return true;
  }
  return false;
}

std::string_view to_string(FieldType t) { return enum_name(kTypeNames, t); }

bool parse_field_type(std::string_view s, FieldType& out) {
  return parse_enum(kTypeNames, s, out, /*icase=*/true);
}

bool is_us_state(std::string_view s) {
  for (auto st : kStates) {
    if (st == s) return true;
  }
  return false;
}

std::optional<CivilDate> parse_civil_date(std::string_view s) {
  unsigned y = 0, m = 0, d = 0;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    if (!parse_uint(s.substr(0, 4), y) || !parse_uint(s.substr(5, 2), m) ||
        !parse_uint(s.substr(8, 2), d))
      return std::nullopt;
  } else if (s.size() == 10 && s[2] == '/' && s[5] == '/') {
    if (!parse_uint(s.substr(6, 4), y) || !parse_uint(s.substr(0, 2), m) ||
        !parse_uint(s.substr(3, 2), d))
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  date::year_month_day ymd{date::year(int(y)), date::month(m), date::day(d)};
  if (!ymd.ok() || y < 1900 || y > 2999) return std::nullopt;
  return CivilDate{int(y), m, d};
}

FieldCheck validate_field(const FieldSpec& spec, std::string_view raw) {
  std::string_view v = trim(raw);
  switch (spec.type) {
    case FieldType::kText:
      if (v.size() > spec.max_length)
        return fail("longer than " + std::to_string(spec.max_length) + " characters");
      return ok(std::string(v));

    case FieldType::kNumeric: {
      // Accepts "123", "-12.34", "$100,000"; normalised to plain decimal text.
      std::string_view n = v;
      if (n.size() > 32) return fail("not a number");
      auto m = Money::parse(n);
      if (!m) return fail("not a number");
      // normalised: no currency sign, no thousands separators, no leading '+'
      std::string out;
      for (char c : n) {
        if (c != '$' && c != ',' && c != '+' && c != ' ') out.push_back(c);
      }
      return ok(std::move(out));
    }

    case FieldType::kEmail: {
      if (!valid_email(v)) return fail("not a valid email address");
      // the domain part is case-insensitive; the local part is kept as sent
      std::string e(v);
      size_t at = e.find('@');
      for (size_t i = at + 1; i < e.size(); ++i) e[i] = ascii_lower(e[i]);
      return ok(std::move(e));
    }

    case FieldType::kPhone: {
      std::string digits;
      for (char c : v) {
        if (c >= '0' && c <= '9')
          digits.push_back(c);
        else if (std::string_view(" ()-.+").find(c) == std::string_view::npos)
          return fail("not a 10-digit US phone number");
        if (digits.size() > 11) return fail("not a 10-digit US phone number");
      }
      if (digits.size() == 11 && digits[0] == '1') digits.erase(0, 1);
      if (digits.size() != 10) return fail("not a 10-digit US phone number");
      // NANP: area code and exchange start with 2-9
      if (digits[0] < '2' || digits[3] < '2') return fail("not a valid US phone number");
      return ok(std::move(digits));
    }

    case FieldType::kDate: {
      auto d = parse_civil_date(v);
      if (!d) return fail("not a date (YYYY-MM-DD)");
      return ok(format_date(*d));
    }

    case FieldType::kDob: {
      auto d = parse_civil_date(v);
      if (!d) return fail("not a date of birth (YYYY-MM-DD)");
      return ok(format_date(*d));
    }

    case FieldType::kDateTime: {
      // YYYY-MM-DD[ T]HH:MM[:SS][.fff][Z|+hh:mm]; kept as wall time YYYY-MM-DD HH:MM:SS
      if (v.size() < 16) return fail("not a date and time (YYYY-MM-DD HH:MM:SS)");
      auto d = parse_civil_date(v.substr(0, 10));
      if (!d || (v[10] != ' ' && v[10] != 'T') || v[13] != ':')
        return fail("not a date and time (YYYY-MM-DD HH:MM:SS)");
      unsigned hh = 0, mm = 0, ss = 0;
      if (!parse_uint(v.substr(11, 2), hh) || !parse_uint(v.substr(14, 2), mm) || hh > 23 ||
          mm > 59)
        return fail("not a date and time (YYYY-MM-DD HH:MM:SS)");
      std::string_view rest = v.substr(16);
      if (!rest.empty() && rest[0] == ':') {
        if (rest.size() < 3 || !parse_uint(rest.substr(1, 2), ss) || ss > 60)
          return fail("not a date and time (YYYY-MM-DD HH:MM:SS)");
        rest.remove_prefix(3);
      }
      if (!rest.empty() && rest[0] == '.') {
        size_t k = 1;
        while (k < rest.size() && rest[k] >= '0' && rest[k] <= '9') ++k;
        rest.remove_prefix(k);
      }
      if (!(rest.empty() || rest == "Z" ||
            ((rest[0] == '+' || rest[0] == '-') && rest.size() <= 6)))
        return fail("not a date and time (YYYY-MM-DD HH:MM:SS)");
      return ok(format_date(*d) + " " + two(hh) + ":" + two(mm) + ":" + two(ss));
    }

    case FieldType::kAge: {
      auto n = parse_int(v);
      if (!n || *n < 0 || *n > 130) return fail("not an age in years");
      return ok(std::to_string(*n));
    }

    case FieldType::kList:
      for (const auto& a : spec.allowed_values) {
        if (iequals(a, v)) return ok(a);
      }
      return fail("not one of the allowed values");

    case FieldType::kState: {
      if (v.size() != 2) return fail("not a 2-letter US state");
      std::string s = to_upper(v);
      if (!is_us_state(s)) return fail("not a 2-letter US state");
      return ok(std::move(s));
    }

    case FieldType::kZip: {
      if (v.size() == 10 && v[5] == '-' && all_digits(v.substr(0, 5)) && all_digits(v.substr(6)))
        return ok(std::string(v.substr(0, 5)));
      if (v.size() != 5 || !all_digits(v)) return fail("not a 5-digit postal code");
      return ok(std::string(v));
    }

    case FieldType::kIp: {
      std::string s(v);
      unsigned char buf[16];
      if (inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1)
        return ok(std::move(s));
      return fail("not an IPv4 or IPv6 address");
    }

    case FieldType::kUrl:
      if (v.size() > 2048 || !valid_url(v)) return fail("not a URL with http:// or https://");
      return ok(std::string(v));

    case FieldType::kBoolean: {
      for (auto t : {"true", "yes", "1", "on", "y"}) {
        if (iequals(v, t)) return ok("true");
      }
      for (auto f : {"false", "no", "0", "off", "n"}) {
        if (iequals(v, f)) return ok("false");
      }
      return fail("not a boolean (true/false, yes/no, 1/0)");
    }
  }
  return fail("unknown field type");
}

std::string example_value(const FieldSpec& spec) {
  switch (spec.type) {
    case FieldType::kText:
      return spec.name.find("first") != std::string::npos  ? "Jane"
             : spec.name.find("last") != std::string::npos ? "Doe"
             : spec.name.find("city") != std::string::npos ? "Albany"
                                                           : "Test";
    case FieldType::kNumeric:
      return "1000";
    case FieldType::kEmail:
      return "jane.doe@example.com";
    case FieldType::kPhone:
      return "2125550123";
    case FieldType::kDate:
      return "2026-01-15";
    case FieldType::kDateTime:
      return "2026-01-15 10:30:00";
    case FieldType::kAge:
      return "35";
    case FieldType::kDob:
      return "1990-04-02";
    case FieldType::kList:
      return spec.allowed_values.empty() ? std::string() : spec.allowed_values.front();
    case FieldType::kState:
      return "NY";
    case FieldType::kZip:
      return "12207";
    case FieldType::kIp:
      return "203.0.113.7";
    case FieldType::kUrl:
      return "https://example.com/landing";
    case FieldType::kBoolean:
      return "true";
  }
  return "Test";
}

}  // namespace pp
