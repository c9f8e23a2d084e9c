// pp_minlead: the least a lead can cost on this machine (issue 16), the floor `make bench`
// measures pingpost against in the same run.
//   pp_minlead --mode exchange|direct --listen 127.0.0.1:PORT --buyers 127.0.0.1:P1[,P2...]
//              --data DIR [--deadline-ms 200]
// One I/O thread (as pingpostd --threads 1) and one commit thread. Per lead, nothing but the
// work itself: read the request; exchange: ping every buyer at once over pooled keep-alive
// connections (the lead's body as is), wait for all bids or the deadline, post to the highest
// bidder, falling back to the next; direct: post to the one buyer; then one RocksDB write of the
// lead and its debug record (what was sent and answered), group-committed with a synced WAL;
// then the answer. No validation, rules, templates, answer mapping, caps, indexes, rollups,
// timeline or logging.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  bool exchange = true;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::vector<tcp::endpoint> buyers;
  std::string data;
  int deadline_ms = 200;
};

// ---- group commit: one thread takes every waiting write and syncs them as one batch ----------
class Committer {
 public:
  Committer(rocksdb::DB* db, asio::io_context& io) : db_(db), io_(io), t_([this] { loop(); }) {}
  ~Committer() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    cv_.notify_one();
    t_.join();
  }
  // `done` runs on the I/O thread once the write is durable.
  void write(std::string key, std::string lead, std::string debug, std::function<void()> done) {
    {
      std::lock_guard lk(mu_);
      q_.push_back({std::move(key), std::move(lead), std::move(debug), std::move(done)});
    }
    cv_.notify_one();
  }

 private:
  struct Item {
    std::string key, lead, debug;
    std::function<void()> done;
  };
  void loop() {
    std::vector<Item> group;
    for (;;) {
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return closed_ || !q_.empty(); });
        if (q_.empty()) return;
        group.assign(std::make_move_iterator(q_.begin()), std::make_move_iterator(q_.end()));
        q_.clear();
      }
      rocksdb::WriteBatch b;
      for (const auto& i : group) {
        b.Put("l" + i.key, i.lead);
        b.Put("d" + i.key, i.debug);
      }
      rocksdb::WriteOptions wo;
      wo.sync = true;
      if (!db_->Write(wo, &b).ok()) std::abort();
      for (auto& i : group) asio::post(io_, std::move(i.done));
      group.clear();
    }
  }
  rocksdb::DB* db_;
  asio::io_context& io_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> q_;
  bool closed_ = false;
  std::thread t_;
};

// ---- outbound: keep-alive connections per buyer ---------------------------------------------
struct Pool {
  tcp::endpoint ep;
  std::vector<std::unique_ptr<beast::tcp_stream>> idle;
};

struct Reply {
  bool ok = false;
  std::string body;
};

// POSTs `body` to `target` on the buyer; gives up at `until`.
asio::awaitable<Reply> call(Pool& pool, const char* target, const std::string& body,
                            Clock::time_point until) {
  std::unique_ptr<beast::tcp_stream> s;
  if (!pool.idle.empty()) {
    s = std::move(pool.idle.back());
    pool.idle.pop_back();
  } else {
    s = std::make_unique<beast::tcp_stream>(co_await asio::this_coro::executor);
    s->expires_at(until);
    auto [ec] = co_await s->async_connect(pool.ep, kNoThrow);
    if (ec) co_return Reply{};
    s->socket().set_option(tcp::no_delay(true));
  }
  s->expires_at(until);
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, "buyer");
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  auto [wec, wn] = co_await http::async_write(*s, req, kNoThrow);
  if (wec) co_return Reply{};
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  auto [rec, rn] = co_await http::async_read(*s, buf, res, kNoThrow);
  if (rec) co_return Reply{};
  Reply r{res.result() == http::status::ok, std::move(res.body())};
  if (res.keep_alive()) {
    s->expires_never();
    pool.idle.push_back(std::move(s));
  }
  co_return r;
}

double bid_of(const std::string& body) {
  size_t at = body.find("\"bid\":\"");
  return at == std::string::npos ? -1 : std::atof(body.c_str() + at + 7);
}

bool accepted(const std::string& body) {
  return body.find("\"status\":\"accepted\"") != std::string::npos;
}

struct App {
  Options o;
  asio::io_context& io;
  std::vector<Pool> pools;
  std::unique_ptr<Committer> committer;
  uint64_t seq = 0;

