#pragma once
// Routes a request to its handler. Handlers are thin: parse, call the engine, render.
#include <atomic>
#include <boost/asio/awaitable.hpp>

#include "api/http_types.h"
#include "buyers/transport.h"
#include "engine/engine.h"

namespace pp::api {

class Router {
 public:
  explicit Router(engine::Engine& engine) : engine_(engine) {}

  // `transport` is the calling I/O thread's outbound client.
  boost::asio::awaitable<Response> handle(Request req, buyers::Transport& transport);

 private:
  boost::asio::awaitable<Response> direct_post(const Request& req, buyers::Transport& transport);
  boost::asio::awaitable<Response> supplier_ping(const Request& req, buyers::Transport& transport);
  boost::asio::awaitable<Response> supplier_post(const Request& req, buyers::Transport& transport);
  Response public_lead(const Request& req, std::string_view id);
  std::string render_metrics();
  Response public_debug(const Request& req);
  boost::asio::awaitable<Response> public_return(const Request& req);
  Response public_campaigns(const Request& req, std::string_view rest, Role role);

  engine::Engine& engine_;
  std::atomic<uint64_t> sandbox_seq_{0};
};

}  // namespace pp::api
