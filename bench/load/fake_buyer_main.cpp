// pp_fakebuyer: a fake buyer process for load tests (loopback only).
//   pp_fakebuyer --listen 127.0.0.1:9001 [--ports 1] [--threads 1]
//                [--latency fixed:MS | uniform:MIN:MAX | exp:MEAN[:MAX]] [--latency-ms MS]
//                [--bid-rate 1.0] [--accept-rate 1.0] [--price 10] [--price-max P]
//                [--body TEXT] [--silent 0] [--status 200]
// --ports N listens on N consecutive ports (N buyers in one process); port 0 (one port) lets the
// system choose. Prints "listening on HOST:PORT" per port. --silent 1 reads requests and never
// answers (a buyer that hangs). --status N answers every request with status N (a webhook receiver
// that fails with 500, says 410 Gone, or redirects with 302 and a Location).
// A request whose target contains "ping" is a ping: it bids with probability --bid-rate,
// {"status":"accepted","bid":"P","price":"P"}, else {"status":"rejected"}. Any other request is a
// post: accepted with probability --accept-rate,
// {"status":"accepted","price":"P","lead_id":"fb-N"}. P is --price, or uniform in [--price,
// --price-max] with cents when --price-max is given. The answer is sent after a delay drawn from
// --latency (exp is capped at MAX, default 20 x MEAN).
// --body answers a fixed text instead (the "limit" reference server).
#include <algorithm>
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
#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

struct Latency {
  enum Kind { kFixed, kUniform, kExp } kind = kFixed;
  double a = 0, b = 0;  // fixed: a; uniform: [a, b]; exp: mean a, cap b

  static bool parse(const std::string& s, Latency& out) {
    auto part = [&](size_t i) -> double {
      size_t p = 0;
      for (size_t k = 0; k < i; ++k) p = s.find(':', p) + 1;
      return std::stod(s.substr(p));
    };
    try {
      if (s.rfind("fixed:", 0) == 0)
        out = {kFixed, part(1), 0};
      else if (s.rfind("uniform:", 0) == 0)
        out = {kUniform, part(1), part(2)};
      else if (s.rfind("exp:", 0) == 0) {
        double mean = part(1);
        out = {kExp, mean, std::count(s.begin(), s.end(), ':') > 1 ? part(2) : 20 * mean};
      } else
        return false;
    } catch (...) {
      return false;
    }
    return true;
  }
  std::chrono::microseconds draw(std::mt19937_64& rng) const {
    double ms = a;
    if (kind == kUniform) ms = std::uniform_real_distribution<double>(a, b)(rng);
    if (kind == kExp) ms = std::min(b, std::exponential_distribution<double>(1.0 / a)(rng));
    return std::chrono::microseconds(int64_t(ms * 1000));
  }
};

struct Opts {
  std::string host = "127.0.0.1";
  uint16_t port = 9001;
  unsigned threads = 1;
  Latency latency;
  double bid_rate = 1.0;
  double accept_rate = 1.0;
  double price = 10, price_max = 0;
  std::string body;
  unsigned ports = 1;
  bool silent = false;
  unsigned status = 200;
};

std::atomic<uint64_t> g_seq{0};

std::string price_text(const Opts& o, std::mt19937_64& rng) {
  double p = o.price;
  if (o.price_max > o.price) p = std::uniform_real_distribution<double>(o.price, o.price_max)(rng);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", std::floor(p * 100) / 100);
  return buf;
}

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
    auto delay = o.latency.draw(rng);
    if (delay.count() > 0) {
      asio::steady_timer t(stream.get_executor());
      t.expires_after(delay);
      co_await t.async_wait(kNoThrow);
    }
    http::response<http::string_body> res{http::int_to_status(o.status), 11};
    if (o.status >= 300 && o.status < 400) res.set(http::field::location, "/elsewhere");
    res.set(http::field::content_type, o.body.empty() ? "application/json" : "text/plain");
    if (!o.body.empty()) {
      res.body() = o.body;
    } else if (req.target().find("ping") != beast::string_view::npos) {
      if (coin(rng) < o.bid_rate) {
        std::string p = price_text(o, rng);
        res.body() = R"({"status":"accepted","bid":")" + p + R"(","price":")" + p + "\"}";
      } else {
        res.body() = R"({"status":"rejected"})";
      }
    } else if (coin(rng) < o.accept_rate) {
      res.body() = R"({"status":"accepted","price":")" + price_text(o, rng) +
                   R"(","lead_id":"fb-)" + std::to_string(g_seq.fetch_add(1)) + "\"}";
    } else {
      res.body() = R"({"status":"rejected","reason":"not interested"})";
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
      o.latency = {Latency::kFixed, std::stod(v), 0};
    else if (a == "--latency") {
      if (!Latency::parse(v, o.latency)) {
        std::cerr << "bad --latency " << v << " (fixed:MS | uniform:MIN:MAX | exp:MEAN[:MAX])\n";
        return 2;
      }
    } else if (a == "--bid-rate")
      o.bid_rate = std::stod(v);
    else if (a == "--accept-rate")
      o.accept_rate = std::stod(v);
    else if (a == "--price")
      o.price = std::stod(v);
    else if (a == "--price-max")
      o.price_max = std::stod(v);
    else if (a == "--body")
      o.body = v;
    else if (a == "--ports")
      o.ports = unsigned(std::stoi(v));
    else if (a == "--silent")
      o.silent = v == "1";
    else if (a == "--status")
      o.status = unsigned(std::stoul(v));
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (o.host != "127.0.0.1" && o.host.rfind("127.", 0) != 0 && o.host != "::1") {
    std::cerr << "pp_fakebuyer listens on loopback addresses only\n";
    return 2;
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
      acc->listen(1024);
      if (i == 0) std::printf("listening on %s:%u\n", o.host.c_str(), acc->local_endpoint().port());
      asio::co_spawn(*ctxs.back(), accept_loop(*acc, o), asio::detached);
      accs.push_back(std::move(acc));
    }
  }
  std::fflush(stdout);
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
