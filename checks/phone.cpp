#include "checks/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>

#include "core/enum_names.h"

namespace pp::checks {

namespace pn = i18n::phonenumbers;

namespace {

constexpr EnumNames<LineType, 12> kTypeNames{{
    {LineType::kUnknown, "unknown"},
    {LineType::kFixedLine, "fixed_line"},
    {LineType::kMobile, "mobile"},
    {LineType::kFixedLineOrMobile, "fixed_line_or_mobile"},
    {LineType::kTollFree, "toll_free"},
    {LineType::kPremiumRate, "premium_rate"},
    {LineType::kSharedCost, "shared_cost"},
    {LineType::kVoip, "voip"},
    {LineType::kPersonal, "personal"},
    {LineType::kPager, "pager"},
    {LineType::kUan, "uan"},
    {LineType::kVoicemail, "voicemail"},
}};

LineType from_pn(pn::PhoneNumberUtil::PhoneNumberType t) {
  using T = pn::PhoneNumberUtil;
  switch (t) {
    case T::FIXED_LINE:
      return LineType::kFixedLine;
    case T::MOBILE:
      return LineType::kMobile;
    case T::FIXED_LINE_OR_MOBILE:
      return LineType::kFixedLineOrMobile;
    case T::TOLL_FREE:
      return LineType::kTollFree;
    case T::PREMIUM_RATE:
      return LineType::kPremiumRate;
    case T::SHARED_COST:
      return LineType::kSharedCost;
    case T::VOIP:
      return LineType::kVoip;
    case T::PERSONAL_NUMBER:
      return LineType::kPersonal;
    case T::PAGER:
      return LineType::kPager;
    case T::UAN:
      return LineType::kUan;
    case T::VOICEMAIL:
      return LineType::kVoicemail;
    default:
      return LineType::kUnknown;
  }
}

// The NANP's rules libphonenumber's metadata does not carry: the exchange (NXX) of a 10-digit
// number is not N11, and 555-0100..555-0199 are fictional in every area code.
std::string nanp_reason(const std::string& national) {
  if (national.size() != 10) return "not a 10-digit number";
  if (national[4] == '1' && national[5] == '1')
    return "N11 exchange (" + national.substr(3, 3) + ")";
  if (national.compare(3, 3, "555") == 0 && national.compare(6, 2, "01") == 0)
    return "fictional number (555-01XX)";
  return {};
}

}  // namespace

std::string_view to_string(LineType t) { return enum_name(kTypeNames, t); }

bool parse_line_type(std::string_view s, LineType& out) { return parse_enum(kTypeNames, s, out); }

bool known_region(std::string_view region) {
  const auto* util = pn::PhoneNumberUtil::GetInstance();
  return util->GetCountryCodeForRegion(std::string(region)) != 0;
}

PhoneResult check_phone(std::string_view raw, const std::vector<std::string>& countries) {
  static const std::vector<std::string> kUs{"US"};
  const std::vector<std::string>& allowed = countries.empty() ? kUs : countries;
  const pn::PhoneNumberUtil* util = pn::PhoneNumberUtil::GetInstance();
  PhoneResult r;
  if (raw.size() > 64) {
    r.reason = "too long for a phone number";
    return r;
  }
  pn::PhoneNumber number;
  if (util->Parse(std::string(raw), allowed.front(), &number) !=
      pn::PhoneNumberUtil::NO_PARSING_ERROR) {
    r.reason = "not a phone number";
    return r;
  }
  util->Format(number, pn::PhoneNumberUtil::E164, &r.e164);
  util->GetNationalSignificantNumber(number, &r.national);
  util->GetRegionCodeForNumber(number, &r.region);
  if (r.region == "ZZ") r.region.clear();
  if (!util->IsValidNumber(number)) {
    r.reason = "not a valid number";
    return r;
  }
  r.line_type = from_pn(util->GetNumberType(number));
  if (std::find(allowed.begin(), allowed.end(), r.region) == allowed.end()) {
    r.reason = "a number of " + (r.region.empty() ? std::string("another country") : r.region) +
               ", not of " + allowed.front();
    for (size_t i = 1; i < allowed.size(); ++i)
      r.reason += (i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
    return r;
  }
  // (Toll-free codes are not geographic: 800-555-01XX is an ordinary toll-free number.)
  if (number.country_code() == 1 && r.line_type != LineType::kTollFree) {
    r.reason = nanp_reason(r.national);
    if (!r.reason.empty()) return r;
  }
  r.valid = true;
  return r;
}

bool line_type_allowed(LineType t, const std::vector<LineType>& allowed) {
  if (allowed.empty() || t == LineType::kUnknown) return true;
  auto has = [&](LineType x) {
    return std::find(allowed.begin(), allowed.end(), x) != allowed.end();
  };
  if (has(t)) return true;
  if (t == LineType::kFixedLineOrMobile) return has(LineType::kMobile) || has(LineType::kFixedLine);
  return false;
}

}  // namespace pp::checks
