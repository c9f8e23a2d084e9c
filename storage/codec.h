#pragma once
// Binary encoding of stored records: a version byte, then varints and length-prefixed strings.
// Decoding is bounds-checked and returns false on any malformed input (never reads past the end).
#include <optional>
#include <string>
#include <string_view>

#include "core/lead.h"
#include "core/outbox.h"

namespace pp::storage {

std::string encode_lead(const Lead& lead);
std::optional<Lead> decode_lead(std::string_view bytes);

std::string encode_debug(const DebugLog& log);
std::optional<DebugLog> decode_debug(std::string_view bytes);
// Checks recorded after a lead was stored (async checks, issue 17): kept beside its debug log.
std::string encode_checks(const std::vector<CheckRecord>& checks);
std::optional<std::vector<CheckRecord>> decode_checks(std::string_view bytes);

// A delivery of the outbox (issue 18). Its first byte is its status (DeliveryStatus), so that the
// retention filter tells finished deliveries without decoding them.
std::string encode_delivery(const OutboxDelivery& d);
std::optional<OutboxDelivery> decode_delivery(std::string_view bytes);

}  // namespace pp::storage
