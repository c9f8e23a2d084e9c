#pragma once
// The phone check (issue 17): libphonenumber decides whether a number is valid for the campaign's
// countries and what line it is, with the North American Numbering Plan's rules on top that its
// metadata leaves out: no N11 exchange (411, 911) and none of the 555-0100..0199 numbers kept
// for fiction.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pp::checks {

// libphonenumber's number types. US and Canadian numbers are mostly kFixedLineOrMobile: the plan
// does not tell a mobile number from a landline by its digits.
enum class LineType : uint8_t {
  kUnknown,
  kFixedLine,
  kMobile,
  kFixedLineOrMobile,
  kTollFree,
  kPremiumRate,
  kSharedCost,
  kVoip,
  kPersonal,
  kPager,
  kUan,
  kVoicemail,
};
std::string_view to_string(LineType t);  // "fixed_line", "mobile", "fixed_line_or_mobile", ...
bool parse_line_type(std::string_view s, LineType& out);

struct PhoneResult {
  bool valid = false;
  std::string e164;      // "+12125550123" (empty when not a number at all)
  std::string national;  // the national significant number: 10 digits in the NANP
  std::string region;    // ISO 3166 code of the number ("US", "CA"), "" when unknown
  LineType line_type = LineType::kUnknown;
  std::string reason;  // why it is not valid (or not allowed)
};

// Parses `raw` as a number of one of `countries` (ISO 3166 codes, upper case; the first is the
// default region for numbers written without a country code; empty means {"US"}).
PhoneResult check_phone(std::string_view raw, const std::vector<std::string>& countries);

// Whether a number of type `t` passes a rule that allows `allowed` (empty: any). A type that is
// not known exactly passes when it may be an allowed one: kFixedLineOrMobile passes a rule that
// allows mobile or fixed_line, kUnknown passes every rule.
bool line_type_allowed(LineType t, const std::vector<LineType>& allowed);

// Whether libphonenumber knows `region` (an ISO 3166 code such as "US").
bool known_region(std::string_view region);

}  // namespace pp::checks
