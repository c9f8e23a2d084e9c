#pragma once
// Suppression lists in memory (issue 17): each list a KeySet (core/key_set.h) loaded from storage
// at start, plus the single entries added or removed since it was last written whole. Lookups
// are lock-shared and allocation-free; every change is durable (storage) before it is visible.
//
// A list whose entries could not be loaded is "unavailable": a check that uses it answers error
// (its on_error decides), never "not on the list".
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "core/key_set.h"
#include "storage/store.h"

namespace pp::engine {

class SuppressionLists {
 public:
  explicit SuppressionLists(storage::Store& store) : store_(store) {}

  // Reads every list from storage; on failure every list is unavailable until a later load works.
  storage::Status load();
  bool available() const { return available_.load(std::memory_order_acquire); }

  // Whether `key` is on list `list` (false for a list never written).
  bool contains(int64_t list, uint64_t key) const;

  struct Info {
    size_t entries = 0;  // keys of the last whole write, with single changes applied
    size_t changes = 0;  // single changes since then
    size_t memory_bytes = 0;
  };
  Info info(int64_t list) const;

  // Replaces a list's entries (any order, repeats allowed), or adds them to what it holds.
  storage::Status replace(int64_t list, std::vector<uint64_t> keys);
  storage::Status append(int64_t list, std::vector<uint64_t> keys);
  // One entry added (present) or removed.
  storage::Status change(int64_t list, uint64_t key, bool present);
  // Forgets a list (its configuration entity was deleted).
  storage::Status drop(int64_t list);

 private:
  struct List {
    std::shared_ptr<const KeySet> base = std::make_shared<KeySet>();
    std::unordered_map<uint64_t, bool> changes;  // key -> present
  };
  storage::Status write_whole(int64_t list, std::vector<uint64_t> sorted_unique);

  storage::Store& store_;
  std::atomic<bool> available_{true};
  mutable std::shared_mutex mu_;  // lists_: shared for lookups, exclusive to change
  std::unordered_map<int64_t, List> lists_;
  std::mutex write_mu_;  // one writer at a time: storage first, then memory
};

}  // namespace pp::engine
