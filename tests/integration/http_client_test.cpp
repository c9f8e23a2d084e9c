// The outbound client against fake buyers over real sockets.
#include "buyers/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "fake_buyer.h"

namespace pp::testkit {
namespace {

namespace asio = boost::asio;
using buyers::HttpClient;
using buyers::HttpResult;
using buyers::OutboundRequest;
using buyers::TransportError;
using std::chrono::milliseconds;

class ClientTest : public ::testing::Test {
 protected:
  HttpResult send(OutboundRequest r) {
    auto fut = asio::co_spawn(ioc_, client_.send(std::move(r)), asio::use_future);
    ioc_.restart();
    ioc_.run();
    return fut.get();
  }
  static OutboundRequest req(const std::string& url, int timeout_ms = 2000) {
    OutboundRequest r;
    r.url = url;
    r.body = R"({"a":1})";
    r.headers = {{"Content-Type", "application/json"}};
    r.timeout = milliseconds(timeout_ms);
    return r;
  }

  asio::io_context ioc_;
  // The fake buyers live on 127.0.0.1.
  buyers::ClientOptions opts_{.ca_file = cert_dir() + "/ca.pem", .allow_private_networks = true};
  HttpClient client_{ioc_.get_executor(), opts_};
};

TEST_F(ClientTest, ReusesKeepAliveConnections) {
  FakeBuyer b;
  b.on("/p", FakeReply::json("{}"));
  HttpResult first = send(req(b.url("/p")));
  ASSERT_TRUE(first.ok()) << first.error_message;
  EXPECT_EQ(first.status, 200);
  EXPECT_FALSE(first.reused_connection);
  EXPECT_EQ(client_.idle_connections(), 1u);
  HttpResult second = send(req(b.url("/p")));
  EXPECT_TRUE(second.ok());
  EXPECT_TRUE(second.reused_connection);
  EXPECT_EQ(b.count("/p"), 2u);
  EXPECT_EQ(b.received()[0].body, R"({"a":1})");
  EXPECT_EQ(b.received()[0].header("Host"), "127.0.0.1:" + std::to_string(b.port()));
}

TEST_F(ClientTest, TheRequestHeadIsWrittenWholeAndCannotBeSplit) {
  FakeBuyer b;
  b.on("/p", FakeReply::json("{}"));
  OutboundRequest r = req(b.url("/p?x=1"));
  r.method = "put";
  r.headers = {{"Content-Type", "text/plain"},
               {"X-Note", "a\r\nX-Injected: 1"},       // a value cannot add a header
               {"Content-Length", "999"},              // ours wins
               {"Connection", "close"},                // ours: the pool keeps the connection
               {"content-type", "application/json"}};  // the later of one name wins
  HttpResult res = send(std::move(r));
  ASSERT_TRUE(res.ok()) << res.error_message;
  const std::vector<Received> all = b.received();  // a copy: received() returns by value
  ASSERT_EQ(all.size(), 1u);
  const Received& got = all[0];
  EXPECT_EQ(got.method, "PUT");
  EXPECT_EQ(got.target, "/p?x=1");
  EXPECT_EQ(got.body, R"({"a":1})");
  EXPECT_EQ(got.header("Content-Type"), "application/json");
  EXPECT_EQ(got.header("X-Note"), "aX-Injected: 1");
  EXPECT_EQ(got.header("X-Injected"), "");
  EXPECT_EQ(got.header("Content-Length"), "7");
  EXPECT_EQ(got.header("Host"), "127.0.0.1:" + std::to_string(b.port()));
  EXPECT_EQ(client_.idle_connections(), 1u);

  OutboundRequest g = req(b.url("/g"));
  g.method = "GET";
  g.body.clear();
  g.headers = {{"Host", "buyer.example"}};  // a configured Host replaces ours
  send(std::move(g));
  ASSERT_EQ(b.received().size(), 2u);
  EXPECT_EQ(b.received()[1].method, "GET");
  EXPECT_EQ(b.received()[1].header("Host"), "buyer.example");
  EXPECT_EQ(b.received()[1].header("Content-Length"), "");

  OutboundRequest odd = req(b.url("/p"));
  odd.method = "BREW";  // not a method we send: POST
  send(std::move(odd));
  ASSERT_EQ(b.received().size(), 3u);
  EXPECT_EQ(b.received()[2].method, "POST");
}

TEST_F(ClientTest, RetriesOnceWhenAPooledConnectionWasClosedByThePeer) {
  FakeBuyer b;
  // The first answer asks to keep the connection, then the buyer closes it right after: the next
  // request finds a dead pooled connection and must go through on a fresh one, exactly once.
  int n = 0;
  b.on("/p", [&n](const Received&) {
    ++n;
    return FakeReply::json("{}");
  });
  b.on("/close", [](const Received&) {
    FakeReply r;
    r.close = true;
    return r;
  });
  ASSERT_TRUE(send(req(b.url("/p"))).ok());
  ASSERT_EQ(client_.idle_connections(), 1u);
  // On the pooled connection, "closed before any answer byte" looks exactly like a stale
  // keep-alive connection: retried once, on a fresh connection, then reported.
  HttpResult closed = send(req(b.url("/close")));
  EXPECT_EQ(closed.error, TransportError::kClosed);
  EXPECT_EQ(b.count("/close"), 2u);
  EXPECT_EQ(client_.idle_connections(), 0u);
  // On a fresh connection it is never retried.
  EXPECT_EQ(send(req(b.url("/close"))).error, TransportError::kClosed);
  EXPECT_EQ(b.count("/close"), 3u);
  HttpResult r = send(req(b.url("/p")));
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.reused_connection);
  EXPECT_EQ(n, 2);
}

TEST_F(ClientTest, ConnectionRefusedAndBadUrls) {
  uint16_t dead_port;
  {
    FakeBuyer gone;
    dead_port = gone.port();
  }
  HttpResult r = send(req("http://127.0.0.1:" + std::to_string(dead_port) + "/p"));
  EXPECT_EQ(r.error, TransportError::kConnectFailed);
  EXPECT_EQ(send(req("ftp://x/y")).error, TransportError::kBadUrl);
  EXPECT_EQ(send(req("http://")).error, TransportError::kBadUrl);
  EXPECT_EQ(send(req("http://user@host/")).error, TransportError::kBadUrl);
  EXPECT_EQ(send(req("http://127.0.0.1:99999/")).error, TransportError::kBadUrl);
}

TEST_F(ClientTest, TimeoutSizeCapRawGarbageAndNoRedirects) {
  FakeBuyer b;
  FakeReply slow = FakeReply::json("{}");
  slow.delay = milliseconds(3000);
  b.on("/slow", slow);
  FakeReply big;
  big.body_bytes = 100000;
  b.on("/big", big);
  FakeReply raw;
  raw.raw = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
  b.on("/raw", raw);
  b.on("/redirect", [](const Received&) {
    FakeReply r{302, "", "text/plain"};
    return r;
  });

  auto t0 = std::chrono::steady_clock::now();
  HttpResult s = send(req(b.url("/slow"), 150));
  EXPECT_EQ(s.error, TransportError::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2500));

