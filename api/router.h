#pragma once
// Routes a request to its handler. Handlers are thin: parse, call the engine, render.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "api/auth.h"
#include "api/http_types.h"
#include "buyers/transport.h"
#include "engine/alerts.h"
#include "engine/approvals.h"
#include "engine/config_service.h"
#include "engine/engine.h"
#include "engine/jobs.h"
#include "engine/outbox_sender.h"
#include "engine/payments.h"
#include "engine/portal.h"
#include "engine/recharge.h"

namespace boost::asio {
class thread_pool;
}

namespace pp::api {

class Router {
 public:
  // `report_threads` run the report endpoints (stats, accounting, lead search), which scan storage,
  // so that the I/O threads keep serving suppliers meanwhile.
  // `config` serves the configuration admin API (null: those routes answer 404).
  explicit Router(engine::Engine& engine, engine::ConfigService* config = nullptr,
                  size_t report_threads = 2);
  ~Router();

  // The outbox's sender (issue 18): the delivery log's replays, webhook secrets, metrics.
  void set_outbox(engine::OutboxSender* outbox) { outbox_ = outbox; }
  // The alert evaluator (issue 18): GET /admin/alerts.
  void set_alerts(engine::AlertRunner* alerts) { alerts_ = alerts; }
  // Long jobs (issue 19): exports, batches, bulk returns.
  void set_jobs(engine::JobRunner* jobs) { jobs_ = jobs; }
  // Realtime billing's provider (issue 20); null: POST .../charges answers 501.
  void set_payments(std::shared_ptr<engine::PaymentProvider> p) { payments_ = std::move(p); }
  // The portals (issue 20): their users and requests; null: /portal/ answers 404.
  // Auto-recharge (issue 20): its last attempts, in the balance views.
  void set_recharger(engine::AutoRecharger* r) { recharger_ = r; }
  void set_portal(engine::PortalAccounts* accounts, engine::Approvals* approvals) {
    portal_ = accounts;
    approvals_ = approvals;
  }

  // `transport` is the calling I/O thread's outbound client.
  boost::asio::awaitable<Response> handle(Request req, buyers::Transport& transport);

  // Streamed uploads (PUT and POST /admin/lists/{id}/entries): for a request whose head (no body
  // yet) names one, the sink its body goes to — or the answer given without reading the body
  // (unauthenticated, forbidden, unknown list: the connection then closes). nullopt for every
  // other request, whose body the server reads whole.
  struct StreamStart {
    std::unique_ptr<BodySink> sink;  // null: refused
    Response refused;
  };
  std::optional<StreamStart> open_stream(const Request& head);
  // Whether a request line may be a streamed upload (asked first: the common request pays a
  // comparison, not a copy of its head).
  static bool may_stream(std::string_view method, std::string_view target) {
    return (method == "PUT" || method == "POST") &&
           (target.starts_with("/admin/lists/") || target.starts_with("/admin/uploads"));
  }
  // How a streamed body ended.
  enum class UploadEnd : uint8_t { kComplete, kStopped, kTooLarge, kTimeout, kClosed };
  // The answer once the body has been read to its end, or the sink stopped it (its reason), or
  // it was over server.upload_limit_bytes (413).
  boost::asio::awaitable<Response> finish_stream(const Request& head,
                                                 std::unique_ptr<BodySink> sink, UploadEnd end);

