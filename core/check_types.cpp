#include "core/check_types.h"

#include "core/enum_names.h"

namespace pp {

namespace {

constexpr EnumNames<ListKind, 5> kListKinds{{
    {ListKind::kPhone, "phone"},
    {ListKind::kEmail, "email"},
    {ListKind::kEmailDomain, "email_domain"},
    {ListKind::kSha256, "sha256"},
    {ListKind::kMd5, "md5"},
}};

constexpr EnumNames<CheckType, 6> kCheckTypes{{
    {CheckType::kPhone, "phone"},
    {CheckType::kEmail, "email"},
    {CheckType::kSuppression, "suppression"},
    {CheckType::kTrustedForm, "trustedform"},
    {CheckType::kJornaya, "jornaya"},
    {CheckType::kHttp, "http"},
}};

constexpr EnumNames<CheckType, 6> kProviders{{
    {CheckType::kPhone, "Phone"},
    {CheckType::kEmail, "Email"},
    {CheckType::kSuppression, "Suppression"},
    {CheckType::kTrustedForm, "TrustedForm"},
    {CheckType::kJornaya, "Jornaya"},
    {CheckType::kHttp, "HTTP validator"},
}};

constexpr EnumNames<CheckMode, 3> kModes{{
    {CheckMode::kOff, "off"},
    {CheckMode::kSync, "sync"},
    {CheckMode::kAsync, "async"},
}};

}  // namespace

std::string_view to_string(ListKind k) { return enum_name(kListKinds, k); }
bool parse_list_kind(std::string_view s, ListKind& out) { return parse_enum(kListKinds, s, out); }
std::string_view to_string(CheckType t) { return enum_name(kCheckTypes, t); }
bool parse_check_type(std::string_view s, CheckType& out) {
  return parse_enum(kCheckTypes, s, out);
}
std::string_view default_provider(CheckType t) { return enum_name(kProviders, t); }
std::string_view to_string(CheckMode m) { return enum_name(kModes, m); }
bool parse_check_mode(std::string_view s, CheckMode& out) { return parse_enum(kModes, s, out); }

}  // namespace pp
