#pragma once
// Which destinations a buyer URL may reach (issue 7, SSRF): unless the configuration allows
// private networks, buyer calls never go to this machine, to private or link-local networks, or
// to a cloud metadata service — checked on the URL at configuration time and on every resolved
// address at connect time (so a name that resolves, or later re-resolves, to such an address is
// refused too). Pure: address literals only, no lookups.
#include <optional>
#include <string>
#include <string_view>

namespace pp {

// The kind of non-public range an IP literal falls in ("loopback", "private", "link-local",
// "carrier-grade NAT", "unspecified", "multicast", "reserved", "metadata"), or nullopt for a
// public address or a string that is not an IP literal. IPv4 embedded in IPv6 (mapped,
// compatible, NAT64 64:ff9b::/96) is judged by its IPv4 address.
std::optional<std::string_view> non_public_address_kind(std::string_view ip);

// The host of an http(s) URL: lower-case, without brackets, userinfo or port. Empty when there is
// none.
std::string url_host(std::string_view url);

// Why a URL must not be called without allow_private_networks, or nullopt. Hosts built from
// {{tags}} are left to the connect-time check.
std::optional<std::string> non_public_url_reason(std::string_view url);

}  // namespace pp
