#include "engine/buyer_state.h"

namespace pp::engine {

std::optional<bool> BuyerState::override_for(BuyerId id) {
  auto it = cache_.find(id);
  if (it != cache_.end()) return it->second;
  std::optional<bool> v;
  if (auto s = store_.get_state("pause/" + std::to_string(id))) v = *s == "1";
  cache_.emplace(id, v);
  return v;
}

bool BuyerState::paused(const BuyerConfig& b) {
  std::lock_guard lk(mu_);
  return override_for(b.id).value_or(b.paused);
}

BuyerState::Change BuyerState::set_paused(const BuyerConfig& b, bool paused) {
  std::lock_guard lk(mu_);
  if (override_for(b.id).value_or(b.paused) == paused) return Change::kAlready;
  if (!store_.put_state("pause/" + std::to_string(b.id), paused ? "1" : "0").ok())
    return Change::kFailed;
  cache_[b.id] = paused;
  return Change::kDone;
}

}  // namespace pp::engine
