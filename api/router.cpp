#include "api/router.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/auth.h"
#include "api/intake.h"
#include "api/sandbox.h"
#include "api/views.h"
#include "core/json_writer.h"

namespace pp::api {

namespace asio = boost::asio;

asio::awaitable<Response> Router::handle(Request req, buyers::Transport& transport) {
  const std::string& p = req.path;
  if (p == "/direct_post") {
    if (req.method != "POST") co_return error_response(405, "Use POST");
    co_return co_await direct_post(req, transport);
  }
  if (p.rfind("/public/", 0) == 0) {
    auto snap = engine_.snapshot();
    if (!authenticate(req, snap->config())) co_return error_response(401, "Unauthenticated");
    constexpr std::string_view kLead = "/public/lead/";
    if (p.rfind(kLead, 0) == 0 && p.size() > kLead.size()) {
      if (req.method != "GET") co_return error_response(405, "Use GET");
      co_return public_lead(req, std::string_view(p).substr(kLead.size()));
    }
    co_return error_response(404, "Not found");
  }
  if (p == "/health" || p == "/ready") {
    co_return json_response(200, R"({"status":"ok"})");
  }
  if (p.rfind("/sandbox/", 0) == 0 && engine_.snapshot()->config().server.sandbox) {
    if (p != "/sandbox/post" && p != "/sandbox/ping") co_return error_response(404, "Not found");
    SandboxAnswer a = sandbox_answer(req, sandbox_seq_.fetch_add(1) + 1);
    if (a.delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_after(a.delay);
      co_await t.async_wait(asio::use_awaitable);
    }
    co_return a.response;
  }
  co_return error_response(404, "Not found");
}

asio::awaitable<Response> Router::direct_post(const Request& req, buyers::Transport& transport) {
  Response err;
  auto in = parse_intake(req, err);
  if (!in) co_return err;
  engine::IntakeResult r = co_await engine_.direct_post(std::move(*in), transport);
  co_return json_response(200, render_intake_result(r));
}

Response Router::public_lead(const Request&, std::string_view id) {
  auto lead = engine_.find_lead(id);
  if (!lead) return error_response(404, "Lead not found");
  auto snap = engine_.snapshot();
  return json_response(200, render_lead(*lead, snap->config()));
}

}  // namespace pp::api
