#include "engine/balances.h"

#include <spdlog/spdlog.h>

namespace pp::engine {

BalanceLedger::Account* BalanceLedger::get(ClientId client) {
  auto it = accounts_.find(client);
  if (it != accounts_.end()) return &it->second;
  storage::Read<int64_t> r = store_.read_counter(storage::Store::balance_key(account(client)));
  if (r.failed()) return nullptr;
  Account a;
  a.committed = r.value.value_or(0);
  return &accounts_.emplace(client, a).first->second;
}

std::optional<BalanceLedger::Hold> BalanceLedger::reserve(ClientId client, Money amount,
                                                          Money minimum) {
  std::lock_guard lk(mu_);
  Account* a = get(client);
  if (a == nullptr) return std::nullopt;  // unreadable: not sold on credit
  // Paused: the balance as sales see it (settled ones taken off) at or below the minimum.
  if (a->committed - a->settled <= minimum.units()) return std::nullopt;
  const int64_t left = a->committed - a->reserved;
  int64_t take = amount.units();
  if (take <= 0) take = left;  // a price not known yet: everything left
  if (take <= 0 || take > left) return std::nullopt;
  a->reserved += take;
  Hold h;
  h.ledger_ = this;
  h.client_ = client;
  h.amount_ = take;
  h.active_ = true;
  return h;
}

bool BalanceLedger::can_buy(ClientId client, Money minimum) {
  std::lock_guard lk(mu_);
  Account* a = get(client);
  return a != nullptr && a->committed - a->settled > minimum.units() &&
         a->committed - a->reserved > 0;
}

Money BalanceLedger::settle(Hold& hold, Money price, Money minimum, const std::string& lead_id,
                            UnixMs now, std::vector<storage::Posting>& postings, bool& crossed) {
  crossed = false;
  if (!hold.active_ || hold.settled_) return Money::from_units(hold.amount_);
  const int64_t charge = std::clamp<int64_t>(price.units(), 0, hold.amount_);
  {
    std::lock_guard lk(mu_);
    Account& a = accounts_[hold.client_];
    a.reserved -= hold.amount_ - charge;  // what the sale did not need goes back at once
    const int64_t before = a.committed - a.settled;
    a.settled += charge;
    crossed = before > minimum.units() && before - charge <= minimum.units();
  }
  hold.amount_ = charge;
  hold.settled_ = true;
  if (charge > 0) {
    postings.push_back({account(hold.client_), -charge, "sale", lead_id, now});
    postings.push_back({std::string(kRevenue), charge, "sale", lead_id, now});
  }
  return Money::from_units(charge);
}

void BalanceLedger::commit(Hold& hold) {
  if (!hold.active_) return;
  std::lock_guard lk(mu_);
  Account& a = accounts_[hold.client_];
  if (hold.settled_) {
    a.committed -= hold.amount_;
    a.settled -= hold.amount_;
  }
  a.reserved -= hold.amount_;
  hold.active_ = false;
}

void BalanceLedger::release(Hold& hold) {
  if (!hold.active_) return;
  std::lock_guard lk(mu_);
  Account& a = accounts_[hold.client_];
  a.reserved -= hold.amount_;
  if (hold.settled_) a.settled -= hold.amount_;
  hold.active_ = false;
}

storage::Status BalanceLedger::deposit(
    ClientId client, const Deposit& d, Money minimum, UnixMs now,
    const std::function<std::vector<storage::OutboxPut>(bool lifts)>& outbox,
    std::string* repeated) {
  if (d.amount.units() <= 0 || d.fee.units() < 0)
    return {storage::Status::Code::kCorrupt, "a deposit is a positive amount"};
  std::lock_guard serial(deposits_);
  if (!d.once_key.empty()) {
    if (auto earlier = store_.get_state(d.once_key)) {
      if (repeated) *repeated = *earlier;
      return {};
    }
  }
  const std::optional<bool> lifts = would_lift(client, d.amount.units(), minimum);
  if (!lifts) return {storage::Status::Code::kIoError, "balance unreadable"};
  std::vector<storage::Posting> ps;
  ps.push_back({account(client), d.amount.units(), d.kind, d.ref, now, d.memo});
  ps.push_back({std::string(kCash), -(d.amount.units() + d.fee.units()), d.kind, d.ref, now, {}});
  if (d.fee.units() > 0) ps.push_back({std::string(kFees), d.fee.units(), "fee", d.ref, now, {}});
  std::vector<std::pair<std::string, std::string>> state;
  if (!d.once_key.empty()) state.emplace_back(d.once_key, d.ref);
  storage::Status st = store_.post_ledger(
      std::move(ps), outbox ? outbox(*lifts) : std::vector<storage::OutboxPut>{}, std::move(state));
  if (st.ok()) credited(client, d.amount.units());
  return st;
}

std::optional<bool> BalanceLedger::would_lift(ClientId client, int64_t amount, Money minimum) {
  std::lock_guard lk(mu_);
  Account* a = get(client);  // loaded before the write, which is then added once
  if (a == nullptr) return std::nullopt;
  const int64_t before = a->committed - a->settled;
  return before <= minimum.units() && before + amount > minimum.units();
}

void BalanceLedger::credited(ClientId client, int64_t amount) {
  std::lock_guard lk(mu_);
  // An account not loaded (its read failed) is read whole later, the credit included.
  if (auto it = accounts_.find(client); it != accounts_.end()) it->second.committed += amount;
}

BalanceLedger::View BalanceLedger::view(ClientId client) {
  std::lock_guard lk(mu_);
  View v;
  if (Account* a = get(client)) {
    v.balance = a->committed - a->settled;
    v.reserved = a->reserved - a->settled;
  }
  return v;
}

int64_t BalanceLedger::reserved_total() {
  std::lock_guard lk(mu_);
  int64_t n = 0;
  for (const auto& [_, a] : accounts_) n += a.reserved;
  return n;
}

}  // namespace pp::engine
