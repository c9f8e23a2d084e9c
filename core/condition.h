#pragma once
// The condition language: one way to say "when" everywhere a rule is needed (pricing rules now;
// filters, buyer groups and triggers build on it). Conditions are compiled once when the
// configuration loads (values lower-cased, numbers parsed) and evaluated without allocation.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lead.h"
#include "core/money.h"
#include "core/time.h"

namespace re2 {
class RE2;
}

namespace pp {

// What a condition is evaluated against: the lead's fields and the evaluation instant (schedules,
// ages). Cheap to build; holds references.
struct EvalContext {
  const FieldList& fields;
  UnixMs now = 0;
};

// Days of the week (bit 0 = Sunday ... bit 6 = Saturday) and minute-of-day ranges in a time zone.
struct Schedule {
  TimeZone tz;
  uint8_t days = 0x7F;
  struct Range {
    uint16_t from_min = 0;  // inclusive
    uint16_t to_min = 0;    // exclusive; from > to wraps past midnight
  };
  std::vector<Range> hours;  // empty = all day
  bool contains(UnixMs t) const;
};

enum class CondOp : uint8_t {
  kOneOf,        // equals one of the values (case-insensitive)
  kNotOneOf,     // equals none of the values
  kContains,     // contains any of the values
  kNotContains,  // contains none of the values
  kStartsWith,   // starts with any of the values (zip prefixes: "100", "101")
  kGreater,      // numeric >
  kGreaterEq,    // numeric >=
  kLess,         // numeric <
  kLessEq,       // numeric <=
  kBetween,      // numeric, inclusive: values[0] <= x <= values[1]
  kEmpty,        // missing or empty
  kNotEmpty,
  kRegex,       // matches a regular expression (RE2: linear time, case-insensitive, partial)
  kAgeBetween,  // a date of birth (or an age in years) within [min, max] years at evaluation time
};

std::string_view to_string(CondOp op);
bool parse_cond_op(std::string_view s, CondOp& out);
// Number of values an operator takes: -1 = one or more, 0 = none, 1, 2.
int cond_op_arity(CondOp op);

// A compiled predicate over a lead's fields.
class Condition {
 public:
  enum class Kind : uint8_t { kAlways, kRule, kAll, kAny, kSchedule };

  static Condition always() { return Condition(); }
  // Fails (nullopt + error) when a numeric operator gets a non-numeric value or the arity is wrong.
  static std::optional<Condition> rule(std::string field, CondOp op,
                                       std::vector<std::string> values, std::string& error);
  static Condition all(std::vector<Condition> parts);
  static Condition any(std::vector<Condition> parts);
  static Condition schedule(Schedule s);

  bool matches(const EvalContext& ctx) const;
  // Names of the fields the condition reads ("schedule" for schedules), for messages and checks.
  void collect_fields(std::vector<std::string>& out) const;
  Kind kind() const { return kind_; }
  const std::string& field() const { return field_; }

 private:
  bool match_rule(const std::string* value, UnixMs now) const;

  Kind kind_ = Kind::kAlways;
  std::string field_;
  CondOp op_ = CondOp::kOneOf;
  std::vector<std::string> values_lower_;
  std::vector<Money> numbers_;  // for numeric operators (4-decimal fixed point)
  std::vector<Condition> parts_;
  std::shared_ptr<const re2::RE2> regex_;
  std::shared_ptr<const Schedule> schedule_;
};

}  // namespace pp
