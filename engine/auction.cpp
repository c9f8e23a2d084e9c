#include "engine/auction.h"

namespace pp::engine {

void PingStore::prune(int64_t now) {
  for (auto it = live_.begin(); it != live_.end();) {
    if (it->second.expires_ms < now) {
      gone_.emplace(it->first, Gone{it->second.expires_ms + 3600000, false});  // "expired", an hour
      it = live_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = gone_.begin(); it != gone_.end();) {
    if (it->second.forget_at_ms < now)
      it = gone_.erase(it);
    else
      ++it;
  }
}

void PingStore::put(PingRecord r, int64_t now_ms) {
  std::lock_guard lk(mu_);
  if (++puts_ % 1024 == 0) prune(now_ms);  // amortised clean-up
  std::string id = r.ping_id;
  live_.emplace(std::move(id), std::move(r));
}

PingStore::Take PingStore::take(const std::string& ping_id, CampaignId campaign,
                                SupplierId supplier, int64_t now, PingRecord& out) {
  std::lock_guard lk(mu_);
  auto it = live_.find(ping_id);
  if (it == live_.end()) {
    auto g = gone_.find(ping_id);
    if (g == gone_.end()) return Take::kUnknown;
    return g->second.posted ? Take::kUsed : Take::kExpired;
  }
  if (it->second.campaign_id != campaign || it->second.supplier_id != supplier)
    return Take::kUnknown;
  if (it->second.expires_ms < now) {
    gone_.emplace(ping_id, Gone{now + 3600000, false});
    live_.erase(it);
    return Take::kExpired;
  }
  out = std::move(it->second);
  live_.erase(it);
  // Posted: a later post of this id is a replay, remembered for a day.
  gone_[ping_id] = Gone{now + 86400000, true};
  return Take::kOk;
}

size_t PingStore::size() {
  std::lock_guard lk(mu_);
  return live_.size();
}

}  // namespace pp::engine
