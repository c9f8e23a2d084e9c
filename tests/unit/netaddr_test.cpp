// Non-public destinations for buyer calls (SSRF guard): address ranges, URL hosts, names.
#include "core/netaddr.h"

#include <gtest/gtest.h>

#include "core/config.h"

namespace pp {
namespace {

TEST(NetAddr, RangesOfIpv4AndIpv6) {
  struct Case {
    const char* ip;
    const char* kind;  // nullptr: public
  };
  const Case cases[] = {
      {"8.8.8.8", nullptr},           {"1.1.1.1", nullptr},
      {"127.0.0.1", "loopback"},      {"127.255.255.254", "loopback"},
      {"10.0.0.1", "private"},        {"172.15.255.255", nullptr},
      {"172.16.0.1", "private"},      {"172.31.255.255", "private"},
      {"172.32.0.0", nullptr},        {"192.168.1.1", "private"},
      {"192.169.0.1", nullptr},       {"100.63.255.255", nullptr},
      {"100.64.0.1", "carrier-grade NAT"}, {"100.127.255.255", "carrier-grade NAT"},
      {"169.254.169.254", "metadata"}, {"169.254.1.1", "link-local"},
      {"0.0.0.0", "unspecified"},     {"0.1.2.3", "unspecified"},
      {"224.0.0.1", "multicast"},     {"255.255.255.255", "reserved"},
      {"198.18.0.1", "reserved"},     {"192.0.0.8", "reserved"},
      {"::1", "loopback"},            {"::", "unspecified"},
      {"[::1]", "loopback"},          {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:10.1.2.3", "private"}, {"::ffff:8.8.8.8", nullptr},
      {"64:ff9b::a9fe:a9fe", "metadata"}, {"fd00:ec2::254", "metadata"},
      {"fc00::1", "private"},         {"fdab::1", "private"},
      {"fe80::1", "link-local"},      {"ff02::1", "multicast"},
      {"fe80::1%eth0", "link-local"}, {"[fe80::1%25eth0]", "link-local"},  // zone index ignored
      {"ff02::1%2", "multicast"},
      {"2606:4700:4700::1111", nullptr}, {"2001:db8::1", nullptr},
      {"example.com", nullptr},       {"", nullptr},
      {"127.1", nullptr},  // not a literal inet_pton accepts: names go through the resolver check
  };
  for (const auto& c : cases) {
    auto k = non_public_address_kind(c.ip);
    if (c.kind == nullptr)
      EXPECT_FALSE(k.has_value()) << c.ip << " -> " << *k;
    else
      EXPECT_EQ(k.value_or("public"), c.kind) << c.ip;
  }
}

TEST(NetAddr, UrlHostsAndReasons) {
  EXPECT_EQ(url_host("https://User:pw@Buyer.Example.com:8443/x?y#z"), "buyer.example.com");
  EXPECT_EQ(url_host("http://[FE80::1]:80/p"), "fe80::1");
  EXPECT_EQ(url_host("http://10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(url_host("not a url"), "");
  EXPECT_TRUE(non_public_url_reason("http://localhost:8080/p"));
  EXPECT_TRUE(non_public_url_reason("http://LOCALHOST./p"));
  EXPECT_TRUE(non_public_url_reason("http://api.localhost/p"));
  EXPECT_TRUE(non_public_url_reason("http://metadata.google.internal/computeMetadata/v1/"));
  EXPECT_TRUE(non_public_url_reason("http://169.254.169.254/latest/meta-data/"));
  EXPECT_TRUE(non_public_url_reason("https://[::1]/p"));
  EXPECT_TRUE(non_public_url_reason("http://user@192.168.0.10/p"));
  EXPECT_FALSE(non_public_url_reason("https://buyer.example.com/post"));
  EXPECT_FALSE(non_public_url_reason("https://8.8.8.8/post"));
  EXPECT_FALSE(non_public_url_reason("https://{{buyer_host}}/post"));  // checked at connect time
}

// At configuration time: a buyer URL to a private or metadata address is refused with its JSON
// path unless outbound.allow_private_networks is set.
TEST(NetAddr, ConfigRefusesPrivateBuyerUrlsUnlessAllowed) {
  auto config = [](bool allow) {
    return std::string(R"({"account":{"timezone":"UTC"},"outbound":{"allow_private_networks":)") +
           (allow ? "true" : "false") + R"(},
      "clients":[{"id":1,"company":"S"},{"id":2,"company":"B"}],
      "campaigns":[{"id":1,"name":"C","type":"ping_post_exchange",
        "fields":[{"name":"state","type":"state","on_ping":true}],
        "suppliers":[{"id":10,"client_id":1,"lp_key":"supplier-key-10"}],
        "buyers":[{"id":20,"client_id":2,"type":"ping_post","price":{"type":"realtime"},
          "ping":{"url":"http://169.254.169.254/latest/meta-data/","fields":{"s":"{{state}}"}},
          "ping_response":{"accepted":{"path":"status","equals":["ok"]},"price":"bid"},
          "post":{"url":"http://10.1.2.3/post","fields":{"s":"{{state}}"}},
          "post_response":{"accepted":{"path":"status","equals":["ok"]}}}]}]})";
  };
  auto refused = load_config(config(false));
  ASSERT_FALSE(refused.config);
  auto has = [&](const std::string& needle) {
    for (const auto& e : refused.errors)
      if (e.find(needle) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("$.campaigns[0].buyers[0].ping.url: host 169.254.169.254 is a metadata address"));
  EXPECT_TRUE(has("$.campaigns[0].buyers[0].post.url: host 10.1.2.3 is a private address"));
  auto allowed = load_config(config(true));
  EXPECT_TRUE(allowed.config) << (allowed.errors.empty() ? "" : allowed.errors[0]);
}

}  // namespace
}  // namespace pp
