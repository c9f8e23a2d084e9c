#include "core/ids.h"

namespace pp {

std::string IdGenerator::lead_id(int64_t unix_ms) {
  std::string out(kLeadIdLength, '-');
  uint64_t t = static_cast<uint64_t>(unix_ms) & ((uint64_t(1) << 42) - 1);
  // 7 characters * 6 bits = 42 bits of milliseconds (until the year 2109)
  for (int i = 6; i >= 0; --i) {
    out[size_t(i)] = kSortableAlphabet[t & 63];
    t >>= 6;
  }
  uint64_t r1 = rng_();
  uint64_t r2 = rng_();
  // 13 characters * 6 bits = 78 random bits
  for (size_t i = 7; i < 20; ++i) {
    uint64_t& r = i < 15 ? r1 : r2;
    out[i] = kSortableAlphabet[r & 63];
    r >>= 6;
  }
  return out;
}

std::string IdGenerator::uuid_v4() {
  static constexpr char hex[] = "0123456789abcdef";
  uint64_t a = rng_();
  uint64_t b = rng_();
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(a >> (i * 8));
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<unsigned char>(b >> (i * 8));
  bytes[6] = (bytes[6] & 0x0F) | 0x40;
  bytes[8] = (bytes[8] & 0x3F) | 0x80;
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[bytes[i] >> 4]);
    out.push_back(hex[bytes[i] & 0xF]);
  }
  return out;
}

IdGenerator& thread_id_generator() {
  thread_local IdGenerator gen;
  return gen;
}

bool is_lead_id(std::string_view id) {
  if (id.size() != kLeadIdLength) return false;
  for (char c : id) {
    if (kSortableAlphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

int64_t lead_id_time(std::string_view id) {
  if (!is_lead_id(id)) return -1;
  int64_t t = 0;
  for (size_t i = 0; i < 7; ++i) t = (t << 6) | int64_t(kSortableAlphabet.find(id[i]));
  return t;
}

}  // namespace pp
