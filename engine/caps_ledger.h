#pragma once
// Cap counters with reservations (B6, invariant 2). A lead reserves before delivery, commits on a
// sale and releases otherwise; a reservation succeeds only if committed + reserved + wanted stays
// within every applicable limit, checked and taken under one lock, so concurrent leads can never
// overshoot. Committed amounts are persisted in the lead's own write batch (LeadExtras) and read
// back lazily after a restart.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/cap_keys.h"
#include "core/config.h"
#include "storage/store.h"

namespace pp::engine {

class CapLedger {
 public:
  explicit CapLedger(storage::Store& store) : store_(store) {}

  // A reservation. It releases itself when destroyed unless committed (or released) before, so a
  // lead that leaves by any path gives back what it did not use. Move-only.
  struct Hold {
    struct Item {
      std::string key;
      int64_t amount = 0;
      bool budget = false;
      int64_t limit = 0;              // 0: unlimited
      const CapRule* rule = nullptr;  // the configuration's (the lead pins its snapshot)
    };
    std::vector<Item> items;
    CapOwner owner = CapOwner::kBuyer;
    int64_t owner_id = 0;
    bool active = false;
    bool settled = false;  // settle() ran: the amounts are final, commit() may follow

    Hold() = default;
    explicit Hold(CapLedger* ledger) : ledger_(ledger) {}
    Hold(Hold&& o) noexcept
        : items(std::move(o.items)),
          owner(o.owner),
          owner_id(o.owner_id),
          active(o.active),
          settled(o.settled),
          ledger_(o.ledger_) {
      o.active = false;
    }
    Hold& operator=(Hold&& o) noexcept {
      if (this != &o) {
        if (active && ledger_) ledger_->release(*this);
        items = std::move(o.items);
        owner = o.owner;
        owner_id = o.owner_id;
        active = o.active;
        settled = o.settled;
        ledger_ = o.ledger_;
        o.active = false;
      }
      return *this;
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() {
      if (active && ledger_) ledger_->release(*this);
    }

   private:
    CapLedger* ledger_ = nullptr;
  };

  // Reserves one lead and `amount` of budget against every rule of `caps` that applies at `now`
  // (unlimited rules, limit 0, never refuse but are counted).
  // All or nothing. On failure returns nullopt and sets `failed` to the rule's type ("day",
  // "budget week"). A budget rule with an unknown amount (0) only needs room left.
  std::optional<Hold> reserve(CapOwner owner, int64_t id, const Caps& caps, const TimeZone& tz,
                              UnixMs now, Money amount, std::string& failed);
  // A sale, in two steps, so that what is counted is exactly what is stored:
  // settle() fixes the amounts (budget items count `actual`, the final price; the reservation is
  // adjusted to it at once, so concurrent leads see it) and appends the counter deltas to persist
  // with the lead; commit() makes them permanent once the lead is durably stored (the hold is then
  // inactive). A settled hold never committed (the lead failed to store, or unwound) is released
  // like any other.
  // `reached`, when given, receives each limited rule this sale fills (cap.reached, issue 18):
  // counted over sales settled or committed, so exactly one lead fills a rule in its period (a
  // lead that then fails to store gives the filling back with its hold, and its event was not
  // stored either).
  struct Reached {
    CapOwner owner = CapOwner::kBuyer;
    int64_t id = 0;
    bool budget = false;
    const CapRule* rule = nullptr;
    int64_t limit = 0;
  };
  void settle(Hold& hold, Money actual, std::vector<std::pair<std::string, int64_t>>& deltas,
              std::vector<Reached>* reached = nullptr);
  void commit(Hold& hold);
  // Both at once, where nothing is stored in between (tools and tests).
  void commit(Hold& hold, Money actual, std::vector<std::pair<std::string, int64_t>>& deltas) {
    settle(hold, actual, deltas);
    commit(hold);
  }
  void release(Hold& hold);

  // Units reserved by holds not yet committed or released, over every counter.
  int64_t reserved_total();
  // Committed use of a rule in the period containing `now` (views).
  int64_t used(CapOwner owner, int64_t id, bool budget, const CapRule& rule, const TimeZone& tz,
               UnixMs now);

 private:
  struct Counter {
    int64_t committed = 0;
    int64_t reserved = 0;  // every hold's amount, settled or not
    int64_t settled = 0;   // of which settled holds' (sales waiting for their durable write)
  };
  Counter* counter(const std::string& key);  // mu_ held; null when storage cannot be read

  storage::Store& store_;
  std::mutex mu_;
  std::unordered_map<std::string, Counter> counters_;
};

}  // namespace pp::engine
