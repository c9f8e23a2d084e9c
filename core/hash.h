#pragma once
// Digests through OpenSSL's EVP interface.
#include <string>
#include <string_view>

namespace pp {

std::string sha256_hex(std::string_view data);
// A raw digest into `out` (32 bytes for SHA-256, 16 for MD5); its length, 0 on failure. The
// algorithm is fetched once and each thread reuses one context (hot paths: suppression lists).
enum class DigestKind : uint8_t { kSha256, kMd5 };
size_t digest_raw(DigestKind kind, std::string_view data, unsigned char* out);
// A new secret (API tokens): "pp_" and 64 hex digits from the system's CSPRNG (OpenSSL RAND_bytes).
std::string random_token();
// Standard base64 (RFC 4648 §4, with padding).
std::string base64_encode(std::string_view in);
// Decodes standard base64 (padding optional, no whitespace); false when `in` is not base64.
bool base64_decode(std::string_view in, std::string& out);
// HMAC-SHA256 of `data` under `key`: 32 raw bytes (webhook signatures, issue 18).
std::string hmac_sha256(std::string_view key, std::string_view data);
// `n` random bytes from the system's CSPRNG (throws only when it has none: a start-up fault).
std::string random_bytes(size_t n);
std::string md5_hex(std::string_view data);
std::string sha1_hex(std::string_view data);

}  // namespace pp
