#include "core/netaddr.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "core/text.h"

namespace pp {
namespace {

std::optional<std::string_view> v4_kind(const uint8_t a[4]) {
  const uint32_t x = (uint32_t(a[0]) << 24) | (uint32_t(a[1]) << 16) | (uint32_t(a[2]) << 8) | a[3];
  auto in = [&](uint32_t net, int bits) {
    return bits == 0 || (x >> (32 - bits)) == (net >> (32 - bits));
  };
  if (x == 0xA9FEA9FE) return "metadata";                // 169.254.169.254
  if (in(0x00000000, 8)) return "unspecified";           // 0.0.0.0/8
  if (in(0x7F000000, 8)) return "loopback";              // 127/8
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16)) return "private";
  if (in(0x64400000, 10)) return "carrier-grade NAT";    // 100.64/10
  if (in(0xA9FE0000, 16)) return "link-local";           // 169.254/16
  if (in(0xC0000000, 24)) return "reserved";             // 192.0.0/24 (IETF protocol assignments)
  if (in(0xC6120000, 15)) return "reserved";             // 198.18/15 (benchmarking)
  if (in(0xE0000000, 4)) return "multicast";             // 224/4
  if (in(0xF0000000, 4)) return "reserved";              // 240/4 and broadcast
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> non_public_address_kind(std::string_view ip) {
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  // A zone index ("fe80::1%eth0", as resolvers print link-local addresses) is not part of the
  // address: judge what is before it, or a link-local address would pass as "not a literal".
  if (size_t pct = ip.find('%'); pct != std::string_view::npos && ip.find(':') != std::string_view::npos)
    ip = ip.substr(0, pct);
  if (ip.empty() || ip.size() >= 64) return std::nullopt;
  char buf[64];
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  uint8_t a[16];
  if (inet_pton(AF_INET, buf, a) == 1) return v4_kind(a);
  if (inet_pton(AF_INET6, buf, a) != 1) return std::nullopt;
  static const uint8_t zero[16] = {};
  if (std::memcmp(a, zero, 16) == 0) return "unspecified";  // ::
  if (std::memcmp(a, zero, 15) == 0 && a[15] == 1) return "loopback";  // ::1
  // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d.
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a, mapped, 12) == 0 || std::memcmp(a, zero, 12) == 0 ||
      std::memcmp(a, nat64, 12) == 0)
    return v4_kind(a + 12);
  static const uint8_t aws_metadata[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x54};
  if (std::memcmp(a, aws_metadata, 16) == 0) return "metadata";  // fd00:ec2::254
  if ((a[0] & 0xfe) == 0xfc) return "private";                    // fc00::/7 (unique local)
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return "private";     // fec0::/10 (site-local)
  if (a[0] == 0xff) return "multicast";                            // ff00::/8
  return std::nullopt;
}

std::string url_host(std::string_view url) {
  size_t s = url.find("://");
  if (s == std::string_view::npos) return {};
  std::string_view rest = url.substr(s + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    return close == std::string_view::npos ? std::string() : to_lower(rest.substr(1, close - 1));
  }
  return to_lower(rest.substr(0, rest.find(':')));
}

std::optional<std::string> non_public_url_reason(std::string_view url) {
  std::string host = url_host(url);
  if (host.empty() || host.find("{{") != std::string::npos) return std::nullopt;
  while (!host.empty() && host.back() == '.') host.pop_back();  // "localhost." is localhost
  const std::string_view h = host;
  if (h == "localhost" || (h.size() > 10 && h.substr(h.size() - 10) == ".localhost"))
    return "host " + host + " is this machine";
  if (host == "metadata.google.internal" || host == "metadata")
    return "host " + host + " is a cloud metadata service";
  if (auto kind = non_public_address_kind(host))
    return "host " + host + " is a " + std::string(*kind) + " address";
  return std::nullopt;
}

}  // namespace pp
