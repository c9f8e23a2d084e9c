#include "checks/list_key.h"

#include <openssl/evp.h>

#include <array>

#include "checks/email.h"
#include "core/hash.h"
#include "core/text.h"

namespace pp::checks {

namespace {


uint64_t be64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// The first 8 bytes of a digest of `data` (SHA-NI where the CPU has it).
uint64_t digest_prefix(DigestKind kind, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE] = {};
  digest_raw(kind, data, out);
  return be64(out);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

DigestKind md_of(ListKind k) { return k == ListKind::kMd5 ? DigestKind::kMd5 : DigestKind::kSha256; }

}  // namespace

uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t unmix64(uint64_t x) {
  // Each step inverted in reverse order: x ^= x >> s is undone by folding the shifts back in;
  // multiplication by an odd constant by its inverse modulo 2^64.
  x ^= x >> 31 ^ x >> 62;
  x *= 0x319642b2d24d8ec3ULL;
  x ^= x >> 27 ^ x >> 54;
  x *= 0x96de1b173f119089ULL;
  x ^= x >> 30 ^ x >> 60;
  return x;
}

std::optional<uint64_t> phone_number_value(std::string_view raw) {
  std::string_view s = trim(raw);
  bool plus = !s.empty() && s.front() == '+';
  uint64_t v = 0;
  int digits = 0;
  char first = 0;
  for (char c : s.substr(plus ? 1 : 0)) {
    if (c >= '0' && c <= '9') {
      if (++digits > 15) return std::nullopt;
      if (digits == 1) first = c;
      v = v * 10 + uint64_t(c - '0');
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (plus) return digits >= 8 ? std::optional<uint64_t>(v) : std::nullopt;
  if (digits == 10) return 10000000000ULL + v;
  if (digits == 11 && first == '1') return v;
  return std::nullopt;
}

std::optional<uint64_t> hex_digest_prefix(std::string_view hex, size_t digits) {
  hex = trim(hex);
  if (hex.size() != digits) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < hex.size(); ++i) {
    int h = hex_value(hex[i]);
    if (h < 0) return std::nullopt;
    if (i < 16) v = (v << 4) | uint64_t(h);
  }
  return v;
}

std::optional<uint64_t> entry_key(ListKind kind, std::string_view cell, std::string& error) {
  switch (kind) {
    case ListKind::kPhone: {
      auto v = phone_number_value(cell);
      if (!v) error = "not a phone number";
      return v ? std::optional<uint64_t>(mix64(*v)) : std::nullopt;
    }
    case ListKind::kEmail: {
      std::string n = normalize_email(cell);
      if (n.empty()) {
        error = "not an email address";
        return std::nullopt;
      }
      return digest_prefix(DigestKind::kSha256, n);
    }
    case ListKind::kEmailDomain: {
      std::string n = normalize_domain(cell);
      if (n.empty()) {
        error = "not a domain";
        return std::nullopt;
      }
      return digest_prefix(DigestKind::kSha256, n);
    }
    case ListKind::kSha256:
    case ListKind::kMd5: {
      auto v = hex_digest_prefix(cell, kind == ListKind::kMd5 ? 32 : 64);
      if (!v)
        error = kind == ListKind::kMd5 ? "not an MD5 hash (32 hex digits)"
                                       : "not a SHA-256 hash (64 hex digits)";
      return v;
    }
  }
  return std::nullopt;
}

size_t phone_lookup_keys(ListKind kind, std::string_view phone, uint64_t out[3]) {
  auto v = phone_number_value(phone);
  if (!v) return 0;
  if (kind == ListKind::kPhone) {
    out[0] = mix64(*v);
    return 1;
  }
  if (kind != ListKind::kSha256 && kind != ListKind::kMd5) return 0;
  // Buyers hash numbers as they keep them: 10 digits, E.164 digits, or E.164 with '+'.
  std::string digits = std::to_string(*v);
  const DigestKind md = md_of(kind);
  size_t n = 0;
  if (digits.size() == 11 && digits[0] == '1')
    out[n++] = digest_prefix(md, std::string_view(digits).substr(1));
  out[n++] = digest_prefix(md, digits);
  out[n++] = digest_prefix(md, "+" + digits);
  return n;
}

size_t email_lookup_keys(ListKind kind, std::string_view email, uint64_t out[3]) {
  if (kind == ListKind::kPhone) return 0;
  std::string n = normalize_email(email);
  if (n.empty()) return 0;
  if (kind == ListKind::kEmailDomain) {
    out[0] = digest_prefix(DigestKind::kSha256, std::string_view(n).substr(n.rfind('@') + 1));
    return 1;
  }
  out[0] = digest_prefix(md_of(kind), n);
  return 1;
}

}  // namespace pp::checks
