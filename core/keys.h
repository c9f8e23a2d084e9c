#pragma once
// Order-preserving key encoding for RocksDB keys: a signed 64-bit integer as 8 big-endian bytes
// with the sign bit flipped, so that byte order is numeric order (negative values included).
#include <cstdint>
#include <string>
#include <string_view>

namespace pp {

inline void put_ordered_i64(std::string& out, int64_t v) {
  uint64_t u = uint64_t(v) ^ (uint64_t(1) << 63);
  for (int i = 7; i >= 0; --i) out.push_back(char(uint8_t(u >> (8 * i))));
}

// The value in the first 8 bytes of `in` (which must hold them).
inline int64_t read_ordered_i64(std::string_view in) {
  uint64_t u = 0;
  for (size_t i = 0; i < 8; ++i) u = (u << 8) | uint8_t(in[i]);
  return int64_t(u ^ (uint64_t(1) << 63));
}

// Reads and consumes 8 bytes; false when fewer remain.
inline bool take_ordered_i64(std::string_view& in, int64_t& v) {
  if (in.size() < 8) return false;
  v = read_ordered_i64(in);
  in.remove_prefix(8);
  return true;
}

}  // namespace pp
