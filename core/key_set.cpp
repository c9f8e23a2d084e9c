#include "core/key_set.h"

#include <algorithm>

namespace pp {

void sort_unique_keys(std::vector<uint64_t>& keys) {
  // Small sets, and large ones where a second array of the same size would be too much memory
  // (over 2^24 keys: 128 MB), sort in place.
  if (keys.size() < 4096 || keys.size() > (size_t(1) << 24)) {
    std::sort(keys.begin(), keys.end());
  } else {
    std::vector<uint64_t> tmp(keys.size());
    std::vector<uint64_t>* from = &keys;
    std::vector<uint64_t>* to = &tmp;
    std::vector<size_t> count(65536);
    for (int pass = 0; pass < 4; ++pass) {
      const int shift = pass * 16;
      std::fill(count.begin(), count.end(), 0);
      for (uint64_t k : *from) ++count[(k >> shift) & 0xffff];
      size_t sum = 0;
      for (size_t& c : count) {
        size_t n = c;
        c = sum;
        sum += n;
      }
      for (uint64_t k : *from) (*to)[count[(k >> shift) & 0xffff]++] = k;
      std::swap(from, to);
    }
    // Four passes: the sorted keys are back in `keys`.
  }
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
}

KeySet::KeySet(std::vector<uint64_t> keys) : keys_(std::move(keys)) {
  sort_unique_keys(keys_);
  build_directory();
}

KeySet KeySet::from_sorted(std::vector<uint64_t> sorted_unique) {
  KeySet s;
  s.keys_ = std::move(sorted_unique);
  s.build_directory();
  return s;
}

void KeySet::build_directory() {
  keys_.shrink_to_fit();
  if (keys_.size() < 64) return;  // a plain binary search
  int bits = 1;
  while ((size_t(1) << bits) < keys_.size() / 32 && bits < 30) ++bits;
  shift_ = 64 - bits;
  const size_t buckets = size_t(1) << bits;
  dir_.assign(buckets + 1, uint32_t(keys_.size()));
  size_t b = 0;
  for (size_t i = 0; i < keys_.size(); ++i) {
    const size_t kb = size_t(keys_[i] >> shift_);
    while (b <= kb) dir_[b++] = uint32_t(i);
  }
}

bool KeySet::contains(uint64_t key) const {
  const uint64_t* lo = keys_.data();
  const uint64_t* hi = lo + keys_.size();
  if (shift_ < 64) {
    const size_t b = size_t(key >> shift_);
    hi = keys_.data() + dir_[b + 1];
    lo = keys_.data() + dir_[b];
  }
  const uint64_t* it = std::lower_bound(lo, hi, key);
  return it != hi && *it == key;
}

}  // namespace pp
