#include "engine/health.h"

namespace pp::engine {

BuyerHealth::BuyerHealth() : opts_(Options{}) {}

BuyerHealth::Gate BuyerHealth::admit(BuyerId buyer, UnixMs now) {
  std::lock_guard lk(mu_);
  Entry& e = entries_[buyer];
  if (!e.open) return Gate::kPass;
  if (now < e.open_until || e.probing) return Gate::kOpen;
  e.probing = true;  // one probe at a time
  return Gate::kProbe;
}

BuyerHealth::Change BuyerHealth::record(BuyerId buyer, bool success, UnixMs now) {
  std::lock_guard lk(mu_);
  Entry& e = entries_[buyer];
  const bool was_open = e.open;
  if (success) {
    e = Entry{0, 0, false, false, e.opened_total};
    return was_open ? Change::kClosed : Change::kNone;
  }
  ++e.failures;
  if (e.probing || (!e.open && e.failures >= opts_.failures)) {
    if (!e.open || e.probing) ++e.opened_total;
    e.open = true;
    e.probing = false;
    e.open_until = now + opts_.open_ms;
  }
  return !was_open && e.open ? Change::kOpened : Change::kNone;
}

BuyerHealth::State BuyerHealth::state(BuyerId buyer, UnixMs now) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(buyer);
  if (it == entries_.end() || !it->second.open) return State::kClosed;
  return now < it->second.open_until && !it->second.probing ? State::kOpen : State::kHalfOpen;
}

std::vector<BuyerHealth::Snapshot> BuyerHealth::snapshot(UnixMs now) {
  std::vector<Snapshot> out;
  std::lock_guard lk(mu_);
  for (const auto& [id, e] : entries_) {
    State s = !e.open ? State::kClosed
                      : (now < e.open_until && !e.probing ? State::kOpen : State::kHalfOpen);
    out.push_back({id, s, e.failures, e.opened_total});
  }
  return out;
}

}  // namespace pp::engine
