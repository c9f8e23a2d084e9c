#include "core/condition.h"

#include <array>

#include "core/text.h"

namespace pp {

namespace {
constexpr std::array<std::pair<CondOp, std::string_view>, 12> kOps{{
    {CondOp::kOneOf, "equals"},
    {CondOp::kNotOneOf, "not_equals"},
    {CondOp::kContains, "contains"},
    {CondOp::kNotContains, "not_contains"},
    {CondOp::kStartsWith, "starts_with"},
    {CondOp::kGreater, "gt"},
    {CondOp::kGreaterEq, "gte"},
    {CondOp::kLess, "lt"},
    {CondOp::kLessEq, "lte"},
    {CondOp::kBetween, "between"},
    {CondOp::kEmpty, "empty"},
    {CondOp::kNotEmpty, "not_empty"},
}};

// Case-insensitive search of an already lower-cased needle in a haystack.
bool icontains(std::string_view hay, std::string_view needle_lower) {
  if (needle_lower.empty()) return true;
  if (needle_lower.size() > hay.size()) return false;
  for (size_t i = 0; i + needle_lower.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle_lower.size() && ascii_lower(hay[i + k]) == needle_lower[k]) ++k;
    if (k == needle_lower.size()) return true;
  }
  return false;
}

bool ieq_lower(std::string_view v, std::string_view lower) {
  if (v.size() != lower.size()) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (ascii_lower(v[i]) != lower[i]) return false;
  }
  return true;
}
}  // namespace

std::string_view to_string(CondOp op) {
  for (auto& [k, v] : kOps) {
    if (k == op) return v;
  }
  return "equals";
}

bool parse_cond_op(std::string_view s, CondOp& out) {
  // accepted synonyms
  if (s == "in" || s == "one_of") s = "equals";
  if (s == "not_in" || s == "not_one_of") s = "not_equals";
  for (auto& [k, v] : kOps) {
    if (v == s) {
      out = k;
      return true;
    }
  }
  return false;
}

int cond_op_arity(CondOp op) {
  switch (op) {
    case CondOp::kEmpty:
    case CondOp::kNotEmpty: return 0;
    case CondOp::kGreater:
    case CondOp::kGreaterEq:
    case CondOp::kLess:
    case CondOp::kLessEq: return 1;
    case CondOp::kBetween: return 2;
    default: return -1;
  }
}

std::optional<Condition> Condition::rule(std::string field, CondOp op,
                                         std::vector<std::string> values, std::string& error) {
  int arity = cond_op_arity(op);
  if (arity == -1 && values.empty()) {
    error = "operator '" + std::string(to_string(op)) + "' needs at least one value";
    return std::nullopt;
  }
  if (arity >= 0 && values.size() != size_t(arity)) {
    error = "operator '" + std::string(to_string(op)) + "' takes " + std::to_string(arity) +
            " value(s)";
    return std::nullopt;
  }
  Condition c;
  c.kind_ = Kind::kRule;
  c.field_ = std::move(field);
  c.op_ = op;
  if (arity > 0) {
    for (const auto& v : values) {
      auto m = Money::parse(v);
      if (!m) {
        error = "operator '" + std::string(to_string(op)) + "' needs numbers, got '" + v + "'";
        return std::nullopt;
      }
      c.numbers_.push_back(*m);
    }
  }
  for (auto& v : values) c.values_lower_.push_back(to_lower(v));
  return c;
}

Condition Condition::all(std::vector<Condition> parts) {
  Condition c;
  c.kind_ = Kind::kAll;
  c.parts_ = std::move(parts);
  return c;
}

Condition Condition::any(std::vector<Condition> parts) {
  Condition c;
  c.kind_ = Kind::kAny;
  c.parts_ = std::move(parts);
  return c;
}

bool Condition::matches(const FieldList& fields) const {
  switch (kind_) {
    case Kind::kAlways: return true;
    case Kind::kRule: return match_rule(find_field(fields, field_));
    case Kind::kAll:
      for (const auto& p : parts_) {
        if (!p.matches(fields)) return false;
      }
      return true;
    case Kind::kAny:
      for (const auto& p : parts_) {
        if (p.matches(fields)) return true;
      }
      return parts_.empty();
  }
  return false;
}

bool Condition::match_rule(const std::string* value) const {
  bool empty = value == nullptr || trim(*value).empty();
  switch (op_) {
    case CondOp::kEmpty: return empty;
    case CondOp::kNotEmpty: return !empty;
    default: break;
  }
  if (empty) {
    // A missing value equals nothing, so it passes only the negative operators.
    return op_ == CondOp::kNotOneOf || op_ == CondOp::kNotContains;
  }
  std::string_view v = trim(*value);
  switch (op_) {
    case CondOp::kOneOf:
      for (const auto& a : values_lower_) {
        if (ieq_lower(v, a)) return true;
      }
      return false;
    case CondOp::kNotOneOf:
      for (const auto& a : values_lower_) {
        if (ieq_lower(v, a)) return false;
      }
      return true;
    case CondOp::kContains:
      for (const auto& a : values_lower_) {
        if (icontains(v, a)) return true;
      }
      return false;
    case CondOp::kNotContains:
      for (const auto& a : values_lower_) {
        if (icontains(v, a)) return false;
      }
      return true;
    case CondOp::kStartsWith:
      for (const auto& a : values_lower_) {
        if (v.size() >= a.size() && ieq_lower(v.substr(0, a.size()), a)) return true;
      }
      return false;
    default: break;
  }
  auto n = Money::parse(v);
  if (!n) return false;
  switch (op_) {
    case CondOp::kGreater: return *n > numbers_[0];
    case CondOp::kGreaterEq: return *n >= numbers_[0];
    case CondOp::kLess: return *n < numbers_[0];
    case CondOp::kLessEq: return *n <= numbers_[0];
    case CondOp::kBetween: return *n >= numbers_[0] && *n <= numbers_[1];
    default: return false;
  }
}

}  // namespace pp
