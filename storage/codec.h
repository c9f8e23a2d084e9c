#pragma once
// Binary encoding of stored records: a version byte, then varints and length-prefixed strings.
// Decoding is bounds-checked and returns false on any malformed input (never reads past the end).
#include <optional>
#include <string>
#include <string_view>

#include "core/lead.h"

namespace pp::storage {

std::string encode_lead(const Lead& lead);
std::optional<Lead> decode_lead(std::string_view bytes);

std::string encode_debug(const DebugLog& log);
std::optional<DebugLog> decode_debug(std::string_view bytes);
// Checks recorded after a lead was stored (async checks, issue 17): kept beside its debug log.
std::string encode_checks(const std::vector<CheckRecord>& checks);
std::optional<std::vector<CheckRecord>> decode_checks(std::string_view bytes);

}  // namespace pp::storage
