// pp_loadgen: HTTP load driver for the benchmarks (loopback only, bounded in time).
//   pp_loadgen --target 127.0.0.1:8080 --path /direct_post --body-file F [--connections 32]
//              [--duration 10] [--threads 1] [--content-type application/json] [--expect TEXT]
//              [--rate R] [--ping-path /ping --ping-body-file F] [--pid P[,P2]]
// Closed loop (default): each connection sends, waits for the answer and sends again: the
//   maximum throughput.
// Open loop (--rate R): requests are due at a fixed total rate R/s, spread over the connections
//   (each connection's k-th request is due at start + (c + k * connections) / R). Latency is taken
//   from the moment a request was due, not from when it could be sent, so a stalled server shows up
//   in the percentiles (no coordinated omission). "late" counts requests sent > 1 ms after due.
// Two-step (--ping-path): each lead is a supplier ping (--ping-body-file) and, when the answer has
//   a "ping_id", a post of --body-file with "{{ping_id}}" replaced by it. The latency is the whole
//   ping + post; ping_p50/ping_p99 are the ping alone; no_bid counts pings without a ping_id.
// "{{seq}}" in a body is replaced by a number unique to each lead, across runs too: it starts from
// the clock in microseconds (pingpost answers an identical payload within 60 s with its first
// answer, so a repeated body would measure the answer cache).
// --pid: CPU time of those processes during the run (cpu_us per completed lead) and their
// resident size, sampled every 100 ms (rss_max_mb).
// Prints one JSON line.
#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>
#include <unistd.h>
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
  std::string ping_path;
  std::string ping_body;
  std::string content_type = "application/json";
  std::string expect;
  int connections = 32;
  double duration_s = 10;
  double rate = 0;  // 0 = closed loop
  unsigned threads = 1;
  std::vector<int> pids;
};

std::atomic<uint64_t> g_seq{uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count())};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

struct Stats {
  std::vector<double> lat_ms, ping_ms;
  uint64_t errors = 0, mismatches = 0, no_bid = 0, late = 0;
};

// One keep-alive connection that reconnects after an error.
class Conn {
 public:
  Conn(asio::any_io_executor ex, const Opts& o) : ex_(ex), o_(o) {}

  // Sends one request; false on a transport error (counted by the caller).
  asio::awaitable<bool> exchange(const std::string& target, std::string body,
                                 http::response<http::string_body>& res) {
    if (!stream_) {
      stream_ = std::make_unique<beast::tcp_stream>(ex_);
      buf_.clear();
      stream_->expires_after(std::chrono::seconds(5));
      auto [ec] = co_await stream_->async_connect(
          tcp::endpoint(asio::ip::make_address(o_.host), o_.port), kNoThrow);
      if (ec) {
        stream_.reset();
        co_return false;
      }
      stream_->socket().set_option(tcp::no_delay(true));
    }
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, o_.host);
    req.set(http::field::content_type, o_.content_type);
    req.body() = std::move(body);
    req.keep_alive(true);
    req.prepare_payload();
    stream_->expires_after(std::chrono::seconds(30));
    auto [wec, wn] = co_await http::async_write(*stream_, req, kNoThrow);
    beast::error_code rec;
    if (!wec) {
      auto [e, n] = co_await http::async_read(*stream_, buf_, res, kNoThrow);
      rec = e;
    }
    if (wec || rec || !res.keep_alive()) {
      beast::error_code ig;
      stream_->socket().close(ig);
      stream_.reset();
    }
    co_return !wec && !rec;
  }

 private:
  asio::any_io_executor ex_;
  const Opts& o_;
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buf_;
};

