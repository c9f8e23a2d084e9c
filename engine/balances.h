#pragma once
// Prepaid balances (issue 20, C8): a client whose billing mode is manual or realtime pays for its
// buyers' leads from a balance, charged at the moment of sale. Balances are reserved like caps
// (engine/caps_ledger.h): a lead that may sell to such a buyer holds the amount first, all or
// nothing, so however many leads arrive at once a balance is never overdrawn; the hold settles to
// the sale's price, whose postings (the client's balance -price, revenue +price) are written in
// the lead's batch, and commits once the lead is durable. A balance at or below the client's
// minimum pauses its buyers (a `buyer.paused` event, cause `balance`, in the batch of the sale
// that crossed it) until a deposit lifts it (`buyer.resumed`, in the deposit's batch).
//
// The ledger itself is storage's: every movement is a posting, the postings of one movement sum
// to zero, and a balance is the sum of its postings (a counter written in the same batch).
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/money.h"
#include "core/time.h"
#include "storage/store.h"

namespace pp::engine {

class BalanceLedger {
 public:
  explicit BalanceLedger(storage::Store& store) : store_(store) {}

  static std::string account(ClientId client) { return "client:" + std::to_string(client); }
  static constexpr std::string_view kRevenue = "revenue";
  static constexpr std::string_view kCash = "cash";
  static constexpr std::string_view kFees = "fees";

  // A reservation of some of a client's balance; released when destroyed unless committed.
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& o) noexcept { *this = std::move(o); }
    Hold& operator=(Hold&& o) noexcept {
      if (this != &o) {
        if (active_ && ledger_) ledger_->release(*this);
        ledger_ = o.ledger_;
        client_ = o.client_;
        amount_ = o.amount_;
        active_ = o.active_;
        settled_ = o.settled_;
        o.active_ = false;
      }
      return *this;
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() {
      if (active_ && ledger_) ledger_->release(*this);
    }
    bool active() const { return active_; }
    ClientId client() const { return client_; }
    int64_t amount() const { return amount_; }

   private:
    friend class BalanceLedger;
    BalanceLedger* ledger_ = nullptr;
    ClientId client_ = 0;
    int64_t amount_ = 0;  // units held (settled: the sale's price)
    bool active_ = false;
    bool settled_ = false;
  };

  // Holds `amount` of the client's balance for a sale, or nullopt when it cannot: the balance
  // less what other leads hold does not cover it, or the balance is at or below `minimum` (the
  // client's buyers are paused). A price not known yet (amount 0: a real-time price) holds
  // everything the balance has left above zero, so the sale can never overdraw it.
  std::optional<Hold> reserve(ClientId client, Money amount, Money minimum);
  // Whether a lead could be held now (buyers not worth pinging are skipped before the auction).
  bool can_buy(ClientId client, Money minimum);
  // The sale is final at `price` (at most the amount held: a larger price is charged what the
  // hold has; returned). Appends the postings to `postings`; `crossed` is set when this sale
  // takes the balance (sales settled or committed) from above `minimum` to at or below it.
  Money settle(Hold& hold, Money price, Money minimum, const std::string& lead_id, UnixMs now,
               std::vector<storage::Posting>& postings, bool& crossed);
  // The lead is durable: the charge is part of the balance.
  void commit(Hold& hold);
  void release(Hold& hold);

  // A credit written by the caller (a return: its postings go with the lead's update): whether
  // `amount` lifts the balance above `minimum` (the caller then writes buyer.resumed with it),
  // then, once the write is durable, credited() makes the balance count it.
  // nullopt: the balance cannot be read (nothing is loaded; a later read includes the credit).
  std::optional<bool> would_lift(ClientId client, int64_t amount, Money minimum);
  void credited(ClientId client, int64_t amount);

  struct Deposit {
    Money amount;  // credited to the balance
    Money fee;     // charged on top (the provider's fee passed on), to the fees account
    std::string ref;
    std::string kind = "deposit";
    std::string memo;
    // A setting key written with the deposit (its value: ref); a deposit whose key is already
    // stored is not credited again (`repeated` then names the earlier ref).
    std::string once_key;
  };
  // Credits a balance (durably, with `outbox` in the same write: buyer.resumed when it lifts the
  // balance above `minimum`, which `lifts` tells the caller first so it can build them). Deposits
  // are serialized among themselves. kCorrupt for an amount that is not positive.
  storage::Status deposit(ClientId client, const Deposit& d, Money minimum, UnixMs now,
                          const std::function<std::vector<storage::OutboxPut>(bool lifts)>& outbox,
                          std::string* repeated = nullptr);

  struct View {
    int64_t balance = 0;   // committed: the sum of the postings
    int64_t reserved = 0;  // held by leads in flight
    int64_t available() const { return balance - reserved; }
  };
  View view(ClientId client);
  // Units held by leads in flight, over every client (tests: 0 when idle).
  int64_t reserved_total();

 private:
  struct Account {
    int64_t committed = 0;
    int64_t reserved = 0;  // every hold's amount, settled or not
    int64_t settled = 0;   // of which settled holds' (sales waiting for their durable write)
  };
  Account* get(ClientId client);  // mu_ held; null when storage cannot be read

  storage::Store& store_;
  std::mutex mu_;
  std::mutex deposits_;
  std::unordered_map<ClientId, Account> accounts_;
};

}  // namespace pp::engine
