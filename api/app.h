#pragma once
// Wires configuration, storage, engine, router and server together. Used by pingpostd's main and
// by integration tests (which start real servers on 127.0.0.1 port 0).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/router.h"
#include "api/server.h"
#include "engine/alerts.h"
#include "engine/approvals.h"
#include "engine/config_service.h"
#include "engine/engine.h"
#include "engine/outbox_sender.h"
#include "engine/payments.h"
#include "engine/portal.h"
#include "engine/recharge.h"
#include "storage/store.h"

namespace pp::api {

struct AppOptions {
  // The configuration file's document: it seeds an empty data directory; afterwards the stored
  // configuration wins (reload_config applies a file as a change).
  std::string config_text;
  std::string data_dir;  // RocksDB directory
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  unsigned threads = 1;
  storage::StoreOptions store;
  std::string extra_ca_file;     // overrides outbound.ca_file when set (tests)
  const Clock* clock = nullptr;  // default: the system clock (tests inject a ManualClock)
  // How often alert rules are evaluated (issue 18). Tests that evaluate by hand set it long.
  std::chrono::milliseconds alert_interval{5000};
  // Where job results (exports, batch and return results) and uploads are kept. Default:
  // <data_dir>/files.
  std::string files_dir;
  // The payment provider of realtime billing (engine/payments.h); none: charges answer 501.
  std::shared_ptr<engine::PaymentProvider> payments;
  // Portal passwords' Argon2id cost (issue 20). Tests lower it; the default is libsodium's
  // "interactive" cost.
  engine::PortalAccounts::Options portal_hash;
  // Auto-recharge: how long after a declined or failed charge a client is not charged again.
  std::chrono::milliseconds recharge_retry_after = std::chrono::hours(1);
  // Tests only: wraps the opened store (fault injection). Default: the store as opened.
  std::function<std::unique_ptr<storage::Store>(std::unique_ptr<storage::Store>)> wrap_store;
};

class App {
 public:
  // Loads and compiles the configuration and opens storage. Returns null and fills `errors`
  // (every configuration problem with its JSON path) on failure.
  static std::unique_ptr<App> create(AppOptions options, std::vector<std::string>& errors);
  ~App();

  // Starts listening. Throws std::runtime_error when the address cannot be bound.
  void start();
  uint16_t port() const { return server_->port(); }

  // Graceful stop: stop accepting, let leads in flight finish (at most `drain`), stop the threads,
  // then flush and close storage. Idempotent.
  void shutdown(std::chrono::milliseconds drain = std::chrono::seconds(30));

  engine::Engine& engine() { return *engine_; }
  engine::ConfigService& config() { return *config_; }
  // Applies a whole configuration document as one change (SIGHUP re-reading --config).
  engine::ChangeResult reload_config(const std::string& text, const std::string& actor);
  storage::Store& store() { return *store_; }
  engine::OutboxSender& outbox() { return *outbox_; }
  engine::AlertRunner& alerts() { return *alerts_; }
  engine::JobRunner& jobs() { return *jobs_; }

 private:
  App() = default;
  AppOptions opts_;
  // Before the store: the store's outbox listener wakes the sender until the store is closed.
  std::unique_ptr<engine::OutboxSender> outbox_;
  std::unique_ptr<engine::AlertRunner> alerts_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<engine::JobRunner> jobs_;
  std::unique_ptr<engine::ConfigService> config_;
  std::unique_ptr<engine::PortalAccounts> portal_;
  std::unique_ptr<engine::Approvals> approvals_;
  std::unique_ptr<engine::AutoRecharger> recharger_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Server> server_;
  bool shut_down_ = false;
};

// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> read_file(const std::string& path);

}  // namespace pp::api
