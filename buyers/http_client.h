#pragma once
// Outbound HTTP/1.1 client for buyer calls (C5). Beast lives only in http_client.cpp.
//
// - One HttpClient per io_context; it is thread-confined (call it only from that context's thread),
//   so its keep-alive pools need no locks.
// - Pools: idle connections per scheme://host:port, at most `max_idle_per_host`, dropped after
//   `idle_ttl`. A request that fails on a reused connection before any answer byte is retried once
//   on a fresh connection (the server closed the idle connection); never otherwise.
// - Every call has deadlines: connect_timeout for resolve + connect + TLS handshake, then timeout
//   for writing the request and reading the whole answer. Answers over max_response_bytes fail.
// - HTTPS verifies the certificate chain (system store plus `ca_file`) and the host name.
// - Redirects are never followed: a 3xx is returned like any other status.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "buyers/http_types.h"
#include "buyers/transport.h"

namespace pp::buyers {

struct ClientOptions {
  std::string ca_file;                        // extra PEM trust anchors; empty = system store only
  size_t max_idle_per_host = 64;              // default 64
  std::chrono::milliseconds idle_ttl{30000};  // default 30 s
  size_t max_header_bytes = 16384;            // response head cap, default 16 KiB
  // Off (the default): every resolved address is checked before connecting, and loopback,
  // private, link-local, metadata and other non-public addresses are refused (kBlockedAddress).
  bool allow_private_networks = false;
};

class HttpClient final : public Transport {
 public:
  // Throws std::runtime_error when `ca_file` cannot be loaded (a start-up error).
  HttpClient(boost::asio::any_io_executor ex, ClientOptions options);
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never throws for network or protocol problems: they come back in HttpResult::error.
  boost::asio::awaitable<HttpResult> send(OutboundRequest request) override;

  size_t idle_connections() const;
  // Closes every idle connection (shutdown).
  void close_idle();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pp::buyers
