#include "engine/lists.h"

#include <algorithm>

namespace pp::engine {

storage::Status SuppressionLists::load() {
  std::lock_guard w(write_mu_);
  std::unordered_map<int64_t, List> loaded;
  storage::Status st = store_.load_lists([&](storage::ListImage&& img) {
    List l;
    l.base = std::make_shared<KeySet>(KeySet::from_sorted(std::move(img.keys)));
    for (const auto& [k, present] : img.changes) l.changes[k] = present;
    loaded[img.id] = std::move(l);
  });
  std::unique_lock lk(mu_);
  if (!st.ok()) {
    available_.store(false, std::memory_order_release);
    return st;
  }
  lists_ = std::move(loaded);
  available_.store(true, std::memory_order_release);
  return st;
}

bool SuppressionLists::contains(int64_t list, uint64_t key) const {
  std::shared_lock lk(mu_);
  auto it = lists_.find(list);
  if (it == lists_.end()) return false;
  const List& l = it->second;
  if (!l.changes.empty()) {
    auto c = l.changes.find(key);
    if (c != l.changes.end()) return c->second;
  }
  return l.base->contains(key);
}

SuppressionLists::Info SuppressionLists::info(int64_t list) const {
  std::shared_lock lk(mu_);
  Info i;
  auto it = lists_.find(list);
  if (it == lists_.end()) return i;
  const List& l = it->second;
  i.entries = l.base->size();
  for (const auto& [k, present] : l.changes) {
    bool in_base = l.base->contains(k);
    if (present && !in_base) ++i.entries;
    if (!present && in_base) --i.entries;
  }
  i.changes = l.changes.size();
  i.memory_bytes = l.base->memory_bytes() + l.changes.size() * 32;
  return i;
}

storage::Status SuppressionLists::write_whole(int64_t list, std::vector<uint64_t> keys) {
  storage::Status st = store_.write_list(list, keys);
  if (!st.ok()) return st;
  auto set = std::make_shared<const KeySet>(KeySet::from_sorted(std::move(keys)));
  std::shared_ptr<const KeySet> old;
  {
    std::unique_lock lk(mu_);
    List& l = lists_[list];
    old = std::move(l.base);
    l.base = std::move(set);
    l.changes.clear();
  }
  return st;  // `old` (maybe 800 MB) is freed here, outside the lock
}

storage::Status SuppressionLists::replace(int64_t list, std::vector<uint64_t> keys) {
  sort_unique_keys(keys);  // before taking the writer's lock: seconds for 10^8 keys
  std::lock_guard w(write_mu_);
  return write_whole(list, std::move(keys));
}

storage::Status SuppressionLists::append(int64_t list, std::vector<uint64_t> keys) {
  std::lock_guard w(write_mu_);
  std::shared_ptr<const KeySet> base;
  std::vector<std::pair<uint64_t, bool>> changes;
  {
    std::shared_lock lk(mu_);
    auto it = lists_.find(list);
    if (it != lists_.end()) {
      base = it->second.base;
      changes.assign(it->second.changes.begin(), it->second.changes.end());
    }
  }
  // What the list holds — its last whole write without the entries removed since, with those
  // added since — and the upload's keys (an upload that names a removed entry brings it back).
  std::vector<uint64_t> removed;
  for (const auto& [k, present] : changes) {
    if (present)
      keys.push_back(k);
    else
      removed.push_back(k);
  }
  std::sort(removed.begin(), removed.end());
  if (base) {
    keys.reserve(keys.size() + base->size());
    for (uint64_t k : base->keys())
      if (!std::binary_search(removed.begin(), removed.end(), k)) keys.push_back(k);
  }
  sort_unique_keys(keys);
  return write_whole(list, std::move(keys));
}

storage::Status SuppressionLists::change(int64_t list, uint64_t key, bool present) {
  std::lock_guard w(write_mu_);
  storage::Status st = store_.put_list_change(list, key, present);
  if (!st.ok()) return st;
  std::unique_lock lk(mu_);
  lists_[list].changes[key] = present;
  return st;
}

storage::Status SuppressionLists::drop(int64_t list) {
  std::lock_guard w(write_mu_);
  storage::Status st = store_.drop_list(list);
  if (!st.ok()) return st;
  std::shared_ptr<const KeySet> old;
  {
    std::unique_lock lk(mu_);
    auto it = lists_.find(list);
    if (it != lists_.end()) {
      old = std::move(it->second.base);
      lists_.erase(it);
    }
  }
  return st;
}

}  // namespace pp::engine
