#pragma once
// Cookies a buyer's ping answer sets, carried to the post (sticky sessions, ping tokens). Pure.
// A practical subset of RFC 6265: name=value, Domain (domain-match), Secure, Max-Age=0 (deleted);
// Path and Expires are not applied (ping and post are one exchange seconds apart).
#include <string>
#include <string_view>
#include <vector>

#include "buyers/http_types.h"

namespace pp::buyers {

struct Cookie {
  std::string name;
  std::string value;
  std::string domain;  // lower-case; the ping's host when host_only
  bool host_only = true;
  bool secure = false;
};

// The cookies of every Set-Cookie header of an answer from `request_url`. A cookie whose Domain
// does not cover the request's host is ignored (as a browser would). At most 20 cookies of at most
// 4 KiB each.
std::vector<Cookie> cookies_from(const Headers& response_headers, std::string_view request_url);

// Adds a Cookie header to `request` with the cookies that apply to its URL (host-only cookies to
// the same host, Domain cookies to that domain and its subdomains, Secure ones over https only).
// Nothing when none apply or the request already has a Cookie header.
void add_cookies(OutboundRequest& request, const std::vector<Cookie>& cookies);

}  // namespace pp::buyers
