#include "engine/caps_ledger.h"

namespace pp::engine {

CapLedger::Counter* CapLedger::counter(const std::string& key) {
  auto it = counters_.find(key);
  if (it != counters_.end()) return &it->second;
  // Committed use survives restarts: read once, then kept here. A failed read is not cached and
  // not taken for zero: the caller refuses (a cap is never overshot because a disk hiccuped).
  storage::Read<int64_t> stored = store_.read_counter(key);
  if (!stored.value) return nullptr;
  Counter c;
  c.committed = *stored.value;
  return &counters_.emplace(key, c).first->second;
}

std::optional<CapLedger::Hold> CapLedger::reserve(CapOwner owner, int64_t id, const Caps& caps,
                                                  const TimeZone& tz, UnixMs now, Money amount,
                                                  std::string& failed) {
  Hold hold(this);
  if (caps.empty()) return hold;
  hold.owner = owner;
  hold.owner_id = id;
  struct Want {
    std::string key;
    int64_t limit;
    int64_t amount;
    bool budget;
    const CapRule* rule;
  };
  std::vector<Want> wants;
  std::string key;
  for (int budget = 0; budget < 2; ++budget) {
    for (const CapRule& r : budget ? caps.budget : caps.leads) {
      // 0 = unlimited: never refuses, but is still counted so its use shows in the views.
      if (!cap_counter_key(owner, id, budget != 0, r, tz, now, key)) continue;
      wants.push_back({key, r.limit, budget ? amount.units() : 1, budget != 0, &r});
    }
  }
  std::lock_guard lk(mu_);
  for (const Want& w : wants) {
    Counter* c = counter(w.key);
    if (c == nullptr) {
      failed = "unknown (storage error)";
      return std::nullopt;
    }
    int64_t need = w.budget && w.amount == 0 ? 1 : w.amount;  // unknown price: some room left
    if (w.limit > 0 && c->committed + c->reserved + need > w.limit) {
      failed = w.budget ? "budget " + w.rule->type : w.rule->type;
      return std::nullopt;
    }
  }
  for (const Want& w : wants) {
    counter(w.key)->reserved += w.amount;
    hold.items.push_back({w.key, w.amount, w.budget, w.limit, w.rule});
  }
  hold.active = true;
  return hold;
}

void CapLedger::settle(Hold& hold, Money actual,
                       std::vector<std::pair<std::string, int64_t>>& deltas,
                       std::vector<Reached>* reached) {
  if (!hold.active || hold.settled) return;
  std::lock_guard lk(mu_);
  for (auto& it : hold.items) {
    Counter& c = counters_.at(it.key);
    if (it.budget) {
      c.reserved += actual.units() - it.amount;  // now the final price
      it.amount = actual.units();
    }
    const int64_t before = c.committed + c.settled;
    c.settled += it.amount;
    if (reached && it.limit > 0 && before < it.limit && before + it.amount >= it.limit)
      reached->push_back({hold.owner, hold.owner_id, it.budget, it.rule, it.limit});
    deltas.emplace_back(it.key, it.amount);
  }
  hold.settled = true;
}

void CapLedger::commit(Hold& hold) {
  if (!hold.active || !hold.settled) return;
  std::lock_guard lk(mu_);
  for (const auto& it : hold.items) {
    Counter& c = counters_.at(it.key);  // read when reserved
    c.reserved -= it.amount;
    c.settled -= it.amount;
    c.committed += it.amount;
  }
  hold.active = false;
}

void CapLedger::release(Hold& hold) {
  if (!hold.active) return;
  std::lock_guard lk(mu_);
  for (const auto& it : hold.items) {
    Counter& c = counters_.at(it.key);
    c.reserved -= it.amount;
    if (hold.settled) c.settled -= it.amount;
  }
  hold.active = false;
}

int64_t CapLedger::reserved_total() {
  std::lock_guard lk(mu_);
  int64_t n = 0;
  for (const auto& [key, c] : counters_) n += c.reserved;
  return n;
}

int64_t CapLedger::used(CapOwner owner, int64_t id, bool budget, const CapRule& rule,
                        const TimeZone& tz, UnixMs now) {
  std::string key;
  if (!cap_counter_key(owner, id, budget, rule, tz, now, key)) return 0;
  std::lock_guard lk(mu_);
  const Counter* c = counter(key);
  return c ? c->committed : 0;
}

}  // namespace pp::engine
