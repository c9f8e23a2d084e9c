// Limits at the edge (issue 7): request smuggling shapes, slow clients, idle keep-alive,
// connection and per-connection request limits, rate limits per supplier and per API token.
// Raw sockets on 127.0.0.1 against the real server; time bounds only as generous ceilings.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

using namespace std::chrono_literals;

// A blocking client socket with a receive timeout.
class Raw {
 public:
  explicit Raw(uint16_t port, int recv_timeout_s = 10) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{recv_timeout_s, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Raw() { ::close(fd_); }
  bool ok() const { return ok_; }
  int fd() const { return fd_; }
  void send(const std::string& s) { (void)!::send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }
  // Reads until the peer closes or the timeout; `closed` tells which.
  std::string read_all(bool& closed) {
    std::string out;
    char buf[8192];
    closed = false;
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) {
        closed = true;
        break;
      }
      if (n < 0) break;  // timeout (or reset: counted as closed below)
      out.append(buf, size_t(n));
    }
    if (!closed && errno == ECONNRESET) closed = true;
    return out;
  }
  // Reads one response whose body is `Content-Length` long (keep-alive).
  std::string read_response() {
    std::string out;
    char buf[8192];
    for (;;) {
      size_t he = out.find("\r\n\r\n");
      if (he != std::string::npos) {
        size_t cl = out.find("Content-Length: ");
        size_t len = cl == std::string::npos ? 0 : std::stoul(out.substr(cl + 16));
        if (out.size() >= he + 4 + len) return out;
      }
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, size_t(n));
    }
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

class EdgeLimits : public AppFixture {
 protected:
  void start_with(boost::json::object server, const Clock* clock = nullptr) {
    auto cfg = base_config(boost::json::array{});
    server["sandbox"] = true;
    cfg["server"] = std::move(server);
    start(cfg, {}, clock);
  }
  // Leads stored in campaign 100 within a day of `now_ms`.
  size_t stored_leads(int64_t now_ms) {
    auto day = [](int64_t ms) {
      time_t t = time_t(ms / 1000);
      tm u{};
      gmtime_r(&t, &u);
      char buf[16];
      std::strftime(buf, sizeof buf, "%Y-%m-%d", &u);
      return std::string(buf);
    };
    auto r = admin_get("/public/leads?campaign=100&start_date=" + day(now_ms - 86400000) +
                       "&end_date=" + day(now_ms + 86400000));
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_object(r.body)["leads"].as_array().size();
  }
  static int64_t system_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::string lead_request(const std::string& body, bool keep_alive = true) {
    return "POST /direct_post HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n" + (keep_alive ? "" : "Connection: close\r\n") +
           "\r\n" + body;
  }
};