 private:
  // 429 with Retry-After for a token over server.rate_limits.token_per_s; nullopt otherwise.
  std::optional<Response> token_rate_limited(const ApiTokenConfig& token, const Config& cfg);
  boost::asio::awaitable<Response> direct_post(const Request& req, buyers::Transport& transport);
  boost::asio::awaitable<Response> supplier_ping(const Request& req, buyers::Transport& transport);
  boost::asio::awaitable<Response> supplier_post(const Request& req, buyers::Transport& transport);
  // Leads of campaigns the token does not see are "not found" (object-level check).
  Response public_lead(const Request& req, std::string_view id, const ApiTokenConfig& token);
  // GET /admin/leads/{id} (the whole lead) or, with `timeline`, /admin/leads/{id}/timeline.
  Response admin_lead(std::string_view id, bool timeline, const ApiTokenConfig& token);
  std::string render_metrics();
  Response public_debug(const Request& req, const ApiTokenConfig& token);
  boost::asio::awaitable<Response> public_return(const Request& req, const ApiTokenConfig& token);
  // GET /public/campaigns[/{id}], and /{id}/pause_buyer|resume_buyer/{buyer} (configuration
  // changes: call on a report thread).
  Response public_campaigns(const Request& req, std::string_view rest, const ApiTokenConfig& token);
  // POST /admin/campaigns/{id}/buyers[/{buyer_id}]/test (api/buyer_test.cpp).
  boost::asio::awaitable<Response> admin_buyer_test(const Request& req,
                                                    buyers::Transport& transport,
                                                    const ApiTokenConfig& token);
  // GET /admin/whoami and GET /admin/buyers/health (api/operator_views.cpp; the console's).
  Response admin_whoami(const ApiTokenConfig& token);
  Response admin_buyer_health(const ApiTokenConfig& token);
  // /admin/lists/{id}/entries[/{value}] but uploads (api/lists.cpp; on a report thread).
  Response admin_list_entries(const Request& req, const ApiTokenConfig& token);
  // /admin/webhooks/{id}/secret|rotate and /admin/deliveries[/{id}[/replay]] (api/webhooks.cpp;
  // on a report thread).
  Response admin_webhook_action(const Request& req, const ApiTokenConfig& token);
  Response admin_deliveries(const Request& req, const ApiTokenConfig& token);
  Response admin_alerts(const Request& req, const ApiTokenConfig& token);
  // Prepaid balances (issue 20): /admin/clients/{id}/balance|ledger|deposits (api/billing.cpp).
  Response admin_billing(const Request& req, const ApiTokenConfig& token);
  Response ledger_audit();
  // Uploads and batches (api/batches.cpp, issue 19): POST /admin/uploads is streamed to disk.
  static bool is_upload(const Request& head);
  std::optional<StreamStart> open_upload(const Request& head);
  Response finish_upload(std::unique_ptr<BodySink> body, UploadEnd end);
  Response admin_uploads(const Request& req, const ApiTokenConfig& token);
  Response admin_batches(const Request& req, const ApiTokenConfig& token);
  Response admin_returns(const Request& req, const ApiTokenConfig& token);
  // GET /v1/leads (api/pull.cpp, issue 19): a lead_store buyer's own leads, with its own key.
  Response buyer_pull(const Request& req);
  // The portals (api/portal.cpp, issue 20; on a report thread: Argon2id and synced writes).
  Response portal_route(const Request& req);
  std::optional<engine::PortalCaller> portal_caller(const Request& req, Response& refused);
  Response portal_keys(const Request& req, const engine::PortalUser& user);
  Response buyer_portal(const Request& req, const engine::PortalUser& user);
  Response portal_requests(const Request& req, const engine::PortalUser& user,
                           const std::vector<std::string_view>& seg);
  Response supplier_portal(const Request& req, const engine::PortalUser& user);
  Response portal_exports(const Request& req, const engine::PortalUser& user, bool buyer,
                          std::map<CampaignId, std::set<int64_t>> members);
  Response admin_portal(const Request& req, const ApiTokenConfig& token);
  // An invitation to `u`: a link to choose its password, by email (in one write).
  storage::Status invite(const engine::PortalUser& u);
  Response admin_templates(const Request& req, const ApiTokenConfig& token,
                           const std::vector<std::string_view>& seg);
  // Runs `fn` on a report thread; resumes on the caller's executor.
  boost::asio::awaitable<Response> on_report_thread(std::function<Response()> fn);

  void note_token_use(const ApiTokenConfig& token) {
    tokens_.record(token, engine_.clock().now_ms());
  }

  engine::Engine& engine_;
  engine::ConfigService* config_;
  engine::OutboxSender* outbox_ = nullptr;
  engine::AlertRunner* alerts_ = nullptr;
  engine::JobRunner* jobs_ = nullptr;
  std::shared_ptr<engine::PaymentProvider> payments_;
  engine::PortalAccounts* portal_ = nullptr;
  engine::Approvals* approvals_ = nullptr;
  engine::AutoRecharger* recharger_ = nullptr;
  TokenUsage tokens_;
  std::unique_ptr<boost::asio::thread_pool> reports_;
  std::atomic<uint64_t> sandbox_seq_{0};
};

}  // namespace pp::api
