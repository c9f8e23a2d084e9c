#pragma once
// A set of 64-bit keys for membership tests at memory speed (suppression lists, issue 17): the
// keys sorted in one array, and a directory of where each bucket of keys (by their top bits)
// starts, so a lookup reads the directory once and binary-searches about 32 keys (three cache
// lines) instead of the whole array. 8 bytes per key plus 4 bytes per 32 keys for the directory:
// 10^8 keys are 812 MB. Immutable once built; keys should be evenly spread (checks/list_key.h
// mixes or hashes them).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pp {

class KeySet {
 public:
  KeySet() = default;
  // Takes any keys: sorts them and drops repeats.
  explicit KeySet(std::vector<uint64_t> keys);
  // Keys already sorted and unique (sort_unique_keys): not sorted again.
  static KeySet from_sorted(std::vector<uint64_t> sorted_unique);

  bool contains(uint64_t key) const;
  size_t size() const { return keys_.size(); }
  const std::vector<uint64_t>& keys() const { return keys_; }
  // Bytes held (keys and directory).
  size_t memory_bytes() const {
    return keys_.capacity() * sizeof(uint64_t) + dir_.capacity() * sizeof(uint32_t);
  }

 private:
  void build_directory();

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> dir_;  // dir_[b] = first index of a key with top bits >= b; size 2^bits + 1
  int shift_ = 64;             // 64 - bits (64: no directory)
};

// Sorts 64-bit keys and drops repeats: LSD radix sort (16 bits a pass) up to 2^24 keys, in place
// (std::sort) above, where the radix sort's second array would cost as much memory as the keys.
void sort_unique_keys(std::vector<uint64_t>& keys);

}  // namespace pp
