#include "engine/recharge.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/ids.h"
#include "engine/engine.h"

namespace pp::engine {

namespace json = boost::json;

AutoRecharger::AutoRecharger(Engine& engine, std::shared_ptr<PaymentProvider> provider,
                             std::chrono::milliseconds retry_after)
    : engine_(engine), provider_(std::move(provider)), retry_after_(retry_after) {
  worker_ = std::thread([this] { run(); });
}

AutoRecharger::~AutoRecharger() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void AutoRecharger::request(ClientId client) {
  {
    std::lock_guard lk(mu_);
    if (stop_ || !queued_.insert(client).second) return;  // already waiting
    queue_.push_back(client);
  }
  cv_.notify_one();
}

void AutoRecharger::resume() {
  std::vector<ClientId> clients;
  (void)engine_.store().scan_state("recharge/", false, [&](std::string_view key, std::string_view) {
    try {
      clients.push_back(std::stoll(std::string(key.substr(9))));
    } catch (...) {
    }
    return true;
  });
  for (ClientId c : clients) request(c);
}

std::optional<AutoRecharger::Last> AutoRecharger::last(ClientId client) {
  std::lock_guard lk(mu_);
  auto it = last_.find(client);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

uint64_t AutoRecharger::done() const {
  std::lock_guard lk(mu_);
  return done_;
}

void AutoRecharger::run() {
  for (;;) {
    ClientId client = 0;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      client = queue_.front();
      queue_.pop_front();
    }
    recharge(client);
    std::lock_guard lk(mu_);
    queued_.erase(client);  // (a sale meanwhile asked again: the balance is read again then)
  }
}

void AutoRecharger::recharge(ClientId client) {
  const SnapshotPtr snap = engine_.snapshot();
  const ClientConfig* c = snap->config().find_client(client);
  storage::Store& store = engine_.store();
  const std::string intent = intent_key(client);
  std::optional<std::string> pending = store.get_state(intent);
  const UnixMs now = engine_.clock().now_ms();
  if (!pending) {
    if (c == nullptr || !c->billing.auto_recharge()) return;
    // Read again: another recharge (or a deposit) may have lifted it meanwhile.
    if (engine_.balances().view(client).balance >= c->billing.recharge_below.units()) return;
    {
      std::lock_guard lk(mu_);
      auto it = last_.find(client);
      if (it != last_.end() && !it->second.error.empty() &&
          now - it->second.at_ms < retry_after_.count())
        return;  // the card failed lately: not again yet
    }
    // The intent first (its key), so that a crash after the charge cannot charge again.
    json::object o;
    o["key"] = "recharge:" + std::to_string(client) + ":" + thread_id_generator().lead_id(now);
    o["amount"] = c->billing.recharge_amount.units();
    o["fee"] = c->billing.recharge_amount.percent_bp(c->billing.deposit_fee_bp).units();
    pending = json::serialize(o);
    if (!store.put_state(intent, *pending).ok()) {
      spdlog::error("auto-recharge of client {}: its intent could not be stored", client);
      return;
    }
  }
  json::error_code ec;
  json::value v = json::parse(*pending, ec);
  if (ec || !v.is_object()) {
    (void)store.delete_state(intent);
    return;
  }
  const json::object& o = v.as_object();
  ChargeRequest r;
  r.client = client;
  r.idempotency_key = o.at("key").is_string() ? std::string(o.at("key").as_string()) : "";
  r.amount = Money::from_units(o.at("amount").is_int64() ? o.at("amount").as_int64() : 0);
  r.fee = Money::from_units(o.at("fee").is_int64() ? o.at("fee").as_int64() : 0);
  r.description = "Auto-recharge, client " + std::to_string(client);
  ChargeResult res = provider_->charge(r);
  Last attempt{now, {}};
  if (res.status == ChargeResult::Status::kSucceeded) {
    Engine::DepositResult d =
        engine_.deposit(client, r.amount, r.fee, "recharge",
                        std::string(provider_->name()) + " " + res.provider_ref, r.idempotency_key);
    if (d.http_status == 201 || d.http_status == 200) {
      (void)store.delete_state(intent);
      spdlog::info("auto-recharge of client {}: {} credited", client, r.amount.to_string());
    } else {
      // Charged but not credited (storage, or the client's billing changed): the intent stays,
      // and the next attempt credits it under the same key.
      attempt.error = "charged, not credited yet: " + d.message;
    }
  } else {
    // Declined or failed: nothing was taken; the intent goes (a later one gets a new key).
    (void)store.delete_state(intent);
    attempt.error =
        (res.status == ChargeResult::Status::kDeclined ? "declined: " : "failed: ") + res.message;
    spdlog::warn("auto-recharge of client {}: {}", client, attempt.error);
  }
  std::lock_guard lk(mu_);
  last_[client] = attempt;
  if (attempt.error.empty()) ++done_;
}

}  // namespace pp::engine