  OutboundRequest capped = req(b.url("/big"));
  capped.max_response_bytes = 1000;
  EXPECT_EQ(send(capped).error, TransportError::kTooLarge);
  capped.max_response_bytes = 200000;
  EXPECT_EQ(send(capped).body.size(), 100000u);

  EXPECT_EQ(send(req(b.url("/raw"))).error, TransportError::kProtocol);
  HttpResult red = send(req(b.url("/redirect")));
  EXPECT_TRUE(red.ok());
  EXPECT_EQ(red.status, 302);  // returned as is, never followed
  EXPECT_EQ(b.count("/redirect"), 1u);
}

// With private networks off (the production default), the client checks every resolved address
// before connecting: a literal loopback address and a name that resolves to one ("localhost",
// through /etc/hosts) are refused, and the buyer never sees a byte.
TEST_F(ClientTest, PrivateNetworksAreRefusedAtConnectTime) {
  FakeBuyer b;
  b.on("/p", FakeReply::json("{}"));
  buyers::ClientOptions strict{.ca_file = cert_dir() + "/ca.pem"};
  HttpClient guarded(ioc_.get_executor(), strict);
  auto call = [&](const std::string& url) {
    auto fut = asio::co_spawn(ioc_, guarded.send(req(url)), asio::use_future);
    ioc_.restart();
    ioc_.run();
    return fut.get();
  };
  const std::string port = std::to_string(b.port());
  for (const std::string& url :
       {"http://127.0.0.1:" + port + "/p", "http://localhost:" + port + "/p",
        "http://[::ffff:127.0.0.1]:" + port + "/p"}) {
    HttpResult r = call(url);
    EXPECT_EQ(r.error, TransportError::kBlockedAddress) << url << ": " << r.error_message;
    EXPECT_NE(r.error_message.find("loopback"), std::string::npos) << r.error_message;
  }
  EXPECT_EQ(b.count("/p"), 0u);
  // The same buyer, allowed: reached.
  EXPECT_TRUE(send(req(b.url("/p"))).ok());
  EXPECT_EQ(b.count("/p"), 1u);
}

