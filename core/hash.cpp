#include "core/hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

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

std::string random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a token");
  static const char* kHex = "0123456789abcdef";
  std::string out = "pp_";
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}
std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }
std::string sha1_hex(std::string_view data) { return digest_hex(EVP_sha1(), data); }

}  // namespace pp
