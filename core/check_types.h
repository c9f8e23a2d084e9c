#pragma once
// The vocabulary of compliance checks and suppression lists (issue 17), shared by the
// configuration (core/config.h), the checks themselves (checks/) and the engine's stage.
#include <cstdint>
#include <string_view>

namespace pp {

// What a suppression list holds (checks/list_key.h says how each becomes a key).
enum class ListKind : uint8_t { kPhone, kEmail, kEmailDomain, kSha256, kMd5 };
std::string_view to_string(ListKind k);  // "phone", "email", "email_domain", "sha256", "md5"
bool parse_list_kind(std::string_view s, ListKind& out);

enum class CheckType : uint8_t { kPhone, kEmail, kSuppression, kTrustedForm, kJornaya, kHttp };
std::string_view to_string(CheckType t);  // "phone", "email", "suppression", "trustedform", ...
bool parse_check_type(std::string_view s, CheckType& out);
// The provider a failure is recorded under by default (validation_error_provider).
std::string_view default_provider(
    CheckType t);  // "Phone", "Email", "Suppression", "TrustedForm", ...

// sync: the lead waits for the check; async: it runs after the lead is answered and is recorded,
// never blocking or rejecting; off: not run.
enum class CheckMode : uint8_t { kOff, kSync, kAsync };
std::string_view to_string(CheckMode m);  // "off", "sync", "async"
bool parse_check_mode(std::string_view s, CheckMode& out);

}  // namespace pp