// Hostile buyers (issue 7): each costs at most its deadline or its size cap, and comes back as a
// transport error the engine records (and counts against the buyer's circuit breaker).
TEST_F(ClientTest, HostileBuyersCostAtMostTheirDeadlineOrSizeCap) {
  FakeBuyer b;
  const std::string answer = R"({"status":"accepted"})";
  FakeReply trickle;  // a whole valid answer, one byte every 50 ms: 2.5 s in all
  trickle.raw =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer.size()) + "\r\n\r\n" + answer;
  trickle.trickle = milliseconds(50);
  b.on("/trickle", trickle);
  FakeReply stall;  // headers, then nothing
  stall.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{";
  stall.hold = true;
  b.on("/stall", stall);
  FakeReply huge;  // 100 MB announced and streamed
  huge.stream_bytes = 100u << 20;
  b.on("/huge", huge);
  FakeReply reset;
  reset.reset = true;
  b.on("/reset", reset);
  FakeReply to_metadata;
  to_metadata.raw =
      "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\n"
      "Content-Length: 0\r\n\r\n";
  b.on("/redirect", to_metadata);
  FakeReply html{502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"};
  b.on("/html", html);

  auto timed = [&](const std::string& path, int timeout_ms, size_t cap = 262144) {
    OutboundRequest r = req(b.url(path), timeout_ms);
    r.max_response_bytes = uint32_t(cap);
    auto t0 = std::chrono::steady_clock::now();
    HttpResult res = send(std::move(r));
    return std::pair{res, std::chrono::steady_clock::now() - t0};
  };
  auto [t, t_ms] = timed("/trickle", 400);
  EXPECT_EQ(t.error, TransportError::kTimeout);
  EXPECT_LT(t_ms, milliseconds(2000));  // the deadline, not the 2.5 s the buyer wanted
  auto [s, s_ms] = timed("/stall", 300);
  EXPECT_EQ(s.error, TransportError::kTimeout);
  EXPECT_LT(s_ms, milliseconds(2000));
  auto [h, h_ms] = timed("/huge", 10000, 256 * 1024);
  EXPECT_EQ(h.error, TransportError::kTooLarge);
  EXPECT_LT(h_ms, milliseconds(5000));
  EXPECT_LT(b.streamed_bytes(), size_t(16) << 20);  // stopped reading near the cap, not at 100 MB
  auto [r, r_ms] = timed("/reset", 2000);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.error == TransportError::kClosed || r.error == TransportError::kProtocol)
      << int(r.error) << " " << r.error_message;
  auto [red, red_ms] = timed("/redirect", 2000);
  EXPECT_TRUE(red.ok());
  EXPECT_EQ(red.status, 302);  // handed back as is: a non-2xx answer, never followed
  auto [x, x_ms] = timed("/html", 2000);
  EXPECT_TRUE(x.ok());
  EXPECT_EQ(x.status, 502);
  EXPECT_EQ(b.count("/redirect"), 1u);
}

TEST_F(ClientTest, AbsoluteDeadlineBoundsTheCall) {
  FakeBuyer b;
  FakeReply slow = FakeReply::json("{}");
  slow.delay = milliseconds(3000);
  b.on("/slow", slow);
  OutboundRequest r = req(b.url("/slow"), 10000);
  r.deadline = std::chrono::steady_clock::now() + milliseconds(150);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(send(r).error, TransportError::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2500));
}

TEST_F(ClientTest, HttpsVerifiesChainAndName) {
  FakeBuyer good(FakeBuyer::Options{true, cert_dir() + "/server.pem", cert_dir() + "/server.key"});
  good.on("/p", FakeReply::json("{}"));
  HttpResult ok = send(req(good.url("/p")));
  ASSERT_TRUE(ok.ok()) << ok.error_message;
  EXPECT_EQ(ok.status, 200);
  // Same certificate, reached under a name it does not carry.
  HttpResult wrong_name =
      send(req("https://localhost.localdomain:" + std::to_string(good.port()) + "/p"));
  EXPECT_NE(wrong_name.error, TransportError::kNone);
  FakeBuyer bad(
      FakeBuyer::Options{true, cert_dir() + "/untrusted.pem", cert_dir() + "/untrusted.key"});
  bad.on("/p", FakeReply::json("{}"));
  EXPECT_EQ(send(req(bad.url("/p"))).error, TransportError::kTlsFailed);
  EXPECT_EQ(bad.count("/p"), 0u);
}

}  // namespace
}  // namespace pp::testkit
