#include "core/check_types.h"

#include <array>
#include <utility>

namespace pp {

namespace {

template <class E, size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& names, E e) {
  for (const auto& [v, n] : names)
    if (v == e) return n;
  return names[0].second;
}

template <class E, size_t N>
bool parse_name(const std::array<std::pair<E, std::string_view>, N>& names, std::string_view s,
                E& out) {
  for (const auto& [v, n] : names)
    if (n == s) {
      out = v;
      return true;
    }
  return false;
}

constexpr std::array<std::pair<ListKind, std::string_view>, 5> kListKinds{{
    {ListKind::kPhone, "phone"},
    {ListKind::kEmail, "email"},
    {ListKind::kEmailDomain, "email_domain"},
    {ListKind::kSha256, "sha256"},
    {ListKind::kMd5, "md5"},
}};

constexpr std::array<std::pair<CheckType, std::string_view>, 6> kCheckTypes{{
    {CheckType::kPhone, "phone"},
    {CheckType::kEmail, "email"},
    {CheckType::kSuppression, "suppression"},
    {CheckType::kTrustedForm, "trustedform"},
    {CheckType::kJornaya, "jornaya"},
    {CheckType::kHttp, "http"},
}};

constexpr std::array<std::pair<CheckType, std::string_view>, 6> kProviders{{
    {CheckType::kPhone, "Phone"},
    {CheckType::kEmail, "Email"},
    {CheckType::kSuppression, "Suppression"},
    {CheckType::kTrustedForm, "TrustedForm"},
    {CheckType::kJornaya, "Jornaya"},
    {CheckType::kHttp, "HTTP validator"},
}};

constexpr std::array<std::pair<CheckMode, std::string_view>, 3> kModes{{
    {CheckMode::kOff, "off"},
    {CheckMode::kSync, "sync"},
    {CheckMode::kAsync, "async"},
}};

}  // namespace

std::string_view to_string(ListKind k) { return name_of(kListKinds, k); }
bool parse_list_kind(std::string_view s, ListKind& out) { return parse_name(kListKinds, s, out); }
std::string_view to_string(CheckType t) { return name_of(kCheckTypes, t); }
bool parse_check_type(std::string_view s, CheckType& out) {
  return parse_name(kCheckTypes, s, out);
}
std::string_view default_provider(CheckType t) { return name_of(kProviders, t); }
std::string_view to_string(CheckMode m) { return name_of(kModes, m); }
bool parse_check_mode(std::string_view s, CheckMode& out) { return parse_name(kModes, s, out); }

}  // namespace pp
