#include "core/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
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

// SHA-256 runs a few times per lead (the payload's fingerprint, the supplier key, duplicate
// keys): the algorithm is fetched from the provider once and each thread reuses one context,
// where EVP_Digest allocates a context and looks the algorithm up on every call (about 6k
// instructions of a 20-byte key's 7k).
size_t digest_raw(DigestKind kind, std::string_view data, unsigned char* out) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                           &EVP_MD_CTX_free);
  EVP_MD* md = kind == DigestKind::kSha256 ? sha256 : md5;
  unsigned int len = 0;
  if (md == nullptr || !ctx) {
    const EVP_MD* legacy = kind == DigestKind::kSha256 ? EVP_sha256() : EVP_md5();
    return EVP_Digest(data.data(), data.size(), out, &len, legacy, nullptr) == 1 ? len : 0;
  }
  if (EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1)
    return 0;
  return len;
}

std::string sha256_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = digest_raw(DigestKind::kSha256, data, out);
  if (len == 0) return {};
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), len));
}

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
std::string base64_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  out.resize(size_t(n));
  return out;
}

bool base64_decode(std::string_view in, std::string& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  out.clear();
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return true;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), int(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(n)) != 1)
    throw std::runtime_error("no randomness");
  return out;
}

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }
std::string sha1_hex(std::string_view data) { return digest_hex(EVP_sha1(), data); }

}  // namespace pp
