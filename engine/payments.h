#pragma once
// The payment provider interface (issue 20, C8: realtime billing). A provider charges a client's
// payment method; pingpost then credits the balance (the amount) and the fees account (the fee
// passed on), in one durable write. The real provider (Stripe) cannot be reached from here, so
// pingpost ships the interface, a fake for tests (tests/support/fake_payments.h), and no adapter:
//
// A Stripe adapter implements charge() with POST https://api.stripe.com/v1/payment_intents
// (amount in cents = (amount + fee) rounded from 1/10,000 units, currency from account.currency,
// customer = the client's Stripe customer id, payment_method = its default, confirm=true,
// off_session=true), sending `idempotency_key` as Stripe's Idempotency-Key header so that a retried
// charge is never taken twice; status "succeeded" -> kSucceeded (provider_ref = the intent's id),
// a card_error -> kDeclined (its message), anything else or no answer before the deadline ->
// kError. It is built with the outbound HTTP client (bounded by a deadline, like every outbound
// call) and given to the App (AppOptions::payments).
#include <memory>
#include <string>

#include "core/ids.h"
#include "core/money.h"

namespace pp::engine {

struct ChargeRequest {
  ClientId client = 0;
  Money amount;                 // credited to the balance
  Money fee;                    // charged on top (deposit_fee_percent), to the fees account
  std::string idempotency_key;  // the same key never charges twice
  std::string description;
};

struct ChargeResult {
  enum class Status : uint8_t { kSucceeded, kDeclined, kError };
  Status status = Status::kError;
  std::string provider_ref;  // the provider's id of the charge
  std::string message;       // why it was declined or failed
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  virtual std::string_view name() const = 0;
  // Charges amount + fee. Blocking, bounded by the provider's own deadline; called off the I/O
  // threads (report threads).
  virtual ChargeResult charge(const ChargeRequest& request) = 0;
};

}  // namespace pp::engine
