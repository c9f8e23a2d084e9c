#include "core/condition.h"

#include <date/date.h>
#include <date/tz.h>
#include <re2/re2.h>

#include <array>

#include "core/enum_names.h"
#include "core/fields.h"
#include "core/text.h"

namespace pp {

namespace {
constexpr EnumNames<CondOp, 14> kOps{{
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
    {CondOp::kRegex, "regex"},
    {CondOp::kAgeBetween, "age_between"},
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

std::string_view to_string(CondOp op) { return enum_name(kOps, op); }

bool parse_cond_op(std::string_view s, CondOp& out) {
  // accepted synonyms
  if (s == "in" || s == "one_of") s = "equals";
  if (s == "not_in" || s == "not_one_of") s = "not_equals";
  return parse_enum(kOps, s, out);
}

int cond_op_arity(CondOp op) {
  switch (op) {
    case CondOp::kEmpty:
    case CondOp::kNotEmpty:
      return 0;
    case CondOp::kGreater:
    case CondOp::kGreaterEq:
    case CondOp::kLess:
    case CondOp::kLessEq:
      return 1;
    case CondOp::kBetween:
    case CondOp::kAgeBetween:
      return 2;
    case CondOp::kRegex:
      return 1;
    default:
      return -1;
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
  if (op == CondOp::kRegex) {
    RE2::Options o;
    o.set_log_errors(false);
    o.set_case_sensitive(false);
    o.set_max_mem(1 << 20);
    auto re = std::make_shared<const re2::RE2>(values[0], o);
    if (!re->ok()) {
      error = "invalid regex: " + re->error();
      return std::nullopt;
    }
    c.regex_ = std::move(re);
    c.values_lower_.push_back(values[0]);
    return c;
  }
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

Condition Condition::schedule(Schedule s) {
  Condition c;
  c.kind_ = Kind::kSchedule;
  c.schedule_ = std::make_shared<const Schedule>(std::move(s));
  return c;
}

bool Schedule::contains(UnixMs t) const {
  int64_t local_s = t / 1000 + tz.offset_seconds(t);
  int64_t day = local_s >= 0 ? local_s / 86400 : (local_s - 86399) / 86400;
  auto minute = uint16_t((local_s - day * 86400) / 60);
  unsigned wd = date::weekday(date::sys_days(date::days(day))).c_encoding();  // 0 = Sunday
  auto day_ok = [&](unsigned d) { return (days >> d) & 1u; };
  if (hours.empty()) return day_ok(wd);
  for (const auto& r : hours) {
    if (r.from_min <= r.to_min) {
      if (minute >= r.from_min && minute < r.to_min && day_ok(wd)) return true;
    } else {
      // Overnight: the part after midnight belongs to the previous day's window.
      if (minute >= r.from_min && day_ok(wd)) return true;
      if (minute < r.to_min && day_ok((wd + 6) % 7)) return true;
    }
  }
  return false;
}

void Condition::collect_fields(std::vector<std::string>& out) const {
  switch (kind_) {
    case Kind::kRule:
      out.push_back(field_);
      break;
    case Kind::kSchedule:
      out.push_back("schedule");
      break;
    case Kind::kAll:
    case Kind::kAny:
      for (const auto& p : parts_) p.collect_fields(out);
      break;
    case Kind::kAlways:
      break;
  }
}

Condition Condition::any(std::vector<Condition> parts) {
  Condition c;
  c.kind_ = Kind::kAny;
  c.parts_ = std::move(parts);
  return c;
}

bool Condition::matches(const EvalContext& ctx) const {
  switch (kind_) {
    case Kind::kAlways:
      return true;
    case Kind::kRule:
      return match_rule(find_field(ctx.fields, field_), ctx.now);
    case Kind::kSchedule:
      return schedule_->contains(ctx.now);
    case Kind::kAll:
      for (const auto& p : parts_) {
        if (!p.matches(ctx)) return false;
      }
      return true;
    case Kind::kAny:
      for (const auto& p : parts_) {
        if (p.matches(ctx)) return true;
      }
      return parts_.empty();
  }
  return false;
}

namespace {
// Whole years between a civil date and an instant (UTC calendar).
std::optional<int64_t> age_at(std::string_view v, UnixMs now) {
  if (auto n = parse_int(v)) return *n;  // already an age
  auto d = parse_civil_date(v.substr(0, std::min<size_t>(v.size(), 10)));
  if (!d) return std::nullopt;
  auto today = date::year_month_day{date::floor<date::days>(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(now)))};
  int64_t age = int(today.year()) - d->y;
  if (unsigned(today.month()) < d->m ||
      (unsigned(today.month()) == d->m && unsigned(today.day()) < d->d))
    --age;
  return age;
}
}  // namespace

bool Condition::match_rule(const std::string* value, UnixMs now) const {
  bool empty = value == nullptr || trim(*value).empty();
  switch (op_) {
    case CondOp::kEmpty:
      return empty;
    case CondOp::kNotEmpty:
      return !empty;
    default:
      break;
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
    case CondOp::kRegex:
      return RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *regex_);
    case CondOp::kAgeBetween: {
      auto age = age_at(v, now);
      return age && Money::from_whole(*age) >= numbers_[0] &&
             Money::from_whole(*age) <= numbers_[1];
    }
    default:
      break;
  }
  auto n = Money::parse(v);
  if (!n) return false;
  switch (op_) {
    case CondOp::kGreater:
      return *n > numbers_[0];
    case CondOp::kGreaterEq:
      return *n >= numbers_[0];
    case CondOp::kLess:
      return *n < numbers_[0];
    case CondOp::kLessEq:
      return *n <= numbers_[0];
    case CondOp::kBetween:
      return *n >= numbers_[0] && *n <= numbers_[1];
    default:
      return false;
  }
}

}  // namespace pp
