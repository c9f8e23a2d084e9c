#pragma once
// Digests through OpenSSL's EVP interface.
#include <string>
#include <string_view>

namespace pp {

std::string sha256_hex(std::string_view data);
// A new secret (API tokens): "pp_" and 64 hex digits from the system's CSPRNG (OpenSSL RAND_bytes).
std::string random_token();
std::string md5_hex(std::string_view data);
std::string sha1_hex(std::string_view data);

}  // namespace pp
