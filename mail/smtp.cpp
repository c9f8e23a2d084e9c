#include "mail/smtp.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>

#include "core/hash.h"
#include "core/ids.h"
#include "core/time.h"

namespace pp::mail {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxReplyBytes = 64 * 1024;

std::string clean_header(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (c != '\r' && c != '\n') out += c;
  return out;
}

// RFC 2047 encoded-word for a header with non-ASCII text.
std::string encode_header(std::string_view v) {
  const std::string clean = clean_header(v);
  for (unsigned char c : clean)
    if (c >= 0x80) return "=?UTF-8?B?" + base64_encode(clean) + "?=";
  return clean;
}

// One reply: its code and text (every line of a multi-line reply).
struct Reply {
  int code = 0;
  std::string text;
};

// The dialogue, over a plain socket or a TLS stream.
template <class Stream>
struct Dialogue {
  Stream& stream;
  std::string& buffer;
  std::string last_error;

  asio::awaitable<std::optional<Reply>> read_reply() {
    Reply r;
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(
          stream, asio::dynamic_buffer(buffer, kMaxReplyBytes), "\r\n", kNoThrow);
      if (ec) {
        last_error = "reading the relay's reply: " + ec.message();
        co_return std::nullopt;
      }
      std::string line = buffer.substr(0, n - 2);
      buffer.erase(0, n);
      if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0]))) {
        last_error = "not an SMTP reply";
        co_return std::nullopt;
      }
      r.code = std::stoi(line.substr(0, 3));
      if (!r.text.empty()) r.text += '\n';
      r.text += line.size() > 4 ? line.substr(4) : std::string();
      if (line.size() == 3 || line[3] == ' ') co_return r;  // "250 ..." ends, "250-..." goes on
    }
  }

  asio::awaitable<std::optional<Reply>> command(std::string line) {
    line += "\r\n";
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(line), kNoThrow);
    (void)n;
    if (ec) {
      last_error = "writing to the relay: " + ec.message();
      co_return std::nullopt;
    }
    co_return co_await read_reply();
  }
};

// The part of the exchange after the greeting (and after STARTTLS): EHLO, AUTH, the envelope, the
// message. Fills `out` and returns whether it was accepted.
template <class Stream>
asio::awaitable<bool> converse(Dialogue<Stream>& d, const SmtpSettings& s, const Message& m,
                               bool secure, SendResult& out) {
  auto fail = [&](const std::optional<Reply>& r, std::string what) {
    if (r) {
      out.code = r->code;
      out.permanent = r->code >= 500;
      out.error = what + ": " + std::to_string(r->code) + " " + r->text.substr(0, 200);
    } else {
      out.error = what + ": " + d.last_error;
    }
    return false;
  };
  auto ehlo = co_await d.command("EHLO " + s.helo);
  if (!ehlo || ehlo->code != 250) co_return fail(ehlo, "EHLO");
  if (!s.username.empty()) {
    if (!secure) {
      out.error = "AUTH refused without TLS (set tls to starttls or tls)";
      out.permanent = true;
      co_return false;
    }
    const bool plain = ehlo->text.find("PLAIN") != std::string::npos;
    std::optional<Reply> auth;
    if (plain || ehlo->text.find("LOGIN") == std::string::npos) {
      std::string cred;
      cred.push_back('\0');
      cred += s.username;
      cred.push_back('\0');
      cred += s.password;
      auth = co_await d.command("AUTH PLAIN " + base64_encode(cred));
    } else {
      auth = co_await d.command("AUTH LOGIN");
      if (auth && auth->code == 334) auth = co_await d.command(base64_encode(s.username));
      if (auth && auth->code == 334) auth = co_await d.command(base64_encode(s.password));
    }
    if (!auth || auth->code != 235) {
      fail(auth, "AUTH");
      out.permanent = false;  // the operator's credentials: retried until they are fixed
      co_return false;
    }
  }
  auto from = co_await d.command("MAIL FROM:<" + clean_header(s.from) + ">");
  if (!from || from->code != 250) co_return fail(from, "MAIL FROM");
  size_t accepted = 0;
  std::optional<Reply> refused;
  std::string refused_to;
  for (const auto& to : m.to) {
    auto rcpt = co_await d.command("RCPT TO:<" + clean_header(to) + ">");
    if (!rcpt) co_return fail(rcpt, "RCPT TO");
    if (rcpt->code == 250 || rcpt->code == 251) {
      ++accepted;
    } else if (rcpt->code < 500) {
      co_return fail(rcpt, "RCPT TO " + to);
    } else {
      refused = rcpt;  // one mailbox refused: the others still get it
      refused_to = to;
    }
  }
  if (accepted == 0) co_return fail(refused, "RCPT TO " + refused_to);
  auto data = co_await d.command("DATA");
  if (!data || data->code != 354) co_return fail(data, "DATA");
  std::string text = format_message(s, m);
  auto [ec, n] = co_await asio::async_write(d.stream, asio::buffer(text), kNoThrow);
  (void)n;
  if (ec) {
    out.error = "writing the message: " + ec.message();
    co_return false;
  }
  auto done = co_await d.read_reply();
  if (!done || done->code != 250) co_return fail(done, "end of DATA");
  out.code = 250;
  (void)co_await d.command("QUIT");  // the message is accepted whatever QUIT answers
  co_return true;
}

}  // namespace

