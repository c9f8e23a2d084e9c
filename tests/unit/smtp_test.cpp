// The SMTP client's message text (issue 18): headers without injection, dot-stuffing, CRLF.
#include "mail/smtp.h"

#include <gtest/gtest.h>

namespace pp::mail {
namespace {

TEST(SmtpMessage, HeadersBodyAndDotStuffing) {
  SmtpSettings s;
  s.from = "alerts@pingpost.example";
  Message m;
  m.to = {"ops@example.org", "boss@example.org"};
  m.subject = "Lead sold\r\nBcc: victim@example.org";  // a merge tag with a line break
  m.body = "first line\n.second starts with a dot\r\n..two dots\rlast";
  m.message_id = "<msg_1@pingpost>";
  m.date_ms = 1'795'000'000'000;
  const std::string text = format_message(s, m);
  EXPECT_NE(text.find("From: alerts@pingpost.example\r\n"), std::string::npos);
  EXPECT_NE(text.find("To: ops@example.org, boss@example.org\r\n"), std::string::npos);
  EXPECT_NE(text.find("Subject: Lead soldBcc: victim@example.org\r\n"), std::string::npos);
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos) << "no header injection";
  EXPECT_NE(text.find("Date: Wed, 18 Nov 2026 11:06:40 +0000\r\n"), std::string::npos);
  EXPECT_NE(text.find("Message-ID: <msg_1@pingpost>\r\n"), std::string::npos);
  const std::string body = text.substr(text.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "first line\r\n..second starts with a dot\r\n...two dots\r\nlast\r\n.\r\n");
  // Every line ends in CRLF: no bare LF or CR anywhere.
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') EXPECT_EQ(text[i - 1], '\r') << i;
    if (text[i] == '\r') EXPECT_EQ(text[i + 1], '\n') << i;
  }
}

TEST(SmtpMessage, NonAsciiSubjectsAreEncodedWords) {
  SmtpSettings s;
  s.from = "a@b.example";
  Message m;
  m.to = {"c@d.example"};
  m.subject = "Café lead";
  m.body = "";
  const std::string text = format_message(s, m);
  EXPECT_NE(text.find("Subject: =?UTF-8?B?Q2Fmw6kgbGVhZA==?=\r\n"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("\r\n\r\n\r\n.\r\n"));
}

}  // namespace
}  // namespace pp::mail
