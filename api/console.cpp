#include "api/console.h"

#include "console/assets.h"
#include "core/text.h"

namespace pp::api {

namespace {

constexpr std::string_view kPrefix = "/console/";

// Whether the Accept-Encoding header takes gzip (a q of 0 refuses it).
bool accepts_gzip(std::string_view header) {
  for (std::string_view part : split(header, ",")) {
    part = trim(part);
    std::string_view coding = trim(part.substr(0, part.find(';')));
    if (!iequals(coding, "gzip") && coding != "*") continue;
    size_t q = part.find("q=");
    if (q != std::string_view::npos) {
      std::string_view v = trim(part.substr(q + 2));
      if (!v.empty() && v.find_first_not_of("0.") == std::string_view::npos) return false;
    }
    return true;
  }
  return false;
}

void security_headers(Response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; "
                         "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                         "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
}

}  // namespace

bool is_console_path(std::string_view path) {
  return path == "/console" || path.rfind(kPrefix, 0) == 0;
}

Response console_response(const Request& req) {
  if (req.method != "GET") return error_response(405, "Use GET");
  if (req.path == "/console") {
    Response r;
    r.status = 301;
    r.content_type.clear();
    r.headers.emplace_back("Location", "/console/");
    return r;
  }
  std::string_view rel = std::string_view(req.path).substr(kPrefix.size());
  if (rel.empty()) rel = "index.html";
  const console::Asset* a = console::find_asset(rel);
  if (a == nullptr) return error_response(404, "Not found");
  return asset_response(req, *a);
}

Response asset_response(const Request& req, const console::Asset& asset) {
  const console::Asset* a = &asset;
  Response r;
  security_headers(r);
  r.headers.emplace_back("ETag", std::string(a->etag));
  r.headers.emplace_back("Cache-Control", "no-cache");  // revalidate: the ETag makes it cheap
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (trim(req.header("if-none-match")) == a->etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = std::string(a->content_type);
  if (accepts_gzip(req.header("accept-encoding"))) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body.assign(a->gzip);
  } else {
    r.body.assign(a->raw);
  }
  return r;
}

}  // namespace pp::api
