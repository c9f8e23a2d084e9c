#pragma once
// Identifiers. Configuration ids (campaign, supplier, buyer, client) are numbers, as in seed 000.
// Lead ids are 20-character opaque strings like the reference product's ("Oi_PE5UB8JeApcHI06lG"),
// built so that their byte order is their creation order (useful for time-ordered indexes).
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace pp {

using CampaignId = int64_t;
using SupplierId = int64_t;
using BuyerId = int64_t;
using ClientId = int64_t;

inline constexpr size_t kLeadIdLength = 20;

// Alphabet in ASCII order, so that lexicographic order of ids equals numeric order of their bits.
inline constexpr std::string_view kSortableAlphabet =
    "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

// Thread-compatible (one instance per thread, or external locking).
class IdGenerator {
 public:
  explicit IdGenerator(uint64_t seed) : rng_(seed) {}
  IdGenerator() : rng_(std::random_device{}()) {}

  // 42 bits of milliseconds since the epoch, then 78 random bits: 120 bits in 20 characters.
  std::string lead_id(int64_t unix_ms);
  // RFC 4122 version 4 UUID, lower-case hex.
  std::string uuid_v4();
  uint64_t next_u64() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

// A per-thread generator seeded from std::random_device.
IdGenerator& thread_id_generator();

// True when `id` has the shape of a lead id (20 characters of the alphabet).
bool is_lead_id(std::string_view id);
// The creation time (UTC ms) a lead id carries; -1 when `id` is not a lead id.
int64_t lead_id_time(std::string_view id);

}  // namespace pp
