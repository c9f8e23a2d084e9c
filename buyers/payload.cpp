#include "buyers/payload.h"

#include "core/json_writer.h"
#include "core/text.h"

namespace pp::buyers {

std::string_view to_string(TransportError e) {
  switch (e) {
    case TransportError::kNone:
      return "none";
    case TransportError::kBadUrl:
      return "bad url";
    case TransportError::kResolveFailed:
      return "resolve failed";
    case TransportError::kConnectFailed:
      return "connect failed";
    case TransportError::kConnectTimeout:
      return "connect timeout";
    case TransportError::kTlsFailed:
      return "tls handshake failed";
    case TransportError::kTimeout:
      return "timeout";
    case TransportError::kTooLarge:
      return "response too large";
    case TransportError::kProtocol:
      return "invalid http response";
    case TransportError::kClosed:
      return "connection closed";
    case TransportError::kBlockedAddress:
      return "blocked address";
  }
  return "error";
}

std::optional<CompiledRequest> CompiledRequest::compile(const HttpTemplateConfig& cfg,
                                                        std::string& error) {
  CompiledRequest r;
  r.cfg_ = cfg;
  auto url = Template::compile(cfg.url, error);
  if (!url) {
    error = "url: " + error;
    return std::nullopt;
  }
  r.url_ = std::move(*url);
  for (const auto& [k, v] : cfg.headers) {
    auto t = Template::compile(v, error);
    if (!t) {
      error = "headers." + k + ": " + error;
      return std::nullopt;
    }
    r.headers_.emplace_back(k, std::move(*t));
  }
  for (const auto& [k, v] : cfg.fields) {
    auto t = Template::compile(v, error);
    if (!t) {
      error = "fields." + k + ": " + error;
      return std::nullopt;
    }
    r.fields_.emplace_back(k, std::move(*t));
  }
  if (!cfg.body.empty()) {
    auto t = Template::compile(cfg.body, error);
    if (!t) {
      error = "body: " + error;
      return std::nullopt;
    }
    r.body_ = std::move(*t);
  }
  return r;
}

OutboundRequest CompiledRequest::render(const TemplateContext& ctx,
                                        std::string_view user_agent) const {
  OutboundRequest out;
  out.method = cfg_.method;
  out.connect_timeout = std::chrono::milliseconds(cfg_.connect_timeout_ms);
  out.timeout = std::chrono::milliseconds(cfg_.timeout_ms);
  out.max_response_bytes = cfg_.max_response_bytes;
  out.url = url_.render(ctx, Escape::kUrl);

  std::string body;
  switch (cfg_.format) {
    case BodyFormat::kNone:
      break;
    case BodyFormat::kForm: {
      bool first = true;
      for (const auto& [k, t] : fields_) {
        if (!first) body.push_back('&');
        first = false;
        body += url_encode(k);
        body.push_back('=');
        body += url_encode(t.render(ctx, Escape::kNone));
      }
      break;
    }
    case BodyFormat::kJson:
      if (body_) {
        body_->render_to(body, ctx, Escape::kJson);
      } else {
        JsonWriter w(body);
        w.begin_object();
        for (const auto& [k, t] : fields_) w.kv(k, t.render(ctx, Escape::kNone));
        w.end_object();
      }
      break;
    case BodyFormat::kXml:
      if (body_) body_->render_to(body, ctx, Escape::kXml);
      break;
  }

  // GET sends form fields in the query string.
  if (cfg_.method == "GET" && cfg_.format == BodyFormat::kForm && !body.empty()) {
    out.url += (out.url.find('?') == std::string::npos ? '?' : '&');
    out.url += body;
    body.clear();
  }

  bool has_ct = false;
  bool has_ua = false;
  for (const auto& [k, t] : headers_) {
    if (iequals(k, "content-type")) has_ct = true;
    if (iequals(k, "user-agent")) has_ua = true;
  }
  if (!has_ua) out.headers.emplace_back("User-Agent", std::string(user_agent));
  if (!has_ct && !body.empty()) {
    out.headers.emplace_back("Content-Type", std::string(content_type(cfg_.format)));
  }
  for (const auto& [k, t] : headers_) out.headers.emplace_back(k, t.render(ctx, Escape::kHeader));
  out.body = std::move(body);
  return out;
}

}  // namespace pp::buyers
