#pragma once
// Plain request/response types for talking to buyers. No Beast or Asio here: the payload builder
// and response mapper are pure translators that tests drive without sockets.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pp::buyers {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct OutboundRequest {
  std::string method = "POST";
  std::string url;
  Headers headers;  // as they go on the wire (Content-Type and User-Agent included)
  std::string body;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{10000};  // write request + read response, after connect
  size_t max_response_bytes = 262144;
  // Absolute bound over the whole call (connect included): the caller's remaining budget, e.g. a
  // lead's delivery deadline. Each phase ends at the earlier of its own timeout and this.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// Connection-level failures, as an enum (Envoy's pool failure reasons, refined).
enum class TransportError : uint8_t {
  kNone,
  kBadUrl,
  kResolveFailed,
  kConnectFailed,
  kConnectTimeout,
  kTlsFailed,
  kTimeout,   // no complete answer within the deadline
  kTooLarge,  // answer over max_response_bytes
  kProtocol,  // not HTTP
  kClosed,    // connection closed before a complete answer
  kBlockedAddress,
};
std::string_view to_string(TransportError e);

struct HttpResult {
  TransportError error = TransportError::kNone;
  std::string error_message;
  int status = 0;
  Headers headers;
  std::string body;
  int64_t elapsed_us = 0;
  bool reused_connection = false;
  bool ok() const { return error == TransportError::kNone; }
};

}  // namespace pp::buyers
