#pragma once
// The HTTP/1.1 server (Beast lives only in server.cpp).
//
// Layout: one io_context per thread, each with its own acceptor on the same port (SO_REUSEPORT;
// the kernel spreads connections) and its own outbound HttpClient, so a lead's whole life (intake,
// buyer calls, answer) stays on one thread without locks. One coroutine per connection.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "api/router.h"
#include "buyers/http_client.h"

namespace pp::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = any free port (tests)
  unsigned threads = 1;
  uint32_t body_limit_bytes = 65536;
  // A streamed upload's body (Router::open_stream): read piece by piece, at most this many bytes,
  // each piece within read_timeout_ms of the previous one.
  uint64_t upload_limit_bytes = uint64_t(4) << 30;
  uint32_t header_limit_bytes = 8192;
  // A request must arrive whole (head and body) within read_timeout_ms of its first byte, or it
  // is answered 408 and the connection closed (slow clients). A new connection must send its
  // first byte within read_timeout_ms, a kept-alive one within idle_timeout_ms (else it is closed
  // without an answer).
  uint32_t read_timeout_ms = 10000;
  uint32_t idle_timeout_ms = 60000;
  uint32_t write_timeout_ms = 10000;
  uint32_t max_connections = 10000;  // over it: 503 + Retry-After, then close
  uint32_t max_requests_per_connection = 1000;
  buyers::ClientOptions client;
};

class Server {
 public:
  Server(ServerOptions options, Router& router);
  ~Server();

  // Binds and starts the threads. Throws std::runtime_error when the address cannot be bound.
  void start();
  uint16_t port() const;
  // Closes the listening sockets; open connections continue.
  void stop_accepting();
  // Stops every thread (open connections are dropped) and joins them. Idempotent.
  void stop();
  int64_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pp::api
