#include "buyers/cookies.h"

#include <gtest/gtest.h>

namespace pp::buyers {
namespace {

std::string cookie_header(const std::vector<Cookie>& jar, const std::string& url) {
  OutboundRequest r;
  r.url = url;
  add_cookies(r, jar);
  for (const auto& [k, v] : r.headers)
    if (k == "Cookie") return v;
  return "";
}

TEST(Cookies, HostOnlyCookiesGoBackToTheSameHost) {
  auto jar = cookies_from({{"Set-Cookie", "sid=abc123; Path=/; HttpOnly"},
                           {"Content-Type", "application/json"},
                           {"set-cookie", "route=b2"}},
                          "https://ping.buyer.example/ping");
  ASSERT_EQ(jar.size(), 2u);
  EXPECT_EQ(cookie_header(jar, "https://ping.buyer.example/post"), "sid=abc123; route=b2");
  EXPECT_EQ(cookie_header(jar, "https://post.buyer.example/post"), "");
  EXPECT_EQ(cookie_header(jar, "https://other.example/post"), "");
}

TEST(Cookies, DomainCookiesCoverSubdomainsSecureOnlyOverHttps) {
  auto jar = cookies_from({{"Set-Cookie", "a=1; Domain=.buyer.example"},
                           {"Set-Cookie", "s=2; Domain=buyer.example; Secure"}},
                          "https://ping.buyer.example/");
  EXPECT_EQ(cookie_header(jar, "https://post.buyer.example/x"), "a=1; s=2");
  EXPECT_EQ(cookie_header(jar, "http://post.buyer.example/x"), "a=1");
  EXPECT_EQ(cookie_header(jar, "https://notbuyer.example/x"), "");
}

TEST(Cookies, ForeignDomainsDeletionsAndReplacementsFollowTheRules) {
  auto jar = cookies_from({{"Set-Cookie", "evil=1; Domain=other.example"},
                           {"Set-Cookie", "tld=1; Domain=example"},
                           {"Set-Cookie", "gone=1"},
                           {"Set-Cookie", "gone=; Max-Age=0"},
                           {"Set-Cookie", "v=1"},
                           {"Set-Cookie", "v=2"},
                           {"Set-Cookie", "=novalue"},
                           {"Set-Cookie", "noequals"}},
                          "http://buyer.example/");
  EXPECT_EQ(cookie_header(jar, "http://buyer.example/post"), "v=2");
}

TEST(Cookies, TheTemplatesOwnCookieHeaderWins) {
  auto jar = cookies_from({{"Set-Cookie", "a=1"}}, "http://buyer.example/");
  OutboundRequest r;
  r.url = "http://buyer.example/post";
  r.headers.emplace_back("cookie", "mine=1");
  add_cookies(r, jar);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "mine=1");
}

}  // namespace
}  // namespace pp::buyers
