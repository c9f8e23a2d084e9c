#pragma once
// The sandbox buyer: a fake buyer the engine itself serves under /sandbox/ when
// "server.sandbox" is true, so a newcomer can see every outcome with curl. Its rules are pure and
// documented in README.md ("The sandbox buyer").
#include <chrono>

#include "api/http_types.h"

namespace pp::api {

struct SandboxAnswer {
  Response response;
  std::chrono::milliseconds delay{0};  // the server waits this long before answering
};

// POST /sandbox/post and POST /sandbox/ping.
SandboxAnswer sandbox_answer(const Request& req, uint64_t sequence);

}  // namespace pp::api
