#pragma once
// Suppression-list entries as 64-bit keys (issue 17). A list holds one kind of entry; every entry
// and every value a lead is looked up with becomes one key, so 10^8 entries are 800 MB in memory
// and a lookup is a few cache misses:
// - phone: the number's E.164 digits as an integer ("2125550123" -> 12125550123), through a
//   bijective mixer (exact: no two numbers share a key, and a key gives its number back);
// - email, email_domain: the first 8 bytes of the SHA-256 of the normal form (checks/email.h);
// - sha256, md5: hashes as buyers supply them (hex), of a phone (10 digits, E.164 with or without
//   '+') or of an email's normal form: the first 8 bytes of the digest.
// Hashed keys can collide: two of 10^8 entries share a key with probability ~3e-4, and a lookup
// of a value not on the list matches one by accident with probability ~5e-12.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/check_types.h"

namespace pp::checks {

using pp::ListKind;  // core/check_types.h

// A bijection on 64-bit integers that spreads keys evenly (SplitMix64's finaliser), and its
// inverse.
uint64_t mix64(uint64_t x);
uint64_t unmix64(uint64_t x);

// A phone number's E.164 digits as an integer: 10 NANP digits get the country code 1, 11 digits
// starting with 1 are kept, a leading '+' keeps the digits as they are (at most 15); punctuation
// and spaces are ignored. nullopt when it is none of those.
std::optional<uint64_t> phone_number_value(std::string_view raw);

// The key of one uploaded entry (a CSV cell); nullopt and `error` when it is not an entry of
// this kind.
std::optional<uint64_t> entry_key(ListKind kind, std::string_view cell, std::string& error);

// The keys a lead's phone or email is looked up under in a list of `kind` (none when the kind does
// not apply: a phone in an email list). At most 3; returns how many were written.
size_t phone_lookup_keys(ListKind kind, std::string_view phone, uint64_t out[3]);
size_t email_lookup_keys(ListKind kind, std::string_view email, uint64_t out[3]);

// The first 8 bytes of a digest given in hex (64 or 32 hex digits), big-endian.
std::optional<uint64_t> hex_digest_prefix(std::string_view hex, size_t digits);

}  // namespace pp::checks
