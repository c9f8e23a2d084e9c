#pragma once
// How the engine sends a request to a buyer. HttpClient is the real implementation; tests and
// benchmarks may substitute their own.
#include <boost/asio/awaitable.hpp>

#include "buyers/http_types.h"

namespace pp::buyers {

class Transport {
 public:
  virtual ~Transport() = default;
  // Must honour request.connect_timeout and request.timeout, and never throw for I/O problems.
  virtual boost::asio::awaitable<HttpResult> send(OutboundRequest request) = 0;
};

}  // namespace pp::buyers
