// pp_loadgen: closed-loop HTTP load driver (loopback only, bounded in time).
//   pp_loadgen --target 127.0.0.1:8080 --path /direct_post --body-file F [--connections 32]
//              [--duration 10] [--threads 1] [--content-type application/json] [--expect TEXT]
// Each connection sends the body, waits for the answer, and repeats until the duration ends.
// "{{seq}}" in the body is replaced by a number unique to each request, so that payloads differ
// (pingpost answers an identical payload within 60 s with the first answer).
// Prints one JSON line: requests, errors, mismatches (answers not containing --expect), rps,
// and latency percentiles in milliseconds.
#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Opts {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string path = "/direct_post";
  std::string body;
  std::string content_type = "application/json";
  std::string expect;
  int connections = 32;
  double duration_s = 10;
  unsigned threads = 1;
};

std::atomic<uint64_t> g_seq{0};

std::string render_body(const std::string& body) {
  size_t p = body.find("{{seq}}");
  if (p == std::string::npos) return body;
  std::string out = body;
  std::string n = std::to_string(g_seq.fetch_add(1, std::memory_order_relaxed));
  while (p != std::string::npos) {
    out.replace(p, 7, n);
    p = out.find("{{seq}}", p + n.size());
  }
  return out;
}

struct Stats {
  std::vector<double> lat_ms;
  uint64_t errors = 0;
  uint64_t mismatches = 0;
};

asio::awaitable<void> client(const Opts& o, Clock::time_point end, Stats& st) {
  auto ex = co_await asio::this_coro::executor;
  auto stream_ptr = std::make_unique<beast::tcp_stream>(ex);
  tcp::endpoint ep(asio::ip::make_address(o.host), o.port);
  bool connected = false;
  beast::flat_buffer buf;
  while (Clock::now() < end) {
    beast::tcp_stream& stream = *stream_ptr;
    if (!connected) {
      stream.expires_after(std::chrono::seconds(5));
      auto [ec] = co_await stream.async_connect(ep, kNoThrow);
      if (ec) {
        ++st.errors;
        stream_ptr = std::make_unique<beast::tcp_stream>(ex);
        continue;
      }
      stream.socket().set_option(tcp::no_delay(true));
      connected = true;
    }
    http::request<http::string_body> req{http::verb::post, o.path, 11};
    req.set(http::field::host, o.host);
    req.set(http::field::content_type, o.content_type);
    req.body() = render_body(o.body);
    req.keep_alive(true);
    req.prepare_payload();
    auto t0 = Clock::now();
    stream.expires_after(std::chrono::seconds(30));
    auto [wec, wn] = co_await http::async_write(stream, req, kNoThrow);
    http::response<http::string_body> res;
    beast::error_code rec;
    if (!wec) {
      auto [e, n] = co_await http::async_read(stream, buf, res, kNoThrow);
      rec = e;
    }
    if (wec || rec) {
      ++st.errors;
      beast::error_code ig;
      stream.socket().close(ig);
      stream_ptr = std::make_unique<beast::tcp_stream>(ex);
      buf.clear();
      connected = false;
      continue;
    }
    st.lat_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (res.result_int() != 200 ||
        (!o.expect.empty() && res.body().find(o.expect) == std::string::npos))
      ++st.mismatches;
    if (!res.keep_alive()) {
      beast::error_code ig;
      stream.socket().close(ig);
      stream_ptr = std::make_unique<beast::tcp_stream>(ex);
      buf.clear();
      connected = false;
    }
  }
}

int main(int argc, char** argv) {
  Opts o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--target") {
      auto c = v.rfind(':');
      o.host = v.substr(0, c);
      o.port = uint16_t(std::stoi(v.substr(c + 1)));
    } else if (a == "--path")
      o.path = v;
    else if (a == "--body")
      o.body = v;
    else if (a == "--body-file") {
      std::ifstream in(v);
      std::stringstream ss;
      ss << in.rdbuf();
      o.body = ss.str();
    } else if (a == "--content-type")
      o.content_type = v;
    else if (a == "--expect")
      o.expect = v;
    else if (a == "--connections")
      o.connections = std::stoi(v);
    else if (a == "--duration")
      o.duration_s = std::min(120.0, std::stod(v));
    else if (a == "--threads")
      o.threads = unsigned(std::stoi(v));
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (o.host != "127.0.0.1" && o.host != "::1" && o.host.rfind("127.", 0) != 0) {
    std::cerr << "pp_loadgen targets loopback addresses only\n";
    return 2;
  }
  auto start = Clock::now();
  auto end = start + std::chrono::milliseconds(int64_t(o.duration_s * 1000));
  std::vector<Stats> stats(o.threads);
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < o.threads; ++t) {
    ts.emplace_back([&, t] {
      asio::io_context ioc(1);
      int share =
          o.connections / int(o.threads) + (int(t) < o.connections % int(o.threads) ? 1 : 0);
      for (int c = 0; c < share; ++c) asio::co_spawn(ioc, client(o, end, stats[t]), asio::detached);
      ioc.run();
    });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  Stats all;
  for (auto& s : stats) {
    all.lat_ms.insert(all.lat_ms.end(), s.lat_ms.begin(), s.lat_ms.end());
    all.errors += s.errors;
    all.mismatches += s.mismatches;
  }
  std::sort(all.lat_ms.begin(), all.lat_ms.end());
  auto pct = [&](double p) {
    if (all.lat_ms.empty()) return 0.0;
    size_t i = std::min(all.lat_ms.size() - 1, size_t(p * double(all.lat_ms.size())));
    return all.lat_ms[i];
  };
  std::printf(
      "{\"requests\":%zu,\"errors\":%llu,\"mismatches\":%llu,\"seconds\":%.2f,\"rps\":%.0f,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
      all.lat_ms.size(), (unsigned long long)all.errors, (unsigned long long)all.mismatches, secs,
      double(all.lat_ms.size()) / secs, pct(0.5), pct(0.99), pct(0.999),
      all.lat_ms.empty() ? 0.0 : all.lat_ms.back());
  return 0;
}
