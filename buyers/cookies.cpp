#include "buyers/cookies.h"

#include "core/netaddr.h"
#include "core/text.h"

namespace pp::buyers {

namespace {

constexpr size_t kMaxCookies = 20;
constexpr size_t kMaxCookieBytes = 4096;

bool domain_matches(std::string_view host, std::string_view domain) {
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) &&
         host[host.size() - domain.size() - 1] == '.';
}

}  // namespace

std::vector<Cookie> cookies_from(const Headers& response_headers, std::string_view request_url) {
  std::vector<Cookie> out;
  const std::string host = url_host(request_url);
  if (host.empty()) return out;
  for (const auto& [name, value] : response_headers) {
    if (!iequals(name, "set-cookie") || value.size() > kMaxCookieBytes) continue;
    std::vector<std::string_view> parts = split(value, ";");
    std::string_view nv = trim(parts[0]);
    size_t eq = nv.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    Cookie c;
    c.name = std::string(trim(nv.substr(0, eq)));
    c.value = std::string(trim(nv.substr(eq + 1)));
    c.domain = host;
    bool deleted = false, rejected = false;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string_view attr = trim(parts[i]);
      size_t e = attr.find('=');
      std::string_view an = trim(attr.substr(0, e));
      std::string_view av =
          e == std::string_view::npos ? std::string_view() : trim(attr.substr(e + 1));
      if (iequals(an, "domain") && !av.empty()) {
        std::string d = to_lower(av.front() == '.' ? av.substr(1) : av);
        // A Domain must cover the host that set it, and may not be a bare top-level name.
        if (!domain_matches(host, d) || d.find('.') == std::string::npos) rejected = true;
        c.domain = d;
        c.host_only = false;
      } else if (iequals(an, "secure")) {
        c.secure = true;
      } else if (iequals(an, "max-age")) {
        auto n = parse_int(av);
        if (n && *n <= 0) deleted = true;
      }
    }
    if (rejected) continue;
    // A later Set-Cookie of the same name replaces (or deletes) the earlier one.
    std::erase_if(out, [&](const Cookie& o) { return o.name == c.name && o.domain == c.domain; });
    if (!deleted && out.size() < kMaxCookies) out.push_back(std::move(c));
  }
  return out;
}

void add_cookies(OutboundRequest& request, const std::vector<Cookie>& cookies) {
  if (cookies.empty()) return;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "cookie")) return;  // the buyer's template sets its own
  }
  const std::string host = url_host(request.url);
  const bool https = starts_with_icase(request.url, "https://");
  std::string header;
  for (const auto& c : cookies) {
    bool applies = c.host_only ? host == c.domain : domain_matches(host, c.domain);
    if (!applies || (c.secure && !https)) continue;
    header += (header.empty() ? "" : "; ") + c.name + "=" + c.value;
  }
  if (!header.empty()) request.headers.emplace_back("Cookie", strip_crlf(header));
}

}  // namespace pp::buyers
