#include "fake_buyer.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <thread>
#include <type_traits>

namespace pp::testkit {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}

std::string Received::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

std::string cert_dir() { return PP_TEST_CERT_DIR; }

struct FakeBuyer::Impl {
  Options opts;
  asio::io_context ioc{1};
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  mutable std::mutex mu;
  std::map<std::string, Handler> handlers;
  std::vector<Received> received;
  std::atomic<size_t> stream_written{0};  // body bytes a stream_bytes reply got out

  FakeReply answer(const Received& r) {
    std::string path = r.target.substr(0, r.target.find('?'));
    Handler h;
    {
      std::lock_guard lk(mu);
      received.push_back(r);
      auto it = handlers.find(path);
      if (it != handlers.end()) h = it->second;
    }
    if (!h) return FakeReply{404, R"({"error":"no handler"})"};
    return h(r);
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(stream, buf, req, kNoThrow);
      if (ec) co_return;
      Received r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& f : req)
        r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      r.body = req.body();
      FakeReply reply = answer(r);
      if (reply.delay.count() > 0 || reply.silent) {
        asio::steady_timer t(ioc);
        t.expires_after(reply.silent ? std::chrono::hours(1) : reply.delay);
        co_await t.async_wait(kNoThrow);
      }
      if (reply.close) co_return;
      if (reply.reset) {
        if constexpr (std::is_same_v<Stream, tcp::socket>) {
          beast::error_code ig;
          stream.set_option(asio::socket_base::linger(true, 0), ig);
          stream.close(ig);  // linger 0: the peer gets RST
        }
        co_return;
      }
      if (reply.stream_bytes > 0) {
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(reply.stream_bytes) + "\r\n\r\n";
        auto [hec, hn] = co_await asio::async_write(stream, asio::buffer(head), kNoThrow);
        const std::string chunk(65536, 'x');
        for (size_t sent = 0; !hec && sent < reply.stream_bytes; sent += chunk.size()) {
          auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(chunk), kNoThrow);
          if (wec) break;
          stream_written += wn;
        }
        co_return;
      }
      if (!reply.raw.empty()) {
        if (reply.trickle.count() > 0) {
          for (char c : reply.raw) {
            auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(&c, 1), kNoThrow);
            if (wec) co_return;
            asio::steady_timer t(ioc);
            t.expires_after(reply.trickle);
            co_await t.async_wait(kNoThrow);
          }
        } else {
          co_await asio::async_write(stream, asio::buffer(reply.raw), kNoThrow);
        }
        if (reply.hold) {
          asio::steady_timer t(ioc);
          t.expires_after(std::chrono::hours(1));
          co_await t.async_wait(kNoThrow);
        }
        co_return;
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::content_type, reply.content_type);
      for (const auto& [name, value] : reply.headers) res.insert(name, value);
      res.body() = reply.body_bytes ? std::string(reply.body_bytes, 'x') : reply.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, kNoThrow);
      if (wec || !res.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket sock) {
    if (opts.tls) {
      beast::ssl_stream<tcp::socket> s(std::move(sock), tls);
      auto [ec] = co_await s.async_handshake(ssl::stream_base::server, kNoThrow);
      if (ec) co_return;
      co_await serve(s);
    } else {
      co_await serve(sock);
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(kNoThrow);
      if (ec) co_return;
      asio::co_spawn(ioc, session(std::move(sock)), asio::detached);
    }
  }
};

FakeBuyer::FakeBuyer() : FakeBuyer(Options{}) {}

FakeBuyer::FakeBuyer(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(options);
  if (impl_->opts.tls) {
    impl_->tls.use_certificate_chain_file(impl_->opts.cert_file);
    impl_->tls.use_private_key_file(impl_->opts.key_file, ssl::context::pem);
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

FakeBuyer::~FakeBuyer() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

uint16_t FakeBuyer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string FakeBuyer::url(std::string_view path) const {
  return std::string(impl_->opts.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(port()) + std::string(path);
}

void FakeBuyer::on(const std::string& path, Handler h) {
  std::lock_guard lk(impl_->mu);
  impl_->handlers[path] = std::move(h);
}

std::vector<Received> FakeBuyer::received() const {
  std::lock_guard lk(impl_->mu);
  return impl_->received;
}

size_t FakeBuyer::count(std::string_view path) const {
  std::lock_guard lk(impl_->mu);
  size_t n = 0;
  for (const auto& r : impl_->received) {
    if (r.target.substr(0, r.target.find('?')) == path) ++n;
  }
  return n;
}

HttpReply http_call(uint16_t port, const std::string& method, const std::string& target,
                    const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpReply out;
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res)
      out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

size_t FakeBuyer::streamed_bytes() const { return impl_->stream_written.load(); }

}  // namespace pp::testkit
