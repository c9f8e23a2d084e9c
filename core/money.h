#pragma once
// Money as an integer number of 1/10,000 of the currency unit ("ten-thousandths").
// Invariant 3: money never passes through floating point. Conversions happen only at the edges
// (parse_decimal from text, to_string for JSON).
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pp {

class Money {
 public:
  static constexpr int64_t kScale = 10'000;

  constexpr Money() = default;
  static constexpr Money from_units(int64_t ten_thousandths) { return Money(ten_thousandths); }
  static constexpr Money from_whole(int64_t whole) { return Money(whole * kScale); }

  // Parses "12", "12.5", "-0.0001", "$1,234.50" (currency sign and thousands separators allowed).
  // More than 4 decimals are truncated toward zero (same rule as the reference API's output).
  // Returns nullopt for anything that is not a plain decimal number or that overflows.
  static std::optional<Money> parse(std::string_view text);

  constexpr int64_t units() const { return v_; }
  constexpr bool is_zero() const { return v_ == 0; }

  // Shortest decimal text with at most 4 decimals: 130000 -> "13", 133000 -> "13.3".
  std::string to_string() const;
  // The same text appended to `out` (no allocation of its own).
  void append_to(std::string& out) const;

  // Percentage in basis points of a percent *100 (i.e. 1/100 of a percent): 2500 = 25%.
  // Rounds half away from zero to the nearest ten-thousandth.
  Money percent_bp(int64_t basis_points) const;

  constexpr Money operator+(Money o) const { return Money(v_ + o.v_); }
  constexpr Money operator-(Money o) const { return Money(v_ - o.v_); }
  constexpr Money& operator+=(Money o) {
    v_ += o.v_;
    return *this;
  }
  constexpr Money& operator-=(Money o) {
    v_ -= o.v_;
    return *this;
  }
  constexpr auto operator<=>(const Money&) const = default;

 private:
  constexpr explicit Money(int64_t v) : v_(v) {}
  int64_t v_ = 0;
};

}  // namespace pp
