#pragma once
// Enumerations spelled as words in the configuration and the API: a table of (value, name) pairs,
// one lookup each way. The first pair is what an unknown value prints as.
#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include "core/text.h"

namespace pp {

template <class E, size_t N>
using EnumNames = std::array<std::pair<E, std::string_view>, N>;

template <class E, size_t N>
std::string_view enum_name(const EnumNames<E, N>& names, E e) {
  for (const auto& [v, n] : names)
    if (v == e) return n;
  return names[0].second;
}

// `icase`: names compared without regard to ASCII case.
template <class E, size_t N>
bool parse_enum(const EnumNames<E, N>& names, std::string_view s, E& out, bool icase = false) {
  for (const auto& [v, n] : names)
    if (icase ? iequals(n, s) : n == s) {
      out = v;
      return true;
    }
  return false;
}

}  // namespace pp
