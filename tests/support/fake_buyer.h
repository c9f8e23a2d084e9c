#pragma once
// In-process fake buyers for integration tests: a real HTTP(S) server on 127.0.0.1 (port 0) whose
// answers tests program per path. Fake buyers can be slow, wrong, silent or rude on purpose.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pp::testkit {

struct Received {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;
};

struct FakeReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // more response headers (Set-Cookie)
  std::chrono::milliseconds delay{0};                        // wait before answering
  bool silent = false;    // read the request, never answer (until shutdown)
  bool close = false;     // close the connection without answering
  std::string raw;        // write these bytes instead of an HTTP response
  size_t body_bytes = 0;  // send a body of this many 'x' (for size caps)
  // Hostile peers: write `raw` one byte every `trickle`; after `raw`, keep the connection open
  // and say nothing (`hold`); announce and stream `stream_bytes` of body in 64 KiB writes until
  // the client goes away; or reset the connection (RST) instead of answering.
  std::chrono::milliseconds trickle{0};
  bool hold = false;
  size_t stream_bytes = 0;
  bool reset = false;

  static FakeReply json(std::string body) { return FakeReply{200, std::move(body)}; }
};

class FakeBuyer {
 public:
  struct Options {
    bool tls = false;
    std::string cert_file;  // PEM (tls)
    std::string key_file;   // PEM (tls)
  };
  using Handler = std::function<FakeReply(const Received&)>;

  FakeBuyer();
  explicit FakeBuyer(Options options);
  ~FakeBuyer();

  uint16_t port() const;
  // "http://127.0.0.1:PORT" + path (https:// with tls)
  std::string url(std::string_view path) const;
  // Programs the answer for a path (the part of the target before '?'); default: 404.
  void on(const std::string& path, Handler h);
  void on(const std::string& path, FakeReply r) {
    on(path, [r](const Received&) { return r; });
  }

  std::vector<Received> received() const;
  size_t count(std::string_view path) const;
  // Body bytes written by stream_bytes replies so far (how much a client read before giving up).
  size_t streamed_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A blocking HTTP/1.1 call for tests (one connection per call).
struct HttpReply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;  // transport error, empty on success
};
HttpReply http_call(uint16_t port, const std::string& method, const std::string& target,
                    const std::string& body = {},
                    const std::vector<std::pair<std::string, std::string>>& headers = {});

// The directory of the test certificates (tests/certs), from the build configuration.
std::string cert_dir();

}  // namespace pp::testkit
