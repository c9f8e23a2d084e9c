#pragma once
// Campaign field types and their validation/normalisation (capability A4).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pp {

enum class FieldType : uint8_t {
  kText,
  kNumeric,
  kEmail,
  kPhone,     // US: 10 digits, NANP rules; a leading 1 and punctuation are removed
  kDate,      // YYYY-MM-DD (also MM/DD/YYYY), normalised to YYYY-MM-DD
  kDateTime,  // YYYY-MM-DD HH:MM[:SS] or ISO 8601 with T; normalised to YYYY-MM-DD HH:MM:SS
  kAge,       // a whole number of years 0..130
  kDob,       // a date of birth: a past date, normalised to YYYY-MM-DD
  kList,      // one of allowed_values (case-insensitive), normalised to the listed spelling
  kState,     // 2-letter US state/territory code, upper-cased
  kZip,       // 5 digits (ZIP+4 is accepted and cut to 5)
  kIp,        // IPv4 or IPv6
  kUrl,       // http:// or https:// with a host
  kBoolean,   // true/false, yes/no, 1/0, on/off; normalised to "true"/"false"
};

std::string_view to_string(FieldType t);
bool parse_field_type(std::string_view s, FieldType& out);

struct FieldSpec {
  std::string name;  // case-sensitive
  FieldType type = FieldType::kText;
  bool required = false;                    // required on the post (and on a direct post)
  bool required_on_ping = false;            // exchange campaigns: required on the ping
  bool on_ping = false;                     // sent on the ping (never personal data)
  uint32_t max_length = 255;                // for text-like types; after trimming
  std::vector<std::string> allowed_values;  // kList
  std::string description;
  // Whether the lead search keeps an index of this field's values (field_indexed): a search by
  // an indexed field reads only the matching leads; by any other, it reads the campaign's leads
  // newest first within its scan budget and pages on. Unset: field_indexed's default.
  std::optional<bool> searchable;
};

// Whether lead searches by this field use the index: `searchable` when set, otherwise the fields
// operators look leads up by — email and phone types, names, consent certificate and lead ids
// (TrustedForm, Jornaya). Each indexed field costs one more write per lead.
bool field_indexed(const FieldSpec& spec);

struct FieldCheck {
  bool ok = false;
  std::string value;  // normalised value when ok
  std::string error;  // human-readable reason when not ok (no field value in it: no PII)
};

// Validates and normalises one value. An empty (after trim) value is "missing", which the caller
// decides on from `required`; validate() is only called with a non-empty value.
FieldCheck validate_field(const FieldSpec& spec, std::string_view raw);

// A valid example value of the field's type (the first allowed value of a list): sample leads of
// the buyer test tool and the supplier API specs.
std::string example_value(const FieldSpec& spec);

// Civil date helpers used by validators and transformers.
struct CivilDate {
  int y = 0;
  unsigned m = 0, d = 0;
};
std::optional<CivilDate> parse_civil_date(std::string_view s);  // YYYY-MM-DD or MM/DD/YYYY
bool is_us_state(std::string_view upper2);

}  // namespace pp
