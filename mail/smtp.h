#pragma once
// An SMTP client (RFC 5321) for the operator's relay: STARTTLS (RFC 3207) or implicit TLS
// (port 465), AUTH PLAIN or LOGIN (RFC 4954) when a user is configured — only over TLS, the
// relay's certificate and name verified — one message per connection, under one deadline for the
// whole exchange. Messages are plain-text UTF-8 (RFC 5322 headers, dot-stuffed body, CRLF).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pp::mail {

struct SmtpSettings {
  std::string host;
  uint16_t port = 587;
  enum class Tls : uint8_t { kStartTls, kImplicit, kNone } tls = Tls::kStartTls;
  std::string username;  // empty: no AUTH
  std::string password;
  std::string from;                    // the envelope and From: address
  std::string helo = "pingpost";       // EHLO name
  std::chrono::milliseconds timeout{15000};  // the whole exchange, connect included
  std::string ca_file;                 // extra trust anchors (PEM); the system store always
};

struct Message {
  std::vector<std::string> to;
  std::string subject;
  std::string body;
  std::string message_id;  // "<...@...>", stable across retries; made up when empty
  int64_t date_ms = 0;     // the Date: header
};

struct SendResult {
  bool ok = false;
  int code = 0;           // the relay's last reply code (0: none)
  bool permanent = false;  // 5xx: retrying will not help
  std::string error;       // what failed, for the delivery log (no credentials)
  int64_t elapsed_us = 0;
};

// The message as it goes after DATA: headers, blank line, dot-stuffed body, ending CRLF.CRLF.
// Header values lose CR and LF (no header injection from merge tags).
std::string format_message(const SmtpSettings& s, const Message& m);

// Sends one message. Never throws for network or protocol problems.
boost::asio::awaitable<SendResult> send(boost::asio::any_io_executor ex, SmtpSettings settings,
                                        Message message);

}  // namespace pp::mail
