#include "api/app.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "api/exports.h"
#include "buyers/http_client.h"
#include "core/config.h"
#include "engine/batches.h"
#include "engine/returns.h"

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
  // The store is the truth: its configuration wins; an empty data directory takes the file's.
  auto start = engine::ConfigService::open(*app->store_, options.config_text, clock, errors);
  if (!start) return nullptr;
  engine::SnapshotPtr snap = start->snapshot;
  app->engine_ = std::make_unique<engine::Engine>(snap, *app->store_, clock);
  app->config_ = std::make_unique<engine::ConfigService>(*app->engine_, *app->store_, clock,
                                                         std::move(start->state));
  app->router_ = std::make_unique<Router>(*app->engine_, app->config_.get());

  const Config& cfg = snap->config();
  ServerOptions so;
  so.host = options.host;
  so.port = options.port;
  so.threads = options.threads;
  so.body_limit_bytes = cfg.server.body_limit_bytes;
  so.upload_limit_bytes = cfg.server.upload_limit_bytes;
  so.header_limit_bytes = cfg.server.header_limit_bytes;
  so.read_timeout_ms = cfg.server.read_timeout_ms;
  so.idle_timeout_ms = cfg.server.idle_timeout_ms;
  so.max_connections = cfg.server.max_connections;
  so.max_requests_per_connection = cfg.server.max_requests_per_connection;
  so.client.ca_file = options.extra_ca_file.empty() ? cfg.outbound.ca_file : options.extra_ca_file;
  so.client.allow_private_networks = cfg.outbound.allow_private_networks;
  app->server_ = std::make_unique<Server>(so, *app->router_);

  // The outbox's sender (issue 18): its own thread and outbound client.
  std::string key = engine::OutboxSender::load_signing_key(*app->store_, err);
  if (key.empty()) {
    errors.push_back(err);
    return nullptr;
  }
  engine::OutboxSender::Options oo;
  oo.transport = [client = so.client](boost::asio::any_io_executor ex) {
    return std::make_unique<buyers::HttpClient>(ex, client);
  };
  oo.user_agent = cfg.outbound.user_agent;
  oo.snapshot = [e = app->engine_.get()] { return e->snapshot(); };
  oo.on_gone = [cs = app->config_.get()](int64_t id, std::string reason) {
    engine::ChangeResult r = cs->disable_webhook(id, reason, "outbox");
    if (r.ok()) spdlog::warn("webhook {} disabled: {}", id, reason);
  };
  oo.signing_key = std::move(key);
  oo.send_lead = [e = app->engine_.get()](const OutboxDelivery& d, buyers::Transport& t) {
    return e->resend_delivery(d, t);
  };
  oo.ca_file = so.client.ca_file;
  app->outbox_ = std::make_unique<engine::OutboxSender>(*app->store_, clock, std::move(oo));
  app->store_->set_outbox_listener(
      [s = app->outbox_.get()](uint64_t dest, int64_t due) { s->notify(dest, due); });
  app->router_->set_outbox(app->outbox_.get());
  engine::AlertRunner::Options ao;
  ao.snapshot = [e = app->engine_.get()] { return e->snapshot(); };
  ao.interval = options.alert_interval;
  app->alerts_ = std::make_unique<engine::AlertRunner>(app->engine_->alerts(), *app->store_, clock,
                                                       std::move(ao));
  app->router_->set_alerts(app->alerts_.get());

  // Long jobs (issue 19).
  engine::JobRunner::Options jo;
  jo.files_dir = options.files_dir.empty() ? options.data_dir + "/files" : options.files_dir;
  jo.threads = size_t(cfg.jobs.threads);
  jo.download_window_ms = int64_t(cfg.jobs.download_window_days) * 86400000;
  jo.on_finish = [e = app->engine_.get(), c = &clock](const engine::Job& j) {
    return engine::batch_events(e->snapshot()->config(), c->now_ms(), j);
  };
  app->jobs_ = std::make_unique<engine::JobRunner>(*app->store_, clock, std::move(jo));
  app->jobs_->set_work(engine::JobKind::kExport, [e = app->engine_.get()](engine::JobContext& c) {
    return run_export(*e, c);
  });
  engine::BatchOptions bo;
  bo.transport = [client = so.client](boost::asio::any_io_executor ex) {
    return std::make_unique<buyers::HttpClient>(ex, client);
  };
  bo.files_dir = app->jobs_->files_dir();
  app->jobs_->set_work(
      engine::JobKind::kBatch,
      [e = app->engine_.get(), bo](engine::JobContext& c) { return engine::run_batch(*e, c, bo); });
  app->jobs_->set_work(engine::JobKind::kReturns,
                       [e = app->engine_.get(), dir = bo.files_dir](engine::JobContext& c) {
                         return engine::run_returns(*e, c, dir);
                       });
  app->router_->set_jobs(app->jobs_.get());
  app->router_->set_payments(app->opts_.payments);
  app->portal_ = std::make_unique<engine::PortalAccounts>(*app->store_, app->engine_->clock(),
                                                          app->opts_.portal_hash);
  app->approvals_ = std::make_unique<engine::Approvals>(*app->engine_, *app->config_);
  app->router_->set_portal(app->portal_.get(), app->approvals_.get());
  if (app->opts_.payments) {  // realtime billing's auto-recharge needs a provider
    app->recharger_ = std::make_unique<engine::AutoRecharger>(*app->engine_, app->opts_.payments,
                                                              app->opts_.recharge_retry_after);
    app->engine_->set_low_balance_listener(
        [r = app->recharger_.get()](ClientId client) { r->request(client); });
    app->router_->set_recharger(app->recharger_.get());
  }
  return app;
}

App::~App() { shutdown(std::chrono::seconds(5)); }

engine::ChangeResult App::reload_config(const std::string& text, const std::string& actor) {
  std::string err;
  auto doc = config::parse(text, err);
  if (!doc || !doc->is_object()) {
    engine::ChangeResult r;
    r.http_status = 400;
    r.message = doc ? "the configuration must be a JSON object" : err;
    return r;
  }
  return config_->apply(engine::ConfigService::replace_all("config", actor, std::nullopt,
                                                           std::move(doc->as_object())));
}

void App::start() {
  outbox_->start();
  alerts_->start();
  jobs_->start();
  if (recharger_) recharger_->resume();  // recharges a crash cut short
  server_->start();
}

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
  // Waiting deliveries stay in storage; attempts in flight get a moment, then are cut short (and
  // sent again after the next start).
  if (jobs_) jobs_->stop();  // a job in progress is taken up again at the next start
  recharger_.reset();        // a charge in progress finishes; a stored intent resumes at start
  if (alerts_) alerts_->stop();
  if (outbox_) outbox_->stop();
  if (store_) store_->close();
}

}  // namespace pp::api
