#pragma once
// Auto-recharge (issue 20, C8: realtime billing). A client may ask to be topped up by itself:
// `billing.auto_recharge {"below", "amount"}`. When a sale leaves its balance below `below`, the
// engine tells the recharger (never blocking the lead); a worker thread then charges the client's
// payment method `amount` + the deposit fee through the provider and credits the balance, as
// POST /admin/clients/{id}/charges does.
//
// Never twice: one recharge per client at a time, and the balance is read again before charging.
// Never lost or doubled across a crash: the intent (its idempotency key) is stored before the
// provider is called and the credit carries the same key as its once-key, so a recharge resumed
// after a crash reuses the key — the provider returns the same charge, and the credit is written
// once. A declined or failed charge is not retried for `retry_after` (a card is not hammered);
// the balance then falls to its minimum and the client's buyers pause as without a recharge.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "engine/payments.h"

namespace pp::engine {

class Engine;

class AutoRecharger {
 public:
  AutoRecharger(Engine& engine, std::shared_ptr<PaymentProvider> provider,
                std::chrono::milliseconds retry_after = std::chrono::hours(1));
  ~AutoRecharger();  // stops the worker (a charge in progress finishes first)

  // A sale left `client`'s balance low: recharge it if its billing says so. Cheap, never blocks.
  void request(ClientId client);
  // Resumes recharges a crash cut short (their stored intents). Called once at start.
  void resume();

  // The last attempt for a client (admin balance view): when, and the error ("" when it worked).
  struct Last {
    int64_t at_ms = 0;
    std::string error;
  };
  std::optional<Last> last(ClientId client);
  // Recharges done (tests wait on it).
  uint64_t done() const;

  static std::string intent_key(ClientId client) { return "recharge/" + std::to_string(client); }

 private:
  void run();
  void recharge(ClientId client);

  Engine& engine_;
  std::shared_ptr<PaymentProvider> provider_;
  std::chrono::milliseconds retry_after_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ClientId> queue_;
  std::unordered_set<ClientId> queued_;
  std::unordered_map<ClientId, Last> last_;
  uint64_t done_ = 0;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace pp::engine
