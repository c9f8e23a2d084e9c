#include "api/app.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "core/config.h"

namespace pp::api {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<App> App::create(AppOptions options, std::vector<std::string>& errors) {
  // spdlog's registry is a lazily built singleton: build it here, before any I/O thread logs.
  (void)spdlog::default_logger_raw();
  ConfigLoadResult loaded = load_config(options.config_text);
  if (!loaded.config) {
    errors = std::move(loaded.errors);
    return nullptr;
  }
  engine::SnapshotPtr snap = engine::Snapshot::build(loaded.config, errors);
  if (!snap) return nullptr;

  std::unique_ptr<App> app(new App());
  app->opts_ = options;
  std::string err;
  app->store_ = storage::Store::open(options.data_dir, options.store, err);
  if (!app->store_) {
    errors.push_back(err);
    return nullptr;
  }
  if (options.wrap_store) app->store_ = options.wrap_store(std::move(app->store_));
  const Clock& clock = options.clock ? *options.clock : SystemClock::instance();
  app->engine_ = std::make_unique<engine::Engine>(snap, *app->store_, clock);
  app->router_ = std::make_unique<Router>(*app->engine_);

  const Config& cfg = snap->config();
  ServerOptions so;
  so.host = options.host;
  so.port = options.port;
  so.threads = options.threads;
  so.body_limit_bytes = cfg.server.body_limit_bytes;
  so.header_limit_bytes = cfg.server.header_limit_bytes;
  so.read_timeout_ms = cfg.server.read_timeout_ms;
  so.idle_timeout_ms = cfg.server.idle_timeout_ms;
  so.max_connections = cfg.server.max_connections;
  so.max_requests_per_connection = cfg.server.max_requests_per_connection;
  so.client.ca_file = options.extra_ca_file.empty() ? cfg.outbound.ca_file : options.extra_ca_file;
  so.client.allow_private_networks = cfg.outbound.allow_private_networks;
  app->server_ = std::make_unique<Server>(so, *app->router_);
  return app;
}

App::~App() { shutdown(std::chrono::seconds(5)); }

void App::start() { server_->start(); }

void App::shutdown(std::chrono::milliseconds drain) {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_) {
    server_->stop_accepting();
    auto until = std::chrono::steady_clock::now() + drain;
    while (engine_->in_flight() > 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (engine_->in_flight() > 0) {
      spdlog::warn("drain timeout: {} lead(s) still in flight are abandoned (not acknowledged)",
                   engine_->in_flight());
    }
    server_->stop();
  }
  if (store_) store_->close();
}

}  // namespace pp::api