// Every shape that lets two parsers disagree on where a request ends is refused with 400 (413 for
// a chunk over the body limit) and the connection is closed; a well-formed chunked request passes.
TEST_F(EdgeLimits, SmugglingShapesAreRefusedAndTheConnectionClosed) {
  start_with({});
  const std::string body = lead_json();
  const std::string n = std::to_string(body.size());
  char hex[16];
  std::snprintf(hex, sizeof hex, "%zx", body.size());
  const std::string chunked = std::string(hex) + "\r\n" + body + "\r\n0\r\n\r\n";
  const std::string head = "POST /direct_post HTTP/1.1\r\nHost: t\r\n";
  struct Case {
    const char* name;
    std::string bytes;
    int status;
  };
  std::vector<Case> cases = {
      {"CL then TE",
       head + "Content-Length: " + n + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked, 400},
      {"TE then CL",
       head + "Transfer-Encoding: chunked\r\nContent-Length: " + n + "\r\n\r\n" + chunked, 400},
      {"two equal CL",
       head + "Content-Length: " + n + "\r\nContent-Length: " + n + "\r\n\r\n" + body, 400},
      {"two CL", head + "Content-Length: " + n + "\r\nContent-Length: 1\r\n\r\n" + body, 400},
      {"CL list", head + "Content-Length: " + n + ", " + n + "\r\n\r\n" + body, 400},
      {"CL sign", head + "Content-Length: +" + n + "\r\n\r\n" + body, 400},
      {"absurd chunk size",
       head + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n" + body, 400},
      {"chunk over the body limit", head + "Transfer-Encoding: chunked\r\n\r\n7FFFFFFF\r\n" + body,
       413},
      {"TE gzip, chunked", head + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked, 400},
      {"TE chunked, identity", head + "Transfer-Encoding: chunked, identity\r\n\r\n" + chunked,
       400},
      {"TE xchunked", head + "Transfer-Encoding: xchunked\r\n\r\n" + chunked, 400},
      {"two TE",
       head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked, 400},
      {"space before colon", head + "Transfer-Encoding : chunked\r\n\r\n" + chunked, 400},
      {"TE in HTTP/1.0",
       "POST /direct_post HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
       400},
      {"bare LF", "POST /direct_post HTTP/1.1\nHost: t\nContent-Length: " + n + "\n\n" + body, 400},
  };
  for (const auto& c : cases) {
    Raw r(app_->port());
    ASSERT_TRUE(r.ok());
    // A second, well-formed request follows on the same connection: it must never be answered.
    r.send(c.bytes + lead_request(lead_json("Smuggled")));
    bool closed = false;
    std::string out = r.read_all(closed);
    EXPECT_EQ(status_of(out), c.status) << c.name << ": " << out.substr(0, 200);
    EXPECT_TRUE(closed) << c.name;
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << c.name;
    EXPECT_EQ(out.find("HTTP/1.1", 5), std::string::npos) << c.name << ": a second answer";
  }
  // Nothing was stored by any of them.
  EXPECT_EQ(stored_leads(system_now()), 0u);

  Raw ok(app_->port());
  ok.send(head + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked);
  bool closed = false;
  std::string out = ok.read_all(closed);
  EXPECT_EQ(status_of(out), 200) << out.substr(0, 300);
  EXPECT_NE(out.find("\"lead_id\""), std::string::npos);
}

// A client that starts a request and stalls (head or body) gets 408 and is closed; the wait is
// read_timeout_ms, not the idle timeout.
// Expect: 100-continue (issue 16): the interim answer comes before the body is sent — the client
// reads "100 Continue" as its first line without sending anything more (without the feature it
// would read a 408 after read_timeout_ms); then the lead is stored as usual. A body announced over
// the limit is refused at once with 413, before it is sent.
TEST_F(EdgeLimits, ExpectContinueIsAnsweredBeforeTheBody) {
  start_with(boost::json::object{{"body_limit_bytes", 4096}, {"read_timeout_ms", 30000}});
  const std::string body = lead_json();
  Raw c(app_->port(), 20);
  ASSERT_TRUE(c.ok());
  c.send(
      "POST /direct_post HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  char buf[64];
  ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, size_t(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  c.send(body);
  std::string answer = c.read_response();
  EXPECT_EQ(status_of(answer), 200) << answer;
  EXPECT_NE(answer.find("\"lead_id\""), std::string::npos) << answer;  // stored (no buyers here)
  // The same connection, a second request without Expect: no interim answer.
  c.send(lead_request(lead_json("Bo", "NY", 200, "4103097981")));
  EXPECT_EQ(status_of(c.read_response()), 200);

  Raw big(app_->port(), 20);
  big.send(
      "POST /direct_post HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n");
  bool closed = false;
  std::string refused = big.read_all(closed);
  EXPECT_EQ(status_of(refused), 413) << refused;
  EXPECT_TRUE(closed);
}

// The answer's head is written by the server itself (issue 16): status line, Server and Date,
// the content type, Content-Length equal to the body, and Connection: close when it closes.
TEST_F(EdgeLimits, AnswersAreFramedExactly) {
  start_with({});
  Raw c(app_->port(), 20);
  ASSERT_TRUE(c.ok());
  const std::string body = lead_json();
  c.send(lead_request(body));
  const std::string answer = c.read_response();
  ASSERT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
  const size_t end = answer.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  const std::string head = answer.substr(0, end + 2);
  const std::string payload = answer.substr(end + 4);
  EXPECT_NE(head.find("\r\nServer: pingpost\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nDate: "), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nContent-Type: application/json"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nContent-Length: " + std::to_string(payload.size()) + "\r\n"),
            std::string::npos)
      << head;
  EXPECT_EQ(head.find("Connection:"), std::string::npos) << head;  // HTTP/1.1 keeps it open
  // Asking to close: the answer says so and the connection ends after it.
  c.send("GET /public/campaigns HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  bool closed = false;
  const std::string last = c.read_all(closed);
  EXPECT_EQ(status_of(last), 401) << last;
  EXPECT_NE(last.find("\r\nConnection: close\r\n"), std::string::npos) << last;
  EXPECT_TRUE(closed);
}

TEST_F(EdgeLimits, SlowRequestsAnswer408) {
  start_with({{"read_timeout_ms", 300}, {"idle_timeout_ms", 60000}});
  for (const std::string& partial :
       {std::string("POST /direct_post HTTP/1.1\r\nHost: t\r\nContent-"),
        std::string(
            "POST /direct_post HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"a\":")}) {
    Raw r(app_->port());
    auto t0 = std::chrono::steady_clock::now();
    r.send(partial);
    bool closed = false;
    std::string out = r.read_all(closed);
    EXPECT_EQ(status_of(out), 408) << out;
    EXPECT_TRUE(closed);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);  // the 10 s read timeout never hit
  }
}

// A kept-alive connection that stays silent is closed after idle_timeout_ms, without an answer.
TEST_F(EdgeLimits, IdleKeepAliveIsClosedSilently) {
  start_with({{"idle_timeout_ms", 300}});
  Raw r(app_->port());
  r.send(lead_request(lead_json()));
  std::string first = r.read_response();
  EXPECT_EQ(status_of(first), 200);
  bool closed = false;
  std::string rest = r.read_all(closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(rest, "");
}

// Over max_connections a new connection gets 503 with Retry-After, and is closed; once one closes
// there is room again.
TEST_F(EdgeLimits, MaxConnectionsShedsWith503) {
  start_with({{"max_connections", 2}});
  auto a = std::make_unique<Raw>(app_->port());
  Raw b(app_->port());
  // Both are certainly accepted and counted once they have been answered.
  a->send(lead_request(lead_json("A")));
  b.send(lead_request(lead_json("B")));
  EXPECT_EQ(status_of(a->read_response()), 200);
  EXPECT_EQ(status_of(b.read_response()), 200);
  {
    Raw c(app_->port());
    c.send(lead_request(lead_json("C")));
    bool closed = false;
    std::string out = c.read_all(closed);
    EXPECT_EQ(status_of(out), 503) << out;
    EXPECT_NE(out.find("Retry-After: 1"), std::string::npos);
    EXPECT_TRUE(closed);
  }
  a.reset();  // one leaves: the server notices the close and uncounts it
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    Raw d(app_->port());
    d.send(lead_request(lead_json("D" + std::to_string(i)), false));
    bool closed = false;
    status = status_of(d.read_all(closed));
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);
}

// After max_requests_per_connection answers, the last one says Connection: close and the server
// closes the connection.
TEST_F(EdgeLimits, RequestsPerConnectionAreBounded) {
  start_with({{"max_requests_per_connection", 3}});
  Raw r(app_->port());
  for (int i = 0; i < 3; ++i) {
    r.send(lead_request(lead_json("N" + std::to_string(i))));
    std::string out = r.read_response();
    EXPECT_EQ(status_of(out), 200) << i;
    EXPECT_EQ(out.find("Connection: close") != std::string::npos, i == 2) << i;
  }
  bool closed = false;
  r.read_all(closed);
  EXPECT_TRUE(closed);
}

// Per supplier: a token bucket of supplier_per_s with supplier_burst; over it, 429 with
// Retry-After and code 1017, nothing stored; other suppliers and wrong keys do not touch it.
TEST_F(EdgeLimits, SupplierRateLimit) {
  ManualClock clock(1'800'000'000'000);
  start_with({{"rate_limits", {{"supplier_per_s", 1}, {"supplier_burst", 2}}}}, &clock);
  auto post = [&](const std::string& name, int supplier = 200) {
    return post_lead(
        lead_json(name, "NY", supplier, "(410) 309-" + std::to_string(7000 + name.size())));
  };
  // Wrong keys are refused before the limiter: they cannot spend the supplier's budget.
  for (int i = 0; i < 5; ++i) {
    auto bad = post_lead(
        R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"wrong","first_name":"X"})");
    EXPECT_EQ(parse_object(bad.body)["code"].as_int64(), 1003);
  }
  EXPECT_EQ(post("a").status, 200);
  EXPECT_EQ(post("bb").status, 200);
  auto limited = post("ccc");
  EXPECT_EQ(limited.status, 429);
  auto body = parse_object(limited.body);
  EXPECT_EQ(body["code"].as_int64(), 1017);
  EXPECT_TRUE(body["lead_id"].is_null());
  bool retry = false;
  for (const auto& [k, v] : limited.headers) retry = retry || (k == "Retry-After" && v == "1");
  EXPECT_TRUE(retry);
  EXPECT_EQ(post("dddd", 201).status, 200);  // another supplier has its own bucket
  clock.advance_ms(1000);                    // one token back
  EXPECT_EQ(post("eeeee").status, 200);
  EXPECT_EQ(post("ffffff").status, 429);
  clock.advance_ms(10000);  // and the search below is not rate limited: tokens are separate
  EXPECT_EQ(stored_leads(clock.now_ms()), 4u);  // a, bb, dddd, eeeee
  app_.reset();  // before the local clock goes: the app reads it until it stops
}

// Per API token on /public and /metrics: 429 with Retry-After; another token is unaffected.
TEST_F(EdgeLimits, TokenRateLimit) {
  ManualClock clock(1'800'000'000'000);
  start_with({{"rate_limits", {{"token_per_s", 2}, {"token_burst", 2}}}}, &clock);
  EXPECT_EQ(admin_get("/public/campaigns").status, 200);
  EXPECT_EQ(admin_get("/metrics").status, 200);
  auto limited = admin_get("/public/campaigns");
  EXPECT_EQ(limited.status, 429);
  bool retry = false;
  for (const auto& [k, v] : limited.headers) retry = retry || (k == "Retry-After" && v == "1");
  EXPECT_TRUE(retry);
  EXPECT_EQ(admin_get("/public/campaigns", "test-read-token").status, 200);
  EXPECT_EQ(admin_get("/public/campaigns", "not-a-token").status, 401);  // auth before limit
  clock.advance_ms(500);
  EXPECT_EQ(admin_get("/public/campaigns").status, 200);
  app_.reset();  // before the local clock goes: the app reads it until it stops
}

}  // namespace
}  // namespace pp::testkit
