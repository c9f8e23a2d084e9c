// pp_fakebuyer: a fake buyer process for load tests (loopback only).
//   pp_fakebuyer --listen 127.0.0.1:9001 [--ports 1] [--threads 1] [--latency-ms 0]
//                [--accept-rate 1.0] [--price 10] [--body TEXT] [--silent 0]
// --ports N listens on N consecutive ports (N buyers in one process); --silent 1 reads requests
// and never answers (a buyer that hangs).
// Answers every request with
// {"status":"accepted"|"rejected","price":"P","bid":"P","lead_id":"fb-N"} after the given latency.
// --body answers a fixed text instead (the "limit" reference server).
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include "core/text.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

struct Opts {
  std::string host = "127.0.0.1";
  uint16_t port = 9001;
  unsigned threads = 1;
  int latency_ms = 0;
  double accept_rate = 1.0;
  std::string price = "10";
  std::string body;
  unsigned ports = 1;
  bool silent = false;
};

std::atomic<uint64_t> g_seq{0};

asio::awaitable<void> session(tcp::socket sock, const Opts& o) {
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buf;
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> coin(0, 1);
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buf, req, kNoThrow);
    if (ec) break;
    if (o.silent) {
      asio::steady_timer t(stream.get_executor());
      t.expires_after(std::chrono::hours(1));
      co_await t.async_wait(kNoThrow);
      break;
    }
    if (o.latency_ms > 0) {
      asio::steady_timer t(stream.get_executor());
      t.expires_after(std::chrono::milliseconds(o.latency_ms));
      co_await t.async_wait(kNoThrow);
    }
    http::response<http::string_body> res{http::status::ok, 11};
    res.set(http::field::content_type, o.body.empty() ? "application/json" : "text/plain");
    if (!o.body.empty()) {
      res.body() = o.body;
    } else {
      bool ok = coin(rng) < o.accept_rate;
      res.body() = std::string(R"({"status":")") + (ok ? "accepted" : "rejected") +
                   R"(","price":")" + o.price + R"(","bid":")" + o.price + R"(","lead_id":"fb-)" +
                   std::to_string(g_seq.fetch_add(1)) + "\"}";
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, kNoThrow);
    if (wec || !res.keep_alive()) break;
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acc, const Opts& o) {
  for (;;) {
    auto [ec, sock] = co_await acc.async_accept(kNoThrow);
    if (ec) co_return;
    sock.set_option(tcp::no_delay(true));
    asio::co_spawn(acc.get_executor(), session(std::move(sock), o), asio::detached);
  }
}

int main(int argc, char** argv) {
  Opts o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--listen") {
      auto c = v.rfind(':');
      o.host = v.substr(0, c);
      o.port = uint16_t(std::stoi(v.substr(c + 1)));
    } else if (a == "--threads")
      o.threads = unsigned(std::stoi(v));
    else if (a == "--latency-ms")
      o.latency_ms = std::stoi(v);
    else if (a == "--accept-rate")
      o.accept_rate = std::stod(v);
    else if (a == "--price")
      o.price = v;
    else if (a == "--body")
      o.body = v;
    else if (a == "--ports")
      o.ports = unsigned(std::stoi(v));
    else if (a == "--silent")
      o.silent = v == "1";
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  std::vector<std::unique_ptr<asio::io_context>> ctxs;
  std::vector<std::unique_ptr<tcp::acceptor>> accs;
  for (unsigned i = 0; i < o.threads; ++i) {
    ctxs.push_back(std::make_unique<asio::io_context>(1));
    for (unsigned p = 0; p < o.ports; ++p) {
      auto acc = std::make_unique<tcp::acceptor>(*ctxs.back());
      tcp::endpoint ep(asio::ip::make_address(o.host), uint16_t(o.port + p));
      acc->open(ep.protocol());
      acc->set_option(asio::socket_base::reuse_address(true));
      acc->set_option(reuse_port(true));
      acc->bind(ep);
      acc->listen();
      asio::co_spawn(*ctxs.back(), accept_loop(*acc, o), asio::detached);
      accs.push_back(std::move(acc));
    }
  }
  asio::signal_set sigs(*ctxs[0], SIGINT, SIGTERM);
  sigs.async_wait([&](auto, int) {
    for (auto& c : ctxs) c->stop();
  });
  std::vector<std::thread> ts;
  for (unsigned i = 1; i < o.threads; ++i) ts.emplace_back([&, i] { ctxs[i]->run(); });
  ctxs[0]->run();
  for (auto& c : ctxs) c->stop();
  for (auto& t : ts) t.join();
  return 0;
}
