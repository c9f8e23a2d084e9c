#include "core/hash.h"

#include <openssl/evp.h>

#include "core/text.h"

namespace pp {

namespace {
std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return {};
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), len));
}
}  // namespace

std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }
std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }
std::string sha1_hex(std::string_view data) { return digest_hex(EVP_sha1(), data); }

}  // namespace pp
