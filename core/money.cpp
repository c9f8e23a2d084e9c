#include "core/money.h"

#include "core/text.h"

namespace pp {

namespace {
__extension__ typedef __int128 int128;
}  // namespace

std::optional<Money> Money::parse(std::string_view s) {
  // trim spaces
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s.front() == '-' || s.front() == '+') {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (!s.empty() && s.front() == '$') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;

  // Whole units are capped at 10^14 - 1 so that whole * kScale always fits in int64_t.
  constexpr int64_t kMaxWholeBeforeDigit = 10'000'000'000'000;  // 10^13
  int64_t whole = 0;
  int64_t frac = 0;
  int frac_digits = 0;
  bool seen_digit = false;
  bool in_frac = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      seen_digit = true;
      if (in_frac) {
        if (frac_digits < 4) {
          frac = frac * 10 + (c - '0');
          ++frac_digits;
        }
      } else {
        if (whole >= kMaxWholeBeforeDigit) return std::nullopt;
        whole = whole * 10 + (c - '0');
      }
    } else if (c == '.' && !in_frac) {
      in_frac = true;
    } else if (c == ',' && !in_frac) {
      // thousands separator: digits before, exactly three digits after, then end, '.' or ','
      if (!seen_digit) return std::nullopt;
      for (size_t k = 1; k <= 3; ++k) {
        if (i + k >= s.size() || s[i + k] < '0' || s[i + k] > '9') return std::nullopt;
      }
      if (i + 4 < s.size() && s[i + 4] != ',' && s[i + 4] != '.') return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (!seen_digit) return std::nullopt;
  while (frac_digits < 4) {
    frac *= 10;
    ++frac_digits;
  }
  int64_t v = whole * kScale + frac;
  return Money(neg ? -v : v);
}

std::string Money::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

void Money::append_to(std::string& out) const {
  // Use unsigned arithmetic so that INT64_MIN does not overflow.
  const uint64_t a = v_ < 0 ? uint64_t(0) - uint64_t(v_) : uint64_t(v_);
  const uint64_t whole = a / kScale;
  uint64_t frac = a % kScale;
  if (v_ < 0) out.push_back('-');  // never "-0": a negative amount is at least 1/10,000
  append_int(out, whole);
  if (frac != 0) {
    char buf[4];
    for (int i = 3; i >= 0; --i) {
      buf[i] = char('0' + frac % 10);
      frac /= 10;
    }
    int len = 4;
    while (len > 0 && buf[len - 1] == '0') --len;
    out.push_back('.');
    out.append(buf, size_t(len));
  }
}

Money Money::percent_bp(int64_t bp) const {
  // v * bp / 10000, rounded half away from zero; __int128 avoids overflow.
  int128 p = static_cast<int128>(v_) * bp;
  int128 q = p / 10000;
  int128 r = p % 10000;
  if (r * 2 >= 10000) ++q;
  if (r * 2 <= -10000) --q;
  return Money(static_cast<int64_t>(q));
}

}  // namespace pp
