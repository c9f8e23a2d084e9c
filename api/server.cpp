#include "api/server.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/text.h"
#include "core/time.h"

namespace pp::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
}  // namespace

struct Server::Impl {
  struct Worker {
    asio::io_context ioc{1};
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<buyers::HttpClient> client;
    std::thread thread;
  };

  ServerOptions opts;
  Router& router;
  std::vector<std::unique_ptr<Worker>> workers;
  uint16_t bound_port = 0;
  std::atomic<int64_t> connections{0};
  bool started = false;
  bool stopped = false;

  Impl(ServerOptions o, Router& r) : opts(std::move(o)), router(r) {}

  asio::awaitable<void> accept_loop(Worker& w) {
    for (;;) {
      auto [ec, sock] = co_await w.acceptor->async_accept(kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !w.acceptor->is_open()) co_return;
        // e.g. EMFILE: back off briefly instead of spinning
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer t(w.ioc);
        t.expires_after(std::chrono::milliseconds(50));
        co_await t.async_wait(kNoThrow);
        continue;
      }
      // Counted here, before the session starts, so the limit holds however fast they come.
      if (connections.fetch_add(1) >= int64_t(opts.max_connections)) {
        connections.fetch_sub(1);
        asio::co_spawn(w.ioc, refuse(std::move(sock)), asio::detached);
        continue;
      }
      asio::co_spawn(w.ioc, session(std::move(sock), w), asio::detached);
    }
  }

  static Response parse_error_response(const beast::error_code& ec) {
    if (ec == http::error::body_limit) return error_response(413, "Request body too large");
    if (ec == http::error::header_limit) return error_response(431, "Request headers too large");
    return error_response(400, "Malformed HTTP request");
  }

  // The answer as it goes on the wire, in one buffer (one write; no serializer state, no header
  // container, no copy of the body into a message: issue 16). Header names and values lose CR
  // and LF; of two headers of one name the later wins; Content-Length is ours.
  static std::string wire_response(const Response& r, bool keep_alive,
                                   std::optional<uint64_t> file_bytes = std::nullopt) {
    const auto status = static_cast<http::status>(r.status);
    const beast::string_view reason = http::obsolete_reason(status);
    std::string out;
    out.reserve(192 + r.content_type.size() + r.body.size() + r.headers.size() * 64);
    out.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ");
    out.append(reason.data(), reason.size()).append("\r\nServer: pingpost\r\nDate: ");
    out.append(http_date(SystemClock::instance().now_ms())).append("\r\n");
    append_header_lines(out, r.headers,
                        {"content-length", "connection", "transfer-encoding", "server", "date"});
    bool type_given = false;  // a Content-Type among the headers replaces r.content_type
    for (const auto& [k, v] : r.headers) type_given = type_given || iequals(k, "content-type");
    if (!r.content_type.empty() && !type_given)
      out.append("Content-Type: ").append(strip_crlf(r.content_type)).append("\r\n");
    if (!keep_alive) out.append("Connection: close\r\n");
    const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
    if (!bodiless)
      out.append("Content-Length: ")
          .append(std::to_string(file_bytes ? *file_bytes : r.body.size()));
    out.append(bodiless ? "\r\n" : "\r\n\r\n");
    if (!bodiless && !file_bytes) out.append(r.body);
    return out;
  }

  asio::awaitable<void> write(beast::tcp_stream& stream, const Response& r, bool keep_alive,
                              bool& ok) {
    if (!r.file.empty()) {
      co_await write_file(stream, r, keep_alive, ok);
      co_return;
    }
    const std::string wire = wire_response(r, keep_alive);
    stream.expires_after(std::chrono::milliseconds(opts.write_timeout_ms));
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(wire), kNoThrow);
    (void)n;
    ok = !ec;
  }

  // A download: the head, then the file in pieces, each within the write deadline. (A read from
  // the page cache takes microseconds; the I/O thread does it.)
  asio::awaitable<void> write_file(beast::tcp_stream& stream, const Response& r, bool keep_alive,
                                   bool& ok) {
    ok = false;
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(r.file.c_str(), "rb"), &std::fclose);
    struct stat st {};
    if (!f || ::fstat(::fileno(f.get()), &st) != 0) {
      co_await write(stream, error_response(404, "File not found"), keep_alive, ok);
      co_return;
    }
    const uint64_t size = uint64_t(st.st_size);
    std::string head = wire_response(r, keep_alive, size);
    stream.expires_after(std::chrono::milliseconds(opts.write_timeout_ms));
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), kNoThrow);
    (void)n;
    if (ec) co_return;
    std::vector<char> buf(64 * 1024);
    uint64_t sent = 0;
    while (sent < size) {
      const size_t got =
          std::fread(buf.data(), 1, std::min<uint64_t>(buf.size(), size - sent), f.get());
      if (got == 0) co_return;  // shorter than it was: the connection closes mid-body
      stream.expires_after(std::chrono::milliseconds(opts.write_timeout_ms));
      auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(buf.data(), got), kNoThrow);
      (void)wn;
      if (wec) co_return;
      sent += got;
    }
    ok = true;
  }

  // Request framing the engine will not guess at (request smuggling shapes): one Content-Length of
  // digits only; Transfer-Encoding only as a single "chunked", never with HTTP/1.0 and never
  // with a Content-Length. nullptr when the head is acceptable.
  template <class Header>
  static const char* framing_problem(const Header& h) {
    int cl = 0, te = 0;
    beast::string_view te_value;
    for (const auto& f : h) {
      if (f.name() == http::field::content_length) {
        if (++cl > 1) return "more than one Content-Length";
        if (f.value().empty()) return "empty Content-Length";
        for (char c : f.value())
          if (c < '0' || c > '9') return "Content-Length must be digits";
      } else if (f.name() == http::field::transfer_encoding) {
        ++te;
        te_value = f.value();
      }
    }
    if (te == 0) return nullptr;
    if (te > 1) return "more than one Transfer-Encoding";
    if (h.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
    if (cl) return "both Content-Length and Transfer-Encoding";
    if (!beast::iequals(te_value, "chunked")) return "only Transfer-Encoding: chunked is accepted";
    return nullptr;
  }

  // Answers and closes a connection over the limit, without reading its request.
  asio::awaitable<void> refuse(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    Response r = error_response(503, "Server busy, retry later");
    r.headers.emplace_back("Retry-After", "1");
    bool ok = false;
    co_await write(stream, r, false, ok);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Reads one request into `parser`: waits up to `wait_ms` for its first byte (an idle or silent
  // connection is then closed without an answer), then requires the whole request within
  // read_timeout_ms. Returns the response to send before closing when the request is refused
  // (400, 408, 413, 431), std::nullopt with `closed` set when the peer went away or stayed silent.
  // `streamed` is asked once the head is read: true leaves the body unread (a streamed upload;
  // the caller reads it), with `streaming` set.
  asio::awaitable<std::optional<Response>> read_request(
      beast::tcp_stream& stream, beast::flat_buffer& buf,
      http::request_parser<http::string_body>& parser, uint32_t wait_ms, bool& closed,
      const std::function<bool()>& streamed, bool& streaming) {
    closed = false;
    streaming = false;
    if (buf.size() == 0) {
      stream.expires_after(std::chrono::milliseconds(wait_ms));
      auto [ec, n] = co_await stream.async_read_some(buf.prepare(4096), kNoThrow);
      if (ec) {
        closed = true;
        co_return std::nullopt;
      }
      buf.commit(n);
    }
    // The request's own deadline is a timer that cancels the read (the stream's expiry would
    // close the socket, leaving no way to answer 408). `armed` makes a late timer a no-op.
    stream.expires_never();
    struct Deadline {
      bool armed = true;
      bool fired = false;
    };
    auto dl = std::make_shared<Deadline>();
    asio::steady_timer timer(stream.get_executor());
    timer.expires_after(std::chrono::milliseconds(opts.read_timeout_ms));
    tcp::socket* sock = &stream.socket();
    timer.async_wait([dl, sock](beast::error_code e) {
      if (e || !dl->armed) return;
      dl->fired = true;
      beast::error_code ig;
      sock->cancel(ig);
    });
    auto finish = [&](beast::error_code ec) -> std::optional<Response> {
      dl->armed = false;
      timer.cancel();
      if (!ec) return std::nullopt;
      if (dl->fired) return error_response(408, "Request timeout");
      bool parse_error =
          ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message;
      if (parse_error) return parse_error_response(ec);
      closed = true;  // reset, end of stream mid-request: nobody to answer
      return std::nullopt;
    };
    auto [hec, hn] = co_await http::async_read_header(stream, buf, parser, kNoThrow);
    if (hec) co_return finish(hec);
    if (const char* why = framing_problem(parser.get())) {
      finish({});
      co_return error_response(400, std::string("Malformed HTTP request: ") + why);
    }
    if (!parser.is_done() && streamed()) {
      finish({});
      streaming = true;
      co_return std::nullopt;
    }
    // The body limit applies from here (the head was read without one, so that a streamed upload
    // could announce its length): an announced length over it is refused at once.
    parser.body_limit(opts.body_limit_bytes);
    if (auto len = parser.content_length(); len && *len > opts.body_limit_bytes) {
      finish({});
      co_return parse_error_response(http::error::body_limit);
    }
    // A client that asks before sending its body (curl and PHP do for bodies over 1 KiB) hears
    // at once whether to send it: 100 Continue (or, above, 413 when the announced length is over
    // the limit: it never sends the body; the connection closes).
    if (!parser.is_done() && parser.get().version() == 11 &&
        beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [wec, wn] = co_await asio::async_write(
          stream, asio::buffer(kContinue.data(), kContinue.size()), kNoThrow);
      if (wec) co_return finish(wec);
    }
    auto [bec, bn] = co_await http::async_read(stream, buf, parser, kNoThrow);
    co_return finish(bec);
  }

  // A request's head (no body) as the router sees it.
  static Request head_of(const http::request<http::string_body>& msg, const std::string& remote) {
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& f : msg)
      req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.remote_address = remote;
    return req;
  }

  // Reads a streamed upload's body into `sink`, 64 KiB at a time, each piece within
  // read_timeout_ms, the whole at most upload_limit_bytes. 100 Continue first when the client
  // waits for it. What became of the body (Router::UploadEnd).
  asio::awaitable<Router::UploadEnd> read_streamed(
      beast::tcp_stream& stream, beast::flat_buffer& buf,
      http::request_parser<http::string_body>& head_parser, BodySink& sink) {
    // (Beast checks a body limit against Content-Length only while it parses the head, which was
    // read without one: the announced length is checked here, before a byte of the body.)
    if (auto len = head_parser.content_length(); len && *len > opts.upload_limit_bytes)
      co_return Router::UploadEnd::kTooLarge;
    if (head_parser.get().version() == 11 &&
        beast::iequals(head_parser.get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream.expires_after(std::chrono::milliseconds(opts.write_timeout_ms));
      auto [wec, wn] = co_await asio::async_write(
          stream, asio::buffer(kContinue.data(), kContinue.size()), kNoThrow);
      if (wec) co_return Router::UploadEnd::kClosed;
    }
    http::request_parser<http::buffer_body> parser(std::move(head_parser));
    parser.body_limit(opts.upload_limit_bytes);
    std::vector<char> piece(64 * 1024);
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      stream.expires_after(std::chrono::milliseconds(opts.read_timeout_ms));
      auto [ec, n] = co_await http::async_read(stream, buf, parser, kNoThrow);
      (void)n;
      if (ec == http::error::need_buffer) ec = {};
      if (ec == http::error::body_limit) co_return Router::UploadEnd::kTooLarge;
      if (ec == beast::error::timeout) co_return Router::UploadEnd::kTimeout;
      if (ec) co_return Router::UploadEnd::kClosed;
      const size_t got = piece.size() - parser.get().body().size;
      if (got > 0 && !sink.write(std::string_view(piece.data(), got)))
        co_return Router::UploadEnd::kStopped;
    }
    stream.expires_never();
    co_return Router::UploadEnd::kComplete;
  }

  // One connection, counted in `connections` by the accept loop; uncounted when it ends.
  asio::awaitable<void> session(tcp::socket sock, Worker& w) {
    struct Count {
      std::atomic<int64_t>& c;
      ~Count() { c.fetch_sub(1); }
    } count{connections};
    beast::error_code sec;
    sock.set_option(tcp::no_delay(true), sec);
    std::string remote;
    auto ep = sock.remote_endpoint(sec);
    if (!sec) remote = ep.address().to_string();
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buf;
    for (uint32_t served = 0;; ++served) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(boost::none);  // set once the head is read (read_request)
      parser.header_limit(opts.header_limit_bytes);
      bool closed = false, streaming = false;
      std::optional<Router::StreamStart> upload;
      auto streamed = [&] {
        const auto& m = parser.get();
        if (!Router::may_stream({m.method_string().data(), m.method_string().size()},
                                {m.target().data(), m.target().size()}))
          return false;
        upload = router.open_stream(head_of(m, remote));
        return upload.has_value();
      };
      auto refused = co_await read_request(
          stream, buf, parser, served == 0 ? opts.read_timeout_ms : opts.idle_timeout_ms, closed,
          streamed, streaming);
      if (refused) {
        bool ok = false;
        co_await write(stream, *refused, false, ok);
        break;
      }
      if (closed) break;
      if (streaming) {
        // A streamed upload: refused before its body (then closed: the body is not read), or
        // read piece by piece into its sink.
        if (!upload->sink) {
          bool ok = false;
          co_await write(stream, upload->refused, false, ok);
          break;
        }
        Request head = head_of(parser.get(), remote);
        bool keep_alive =
            parser.get().keep_alive() && served + 1 < opts.max_requests_per_connection;
        Router::UploadEnd end = co_await read_streamed(stream, buf, parser, *upload->sink);
        const bool complete = end == Router::UploadEnd::kComplete;
        // A client that timed out or went away hears nothing (its socket may be gone).
        if (end == Router::UploadEnd::kClosed || end == Router::UploadEnd::kTimeout) break;
        Response res;
        try {
          res = co_await router.finish_stream(head, std::move(upload->sink), end);
        } catch (const std::exception& e) {
          spdlog::error("upload handler failed: {}", e.what());
          res = error_response(500, "Internal error");
        }
        keep_alive = keep_alive && complete && !res.close;
        bool ok = false;
        co_await write(stream, res, keep_alive, ok);
        if (!ok || !keep_alive) break;
        continue;
      }
      auto& msg = parser.get();
      Request req = head_of(msg, remote);
      req.body = std::move(msg.body());
      bool keep_alive = msg.keep_alive() && served + 1 < opts.max_requests_per_connection;
      // No deadline on the socket while the handler runs: the engine bounds its own work.
      stream.expires_never();
      Response res;
      try {
        res = co_await router.handle(std::move(req), *w.client);
      } catch (const std::exception& e) {
        // A bug or resource exhaustion: answer instead of dropping the connection.
        spdlog::error("handler failed: {}", e.what());
        res = error_response(500, "Internal error");
        res.close = true;
      }
      keep_alive = keep_alive && !res.close;
      bool ok = false;
      co_await write(stream, res, keep_alive, ok);
      if (!ok || !keep_alive) break;
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
};

Server::Server(ServerOptions options, Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() { stop(); }

void Server::start() {
  auto& I = *impl_;
  if (I.started) return;
  unsigned n = std::max(1u, I.opts.threads);
  beast::error_code ec;
  auto addr = asio::ip::make_address(I.opts.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + I.opts.host + "'");
  uint16_t port = I.opts.port;
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Impl::Worker>();
    w->acceptor = std::make_unique<tcp::acceptor>(w->ioc);
    tcp::endpoint ep(addr, port);
    w->acceptor->open(ep.protocol(), ec);
    if (!ec) w->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) w->acceptor->set_option(reuse_port(true), ec);
    if (!ec) w->acceptor->bind(ep, ec);
    if (!ec) w->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + I.opts.host + ":" + std::to_string(port) +
                               ": " + ec.message());
    }
    if (i == 0) port = w->acceptor->local_endpoint().port();
    w->client = std::make_unique<buyers::HttpClient>(w->ioc.get_executor(), I.opts.client);
    I.workers.push_back(std::move(w));
  }
  I.bound_port = port;
  for (auto& w : I.workers) {
    asio::co_spawn(w->ioc, I.accept_loop(*w), asio::detached);
    Impl::Worker* wp = w.get();
    const std::string name = "pp-io-" + std::to_string(&w - I.workers.data());
    w->thread = std::thread([wp, name] {
      pthread_setname_np(pthread_self(), name.c_str());  // per-thread profiles (top -H, perf)
      auto guard = asio::make_work_guard(wp->ioc);
      wp->ioc.run();
    });
  }
  I.started = true;
}

uint16_t Server::port() const { return impl_->bound_port; }

int64_t Server::open_connections() const { return impl_->connections.load(); }

void Server::stop_accepting() {
  for (auto& w : impl_->workers) {
    Impl::Worker* wp = w.get();
    asio::post(w->ioc, [wp] {
      beast::error_code ec;
      if (wp->acceptor) wp->acceptor->close(ec);
    });
  }
}

void Server::stop() {
  auto& I = *impl_;
  if (!I.started || I.stopped) return;
  I.stopped = true;
  for (auto& w : I.workers) w->ioc.stop();
  for (auto& w : I.workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  // Pending coroutine frames are destroyed with their io_context (declared first in Worker, so it
  // is destroyed last, after the client and acceptor).
  I.workers.clear();
}

}  // namespace pp::api
