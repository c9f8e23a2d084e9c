#include "buyers/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "core/netaddr.h"
#include "core/text.h"

namespace pp::buyers {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

bool parse_url(std::string_view u, Url& out) {
  std::string_view rest;
  if (starts_with_icase(u, "http://")) {
    rest = u.substr(7);
  } else if (starts_with_icase(u, "https://")) {
    rest = u.substr(8);
    out.tls = true;
  } else {
    return false;
  }
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.target.empty() && out.target[0] == '?') out.target = "/" + out.target;
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  if (authority.front() == '[') {  // IPv6 literal
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      out.port = std::string(after.substr(1));
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  auto p = parse_int(out.port);
  if (!p || *p <= 0 || *p > 65535 || out.host.empty()) return false;
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

struct Conn {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  Clock::time_point idle_since;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }
};

TransportError classify(const beast::error_code& ec, bool during_read, size_t bytes_read) {
  if (ec == beast::error::timeout) return TransportError::kTimeout;
  if (ec == http::error::body_limit || ec == http::error::header_limit ||
      ec == http::error::buffer_overflow)
    return TransportError::kTooLarge;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return TransportError::kClosed;
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return TransportError::kProtocol;  // any other parser error: not HTTP
  }
  if (during_read && bytes_read > 0 && ec != asio::error::eof) return TransportError::kProtocol;
  return TransportError::kClosed;
}

// The request as it goes on the wire, in one buffer: one write, no serializer state, no header
// container (issue 16: Beast's serializer and fields were ~8% of an exchange's I/O thread).
// Names and values lose CR and LF (the templates already strip them from values), so nothing in
// a buyer's configuration or a lead can add a header or end the head early. Content-Length is
// always ours; a configured Host replaces the default one, and of two headers of one name the
// later wins, as with Beast's set().
std::string wire_request(std::string_view method, const Url& u, const Headers& headers,
                         std::string_view body) {
  static constexpr std::string_view kMethods[] = {"GET",    "POST",    "PUT", "PATCH",
                                                  "DELETE", "OPTIONS", "HEAD"};
  std::string_view m = "POST";
  for (std::string_view known : kMethods) {
    if (iequals(method, known)) m = known;
  }
  std::string out;
  out.reserve(128 + u.target.size() + u.host.size() + body.size() + headers.size() * 48);
  out.append(m).append(" ").append(u.target).append(" HTTP/1.1\r\n");
  bool host_given = false;
  for (const auto& [k, v] : headers) host_given = host_given || iequals(k, "host");
  if (!host_given) {
    const bool default_port = (u.tls && u.port == "443") || (!u.tls && u.port == "80");
    out.append("Host: ");
    if (u.host.find(':') != std::string::npos)
      out.append("[").append(u.host).append("]");
    else
      out.append(u.host);
    if (!default_port) out.append(":").append(u.port);
    out.append("\r\n");
  }
  // A configured Content-Type comes after the default one and wins over it.
  append_header_lines(out, headers, {"content-length", "transfer-encoding", "connection"});
  if (!body.empty() || (m != "GET" && m != "HEAD" && m != "OPTIONS" && m != "DELETE"))
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  out.append("\r\n").append(body);
  return out;
}

}  // namespace

struct HttpClient::Impl {
  asio::any_io_executor ex;
  ClientOptions opts;
  ssl::context tls{ssl::context::tls_client};
  std::unordered_map<std::string, std::vector<std::unique_ptr<Conn>>> idle;

