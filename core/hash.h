#pragma once
// Digests through OpenSSL's EVP interface.
#include <string>
#include <string_view>

namespace pp {

std::string sha256_hex(std::string_view data);
std::string md5_hex(std::string_view data);
std::string sha1_hex(std::string_view data);

}  // namespace pp
