#pragma once
// Live buyer state changed through the API (pause_buyer / resume_buyer). Overrides the
// configuration's `paused`, persists across restarts, and takes effect on the next lead.
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/config.h"
#include "storage/store.h"

namespace pp::engine {

class BuyerState {
 public:
  explicit BuyerState(storage::Store& store) : store_(store) {}

  bool paused(const BuyerConfig& b);

  enum class Change { kDone, kAlready, kFailed };
  Change set_paused(const BuyerConfig& b, bool paused);

 private:
  std::optional<bool> override_for(BuyerId id);  // mu_ held

  storage::Store& store_;
  std::mutex mu_;
  std::unordered_map<BuyerId, std::optional<bool>> cache_;
};

}  // namespace pp::engine