  std::unique_ptr<Conn> take_idle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& v = it->second;
    auto now = Clock::now();
    while (!v.empty()) {
      std::unique_ptr<Conn> c = std::move(v.back());
      v.pop_back();
      if (now - c->idle_since < opts.idle_ttl && c->lowest().socket().is_open()) return c;
      c->close();
    }
    return nullptr;
  }

  void put_idle(const std::string& key, std::unique_ptr<Conn> c) {
    auto& v = idle[key];
    if (v.size() >= opts.max_idle_per_host) {
      c->close();
      return;
    }
    c->idle_since = Clock::now();
    v.push_back(std::move(c));
  }

  // Resolves (bounded by `deadline`), connects and, for https, handshakes.
  asio::awaitable<std::unique_ptr<Conn>> connect(const Url& u, Clock::time_point deadline,
                                                 HttpResult& res) {
    tcp::resolver::results_type endpoints;
    beast::error_code ec;
    auto addr = asio::ip::make_address(u.host, ec);
    const bool ip_literal = !ec;
    if (ip_literal) {
      endpoints = tcp::resolver::results_type::create(
          tcp::endpoint(addr, static_cast<unsigned short>(std::stoi(u.port))), u.host, u.port);
    } else {
      auto resolver = std::make_shared<tcp::resolver>(ex);
      asio::steady_timer timer(ex);
      timer.expires_at(deadline);
      timer.async_wait([resolver](beast::error_code e) {
        if (!e) resolver->cancel();
      });
      auto [rec, results] = co_await resolver->async_resolve(u.host, u.port, kNoThrow);
      timer.cancel();
      if (rec) {
        res.error = Clock::now() >= deadline ? TransportError::kConnectTimeout
                                             : TransportError::kResolveFailed;
        res.error_message = rec.message();
        co_return nullptr;
      }
      endpoints = std::move(results);
    }
    if (!opts.allow_private_networks) {
      // Every address the name gave, not only the first: a mixed answer is refused whole.
      for (const auto& e : endpoints) {
        const std::string ip = e.endpoint().address().to_string();
        if (auto kind = non_public_address_kind(ip)) {
          res.error = TransportError::kBlockedAddress;
          res.error_message = "destination " + ip + " is a " + std::string(*kind) +
                              " address (outbound.allow_private_networks is off)";
          co_return nullptr;
        }
      }
    }

    auto c = std::make_unique<Conn>();
    if (u.tls) {
      c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex, tls);
      if (!ip_literal) {  // SNI carries names only, never IP literals
        SSL_set_tlsext_host_name(c->secure->native_handle(), u.host.c_str());
      }
      c->secure->set_verify_mode(ssl::verify_peer);
      c->secure->set_verify_callback(ssl::host_name_verification(u.host));
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(ex);
    }
    beast::tcp_stream& low = c->lowest();
    low.expires_at(deadline);
    auto [cec, ep] = co_await low.async_connect(endpoints, kNoThrow);
    if (cec) {
      res.error = cec == beast::error::timeout ? TransportError::kConnectTimeout
                                               : TransportError::kConnectFailed;
      res.error_message = cec.message();
      co_return nullptr;
    }
    low.socket().set_option(tcp::no_delay(true), ec);
    if (c->secure) {
      auto [hec] = co_await c->secure->async_handshake(ssl::stream_base::client, kNoThrow);
      if (hec) {
        res.error = hec == beast::error::timeout ? TransportError::kConnectTimeout
                                                 : TransportError::kTlsFailed;
        res.error_message = hec.message();
        co_return nullptr;
      }
    }
    co_return c;
  }

  // Writes the request and reads the answer. Returns false when a retry on a fresh connection
  // is allowed (reused connection, failure before any answer byte).
  template <class Stream>
  asio::awaitable<bool> exchange(Stream& stream, beast::tcp_stream& low, const std::string& wire,
                                 Clock::time_point deadline, size_t max_body, bool reused,
                                 HttpResult& res, bool& keep) {
    keep = false;
    low.expires_at(deadline);
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(wire), kNoThrow);
    (void)wn;
    if (wec) {
      if (reused && wec != beast::error::timeout) co_return false;
      res.error = wec == beast::error::timeout ? TransportError::kTimeout : TransportError::kClosed;
      res.error_message = wec.message();
      co_return true;
    }
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body);
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    auto [rec, rn] = co_await http::async_read(stream, buf, parser, kNoThrow);
    if (rec) {
      if (reused && rn == 0 && buf.size() == 0 &&
          (rec == http::error::end_of_stream || rec == asio::error::connection_reset ||
           rec == asio::error::eof))
        co_return false;
      res.error = classify(rec, true, rn);
      res.error_message = rec.message();
      co_return true;
    }
    auto msg = parser.release();
    res.status = static_cast<int>(msg.result_int());
    size_t n = 0;
    for (const auto& f : msg) {
      if (++n > 64) break;
      res.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    res.body = std::move(msg.body());
    keep = msg.keep_alive() && buf.size() == 0;
    co_return true;
  }
};

HttpClient::HttpClient(asio::any_io_executor ex, ClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->ex = std::move(ex);
  impl_->opts = std::move(options);
  impl_->tls.set_default_verify_paths();
  impl_->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
  if (!impl_->opts.ca_file.empty()) {
    beast::error_code ec;
    impl_->tls.load_verify_file(impl_->opts.ca_file, ec);
    if (ec)
      throw std::runtime_error("cannot load CA file " + impl_->opts.ca_file + ": " + ec.message());
  }
}

HttpClient::~HttpClient() { close_idle(); }

size_t HttpClient::idle_connections() const {
  size_t n = 0;
  for (const auto& [k, v] : impl_->idle) n += v.size();
  return n;
}

void HttpClient::close_idle() {
  for (auto& [k, v] : impl_->idle) {
    for (auto& c : v) c->close();
  }
  impl_->idle.clear();
}

asio::awaitable<HttpResult> HttpClient::send(OutboundRequest req) {
  const auto start = Clock::now();
  HttpResult res;
  Url u;
  if (!parse_url(req.url, u)) {
    res.error = TransportError::kBadUrl;
    res.error_message = "not an absolute http(s) URL";
    co_return res;
  }
  const std::string key = (u.tls ? "https://" : "http://") + u.host + ":" + u.port;

  const std::string wire = wire_request(req.method, u, req.headers, req.body);

  for (int attempt = 0; attempt < 2; ++attempt) {
    res = HttpResult{};
    std::unique_ptr<Conn> c = attempt == 0 ? impl_->take_idle(key) : nullptr;
    bool reused = c != nullptr;
    if (!c) {
      c = co_await impl_->connect(u, std::min(Clock::now() + req.connect_timeout, req.deadline),
                                  res);
      if (!c) break;
    }
    res.reused_connection = reused;
    if (Clock::now() >= req.deadline) {
      res.error = TransportError::kTimeout;
      res.error_message = "deadline reached";
      impl_->put_idle(key, std::move(c));
      break;
    }
    const auto deadline = std::min(Clock::now() + req.timeout, req.deadline);
    bool keep = false;
    bool final = c->secure ? co_await impl_->exchange(*c->secure, c->lowest(), wire, deadline,
                                                      req.max_response_bytes, reused, res, keep)
                           : co_await impl_->exchange(*c->plain, c->lowest(), wire, deadline,
                                                      req.max_response_bytes, reused, res, keep);
    if (!final) {
      c->close();
      continue;  // stale pooled connection: one retry on a fresh one
    }
    if (res.ok() && keep) {
      c->lowest().expires_never();
      impl_->put_idle(key, std::move(c));
    } else {
      c->close();
    }
    break;
  }
  res.elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  co_return res;
}

}  // namespace pp::buyers