std::string json_string_value(const std::string& body, const std::string& key) {
  std::string pat = "\"" + key + "\":\"";
  size_t p = body.find(pat);
  if (p == std::string::npos) return {};
  p += pat.size();
  size_t e = body.find('"', p);
  return e == std::string::npos ? std::string() : body.substr(p, e - p);
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

asio::awaitable<void> client(const Opts& o, int index, Clock::time_point start,
                             Clock::time_point end, Stats& st) {
  auto ex = co_await asio::this_coro::executor;
  Conn conn(ex, o);
  asio::steady_timer timer(ex);
  const bool open = o.rate > 0;
  const auto step = std::chrono::duration<double>(double(o.connections) / std::max(o.rate, 1e-9));
  const auto first = std::chrono::duration<double>(double(index) / std::max(o.rate, 1e-9));
  for (uint64_t k = 0;; ++k) {
    auto due = open ? start + std::chrono::duration_cast<Clock::duration>(first + double(k) * step)
                    : Clock::now();
    if (due >= end) break;
    if (open && due > Clock::now()) {
      timer.expires_at(due);
      co_await timer.async_wait(kNoThrow);
    }
    if (open && Clock::now() - due > std::chrono::milliseconds(1)) ++st.late;
    std::string seq = std::to_string(g_seq.fetch_add(1, std::memory_order_relaxed));
    http::response<http::string_body> res;
    std::string post_body = replace_all(o.body, "{{seq}}", seq);
    if (!o.ping_path.empty()) {
      if (!co_await conn.exchange(o.ping_path, replace_all(o.ping_body, "{{seq}}", seq), res)) {
        ++st.errors;
        continue;
      }
      st.ping_ms.push_back(ms_between(due, Clock::now()));
      std::string ping_id = json_string_value(res.body(), "ping_id");
      if (res.result_int() != 200 || ping_id.empty()) {
        ++st.no_bid;
        continue;
      }
      post_body = replace_all(post_body, "{{ping_id}}", ping_id);
      res = {};
    }
    if (!co_await conn.exchange(o.path, std::move(post_body), res)) {
      ++st.errors;
      continue;
    }
    st.lat_ms.push_back(ms_between(due, Clock::now()));
    if (res.result_int() != 200 ||
        (!o.expect.empty() && res.body().find(o.expect) == std::string::npos)) {
      if (st.mismatches++ == 0)  // the first unexpected answer, to see why
        std::cerr << "unexpected answer " << res.result_int() << ": "
                  << res.body().substr(0, 300) << "\n";
    }
  }
}

// CPU ticks (user + system) and resident KiB of a process; {-1, -1} when it is gone.
std::pair<long, long> proc_usage(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(f, s);
  auto rp = s.rfind(')');
  if (rp == std::string::npos) return {-1, -1};
  std::istringstream in(s.substr(rp + 2));
  std::string tok;
  long utime = 0, stime = 0, rss_pages = 0;
  for (int field = 3; in >> tok; ++field) {
    if (field == 14) utime = std::stol(tok);
    if (field == 15) stime = std::stol(tok);
    if (field == 24) {
      rss_pages = std::stol(tok);
      break;
    }
  }
  return {utime + stime, rss_pages * (sysconf(_SC_PAGESIZE) / 1024)};
}

double percentile(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(2);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
    else if (a == "--body-file")
      o.body = read_file(v);
    else if (a == "--ping-path")
      o.ping_path = v;
    else if (a == "--ping-body-file")
      o.ping_body = read_file(v);
    else if (a == "--content-type")
      o.content_type = v;
    else if (a == "--expect")
      o.expect = v;
    else if (a == "--connections")
      o.connections = std::max(1, std::stoi(v));
    else if (a == "--duration")
      o.duration_s = std::min(120.0, std::stod(v));
    else if (a == "--rate")
      o.rate = std::stod(v);
    else if (a == "--threads")
      o.threads = unsigned(std::max(1, std::stoi(v)));
    else if (a == "--pid") {
      std::stringstream ss(v);
      for (std::string p; std::getline(ss, p, ',');) o.pids.push_back(std::stoi(p));
    } else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (o.host != "127.0.0.1" && o.host != "::1" && o.host.rfind("127.", 0) != 0) {
    std::cerr << "pp_loadgen targets loopback addresses only\n";
    return 2;
  }
  auto cpu_now = [&] {
    long t = 0;
    for (int p : o.pids) t += std::max(0L, proc_usage(p).first);
    return t;
  };
  std::atomic<bool> sampling{true};
  std::atomic<long> rss_max_kb{0};
  std::thread sampler([&] {
    while (sampling.load()) {
      long rss = 0;
      for (int p : o.pids) rss += std::max(0L, proc_usage(p).second);
      rss_max_kb.store(std::max(rss_max_kb.load(), rss));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  long cpu0 = cpu_now();
  auto start = Clock::now() + std::chrono::milliseconds(5);
  auto end = start + std::chrono::milliseconds(int64_t(o.duration_s * 1000));
  std::vector<Stats> stats(o.threads);
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < o.threads; ++t) {
    ts.emplace_back([&, t] {
      asio::io_context ioc(1);
      for (int c = int(t); c < o.connections; c += int(o.threads))
        asio::co_spawn(ioc, client(o, c, start, end, stats[t]), asio::detached);
      ioc.run();
    });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  long cpu1 = cpu_now();
  sampling = false;
  sampler.join();
  Stats all;
  for (auto& s : stats) {
    all.lat_ms.insert(all.lat_ms.end(), s.lat_ms.begin(), s.lat_ms.end());
    all.ping_ms.insert(all.ping_ms.end(), s.ping_ms.begin(), s.ping_ms.end());
    all.errors += s.errors;
    all.mismatches += s.mismatches;
    all.no_bid += s.no_bid;
    all.late += s.late;
  }
  std::sort(all.lat_ms.begin(), all.lat_ms.end());
  std::sort(all.ping_ms.begin(), all.ping_ms.end());
  double cpu_us = o.pids.empty() || all.lat_ms.empty()
                      ? 0
                      : double(cpu1 - cpu0) / double(sysconf(_SC_CLK_TCK)) * 1e6 /
                            double(all.lat_ms.size());
  std::printf(
      "{\"requests\":%zu,\"errors\":%llu,\"mismatches\":%llu,\"no_bid\":%llu,\"late\":%llu,"
      "\"seconds\":%.2f,\"rps\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
      "\"max_ms\":%.3f,\"ping_p50_ms\":%.3f,\"ping_p99_ms\":%.3f,\"cpu_us\":%.1f,"
      "\"rss_max_mb\":%.1f}\n",
      all.lat_ms.size(), (unsigned long long)all.errors, (unsigned long long)all.mismatches,
      (unsigned long long)all.no_bid, (unsigned long long)all.late, secs,
      double(all.lat_ms.size()) / secs, percentile(all.lat_ms, 0.5), percentile(all.lat_ms, 0.99),
      percentile(all.lat_ms, 0.999), all.lat_ms.empty() ? 0.0 : all.lat_ms.back(),
      percentile(all.ping_ms, 0.5), percentile(all.ping_ms, 0.99), cpu_us,
      double(rss_max_kb.load()) / 1024);
  return 0;
}