std::string format_message(const SmtpSettings& s, const Message& m) {
  std::string out;
  out.reserve(m.body.size() + 512);
  auto header = [&](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  header("From", clean_header(s.from));
  std::string to;
  for (const auto& t : m.to) to += (to.empty() ? "" : ", ") + clean_header(t);
  header("To", to);
  header("Subject", encode_header(m.subject));
  std::string date = http_date(m.date_ms);  // "..., 27 Nov 2026 04:17:09 GMT"
  date.replace(date.size() - 3, 3, "+0000");
  header("Date", date);
  header("Message-ID", clean_header(m.message_id));
  header("MIME-Version", "1.0");
  header("Content-Type", "text/plain; charset=utf-8");
  header("Content-Transfer-Encoding", "8bit");
  out += "\r\n";
  // The body: bare LF and CR become CRLF; a line starting with '.' gets another (RFC 5321 4.5.2).
  bool line_start = true;
  for (size_t i = 0; i < m.body.size(); ++i) {
    char c = m.body[i];
    if (c == '\r') {
      if (i + 1 < m.body.size() && m.body[i + 1] == '\n') ++i;
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = false;
  }
  if (!line_start || m.body.empty()) out += "\r\n";
  out += ".\r\n";
  return out;
}

asio::awaitable<SendResult> send(asio::any_io_executor ex, SmtpSettings s, Message m) {
  const auto t0 = SteadyClock::now();
  SendResult out;
  if (m.message_id.empty()) {
    IdGenerator& ids = thread_id_generator();
    m.message_id = "<" + ids.uuid_v4() + "@pingpost>";
  }
  tcp::socket socket(ex);
  // One deadline for the whole exchange: when it passes, the socket closes and every pending
  // operation fails.
  auto expired = std::make_shared<bool>(false);
  asio::steady_timer deadline(ex);
  deadline.expires_after(s.timeout);
  deadline.async_wait([&socket, expired](boost::system::error_code ec) {
    if (ec) return;
    *expired = true;
    boost::system::error_code ignore;
    socket.close(ignore);
  });
  auto finish = [&](SendResult r) {
    deadline.cancel();
    if (*expired && !r.ok) {
      r.error = "timed out after " + std::to_string(s.timeout.count()) + " ms (" + r.error + ")";
      r.permanent = false;
    }
    r.elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count();
    return r;
  };

  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(s.host, std::to_string(s.port), kNoThrow);
  if (rec) {
    out.error = "resolving " + s.host + ": " + rec.message();
    co_return finish(out);
  }
  auto [cec, ep] = co_await asio::async_connect(socket, endpoints, kNoThrow);
  (void)ep;
  if (cec) {
    out.error = "connecting to " + s.host + ":" + std::to_string(s.port) + ": " + cec.message();
    co_return finish(out);
  }

  ssl::context tls(ssl::context::tls_client);
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code tec;
  tls.set_default_verify_paths(tec);
  if (!s.ca_file.empty()) {
    tls.load_verify_file(s.ca_file, tec);
    if (tec) {
      out.error = "cannot load " + s.ca_file + ": " + tec.message();
      out.permanent = true;
      co_return finish(out);
    }
  }
  auto handshake = [&](ssl::stream<tcp::socket&>& secure) -> asio::awaitable<bool> {
    secure.set_verify_mode(ssl::verify_peer);
    secure.set_verify_callback(ssl::host_name_verification(s.host));
    SSL_set_tlsext_host_name(secure.native_handle(), s.host.c_str());
    auto [hec] = co_await secure.async_handshake(ssl::stream_base::client, kNoThrow);
    if (hec) {
      out.error = "TLS with " + s.host + ": " + hec.message();
      co_return false;
    }
    co_return true;
  };

  std::string buffer;
  if (s.tls == SmtpSettings::Tls::kImplicit) {
    ssl::stream<tcp::socket&> secure(socket, tls);
    if (!co_await handshake(secure)) co_return finish(out);
    Dialogue<ssl::stream<tcp::socket&>> d{secure, buffer, {}};
    auto greeting = co_await d.read_reply();
    if (!greeting || greeting->code != 220) {
      out.error = "greeting: " + (greeting ? std::to_string(greeting->code) : d.last_error);
      co_return finish(out);
    }
    out.ok = co_await converse(d, s, m, true, out);
    co_return finish(out);
  }
  Dialogue<tcp::socket> plain{socket, buffer, {}};
  auto greeting = co_await plain.read_reply();
  if (!greeting || greeting->code != 220) {
    out.error = "greeting: " + (greeting ? std::to_string(greeting->code) : plain.last_error);
    co_return finish(out);
  }
  if (s.tls == SmtpSettings::Tls::kNone) {
    out.ok = co_await converse(plain, s, m, false, out);
    co_return finish(out);
  }
  auto ehlo = co_await plain.command("EHLO " + s.helo);
  if (!ehlo || ehlo->code != 250) {
    out.error = "EHLO: " + (ehlo ? std::to_string(ehlo->code) : plain.last_error);
    co_return finish(out);
  }
  if (ehlo->text.find("STARTTLS") == std::string::npos) {
    out.error = "the relay does not offer STARTTLS";
    out.permanent = true;
    co_return finish(out);
  }
  auto starttls = co_await plain.command("STARTTLS");
  if (!starttls || starttls->code != 220) {
    out.error = "STARTTLS: " + (starttls ? std::to_string(starttls->code) : plain.last_error);
    co_return finish(out);
  }
  buffer.clear();  // nothing read before TLS is trusted after it
  ssl::stream<tcp::socket&> secure(socket, tls);
  if (!co_await handshake(secure)) co_return finish(out);
  Dialogue<ssl::stream<tcp::socket&>> d{secure, buffer, {}};
  out.ok = co_await converse(d, s, m, true, out);
  co_return finish(out);
}

}  // namespace pp::mail
