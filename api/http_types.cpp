#include "api/http_types.h"

#include "core/json_writer.h"
#include "core/text.h"

namespace pp::api {

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::string Request::query_param(std::string_view name) const {
  auto q = parse_form(query);
  if (!q) return {};
  for (const auto& [k, v] : *q)
    if (k == name) return v;
  return {};
}

Response error_response(int http_status, std::string_view message) {
  std::string body;
  JsonWriter w(body);
  w.begin_object().kv("status", "error").kv("message", message).key("details").null().end_object();
  return json_response(http_status, std::move(body));
}

Response error_response(int http_status, std::string_view message,
                        const std::vector<std::pair<std::string, std::string>>& details) {
  std::string body;
  JsonWriter w(body);
  w.begin_object().kv("status", "error").kv("message", message).key("details").begin_object();
  for (const auto& [k, v] : details) w.kv(k, v);
  w.end_object().end_object();
  return json_response(http_status, std::move(body));
}

Response storage_error() {
  std::string body;
  JsonWriter w(body);
  w.begin_object()
      .kv("status", "error")
      .kv("code", 1011)
      .kv("message", "Storage error: the data could not be read; retry later")
      .key("details")
      .null()
      .end_object();
  return json_response(500, std::move(body));
}

Response json_response(int http_status, std::string body) {
  Response r;
  r.status = http_status;
  r.body = std::move(body);
  return r;
}

Response method_not_allowed(std::string_view allowed) {
  Response r = error_response(405, "Use " + std::string(allowed));
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

}  // namespace pp::api