  // The lead's outcome, sent and answered, as `debug` holds it; the answer's body.
  asio::awaitable<std::string> exchange(const std::string& lead, std::string& debug) {
    const auto until = Clock::now() + std::chrono::milliseconds(o.deadline_ms);
    struct Auction {
      std::vector<Reply> replies;
      size_t pending;
      asio::steady_timer wake;
    };
    auto a = std::make_shared<Auction>(
        Auction{std::vector<Reply>(pools.size()), pools.size(), asio::steady_timer(io)});
    a->wake.expires_at(until);
    // A ping that ends after the deadline may outlive this lead's request: it owns its body.
    auto body = std::make_shared<const std::string>(lead);
    for (size_t i = 0; i < pools.size(); ++i) {
      asio::co_spawn(
          io,
          [this, a, i, body, until]() -> asio::awaitable<void> {
            a->replies[i] = co_await call(pools[i], "/ping", *body, until);
            if (--a->pending == 0) a->wake.cancel();
          },
          asio::detached);
    }
    co_await a->wake.async_wait(kNoThrow);  // every bid in, or the deadline
    std::vector<std::pair<double, size_t>> bids;
    for (size_t i = 0; i < pools.size(); ++i) {
      const Reply& r = a->replies[i];
      debug += r.body;
      if (r.ok) {
        double b = bid_of(r.body);
        if (b >= 0) bids.emplace_back(b, i);
      }
    }
    std::sort(bids.begin(), bids.end(), [](auto& x, auto& y) { return x.first > y.first; });
    for (const auto& [bid, i] : bids) {
      Reply p = co_await call(pools[i], "/post", lead,
                              Clock::now() + std::chrono::milliseconds(o.deadline_ms));
      debug += p.body;
      if (p.ok && accepted(p.body)) {
        char out[96];
        std::snprintf(out, sizeof out, R"({"status":"ACCEPTED","price":%.2f})", bid);
        co_return std::string(out);
      }
    }
    co_return R"({"status":"ERROR","code":1005,"message":"No bids"})";
  }

  asio::awaitable<std::string> direct(const std::string& lead, std::string& debug) {
    Reply p = co_await call(pools[0], "/post", lead,
                            Clock::now() + std::chrono::milliseconds(o.deadline_ms));
    debug = p.body;
    co_return p.ok&& accepted(p.body) ? R"({"status":"ACCEPTED"})"
                                      : R"({"status":"ERROR","code":1005})";
  }

  asio::awaitable<void> session(tcp::socket sock) {
    sock.set_option(tcp::no_delay(true));
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(stream, buf, req, kNoThrow);
      if (ec) break;
      std::string debug;
      std::string answer;  // (GCC 12 miscompiles co_await inside ?:)
      if (o.exchange)
        answer = co_await exchange(req.body(), debug);
      else
        answer = co_await direct(req.body(), debug);
      // Durable before the answer: wait for the group commit that carries this lead.
      asio::steady_timer stored(io, Clock::time_point::max());
      committer->write(std::to_string(++seq), req.body() + answer, std::move(debug),
                       [&stored] { stored.cancel(); });
      co_await stored.async_wait(kNoThrow);
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(req.keep_alive());
      res.body() = std::move(answer);
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, kNoThrow);
      if (wec || !req.keep_alive()) break;
    }
  }

  asio::awaitable<void> accept(tcp::acceptor& acc) {
    for (;;) {
      auto [ec, sock] = co_await acc.async_accept(kNoThrow);
      if (ec) co_return;
      asio::co_spawn(io, session(std::move(sock)), asio::detached);
    }
  }
};

tcp::endpoint endpoint(const std::string& hp) {
  size_t c = hp.rfind(':');
  return {asio::ip::make_address(hp.substr(0, c)), uint16_t(std::stoi(hp.substr(c + 1)))};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--mode") {
      o.exchange = v == "exchange";
    } else if (a == "--listen") {
      auto ep = endpoint(v);
      o.host = ep.address().to_string();
      o.port = ep.port();
    } else if (a == "--buyers") {
      for (size_t p = 0; p <= v.size();) {
        size_t c = v.find(',', p);
        if (c == std::string::npos) c = v.size();
        o.buyers.push_back(endpoint(v.substr(p, c - p)));
        p = c + 1;
      }
    } else if (a == "--data") {
      o.data = v;
    } else if (a == "--deadline-ms") {
      o.deadline_ms = std::stoi(v);
    } else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (o.buyers.empty() || o.data.empty()) {
    std::cerr
        << "usage: pp_minlead --mode exchange|direct --listen H:P --buyers H:P[,H:P] --data DIR\n";
    return 2;
  }
  rocksdb::Options ro;
  ro.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(ro, o.data, &db).ok()) {
    std::cerr << "cannot open " << o.data << "\n";
    return 1;
  }
  std::unique_ptr<rocksdb::DB> owned(db);
  asio::io_context io(1);
  App app{o, io, {}, std::make_unique<Committer>(db, io)};
  for (const auto& ep : o.buyers) app.pools.push_back(Pool{ep, {}});
  tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address(o.host), o.port));
  acc.listen(4096);
  std::printf("listening on %s:%u\n", o.host.c_str(), unsigned(acc.local_endpoint().port()));
  std::fflush(stdout);
  asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](auto, int) { io.stop(); });
  asio::co_spawn(io, app.accept(acc), asio::detached);
  io.run();
  app.committer.reset();
  return 0;
}
