#pragma once
// A payment provider for tests (engine/payments.h): approves charges up to a card limit, declines
// above it, fails while `down`; remembers every charge by idempotency key (a repeated key is the
// same charge, never a second one), as a real provider does.
#include <map>
#include <mutex>

#include "engine/payments.h"

namespace pp::testkit {

class FakePayments final : public engine::PaymentProvider {
 public:
  explicit FakePayments(Money limit) : limit_(limit) {}
  std::string_view name() const override { return "fake"; }
  engine::ChargeResult charge(const engine::ChargeRequest& r) override {
    std::lock_guard lk(mu_);
    engine::ChargeResult out;
    if (down) {
      out.message = "provider unavailable";
      return out;
    }
    if (auto it = by_key_.find(r.idempotency_key); it != by_key_.end()) return it->second;
    const Money total = r.amount + r.fee;
    if (limit_ < total) {
      out.status = engine::ChargeResult::Status::kDeclined;
      out.message = "card limit exceeded";
      return out;
    }
    out.status = engine::ChargeResult::Status::kSucceeded;
    out.provider_ref = "ch_" + std::to_string(++n_);
    charged = charged + total;
    by_key_[r.idempotency_key] = out;
    return out;
  }
  bool down = false;
  Money charged;  // everything taken from the card

 private:
  std::mutex mu_;
  Money limit_;
  int n_ = 0;
  std::map<std::string, engine::ChargeResult> by_key_;
};

}  // namespace pp::testkit
