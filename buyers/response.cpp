#include "buyers/response.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <re2/re2.h>
#include <simdjson.h>

#include <mutex>

#include "core/text.h"

namespace pp::buyers {

namespace {

void xml_silent(void*, xmlErrorPtr) {}

void xml_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

// "data.items[0].status" or "data.items.0.status" -> JSON Pointer "/data/items/0/status".
std::string to_json_pointer(std::string_view path) {
  std::string out;
  if (!path.empty() && path.front() == '/') return std::string(path);  // already a pointer
  std::string seg;
  auto flush = [&] {
    out.push_back('/');
    for (char c : seg) {
      if (c == '~')
        out += "~0";
      else if (c == '/')
        out += "~1";
      else
        out.push_back(c);
    }
    seg.clear();
  };
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '.') {
      flush();
    } else if (c == '[') {
      if (!seg.empty()) flush();
      size_t close = path.find(']', i);
      if (close == std::string_view::npos) close = path.size();
      seg = std::string(path.substr(i + 1, close - i - 1));
      flush();
      i = close;
      if (i + 1 < path.size() && path[i + 1] == '.') ++i;
    } else {
      seg.push_back(c);
    }
  }
  if (!seg.empty() || out.empty()) flush();
  return out;
}

std::shared_ptr<re2::RE2> compile_re(const std::string& pattern, std::string& error) {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_case_sensitive(false);
  o.set_max_mem(1 << 20);
  auto re = std::make_shared<re2::RE2>(pattern, o);
  if (!re->ok()) {
    error = "invalid regex: " + re->error();
    return nullptr;
  }
  return re;
}

}  // namespace

// The parsed answer, for whichever format the mapping reads.
class CompiledMapping::Document {
 public:
  Document(ResponseFormat f, std::string_view body) : format_(f), body_(body) {
    if (f == ResponseFormat::kJson) {
      // One parser per thread: it keeps its buffers between calls.
      thread_local simdjson::dom::parser parser;
      auto r = parser.parse(body.data(), body.size());
      if (r.error() == simdjson::SUCCESS) {
        root_ = r.value_unsafe();
        parsed_ = true;
      }
    } else if (f == ResponseFormat::kXml) {
      xml_init_once();
      xmlSetStructuredErrorFunc(nullptr, xml_silent);
      // No entity substitution, no DTD loading, no network: hostile XML stays inert.
      xml_ = xmlReadMemory(
          body.data(), int(body.size()), "answer.xml", nullptr,
          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
      parsed_ = xml_ != nullptr;
    } else {
      parsed_ = true;
    }
  }
  ~Document() {
    if (xml_) xmlFreeDoc(xml_);
  }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  bool parsed() const { return parsed_; }
  std::string_view body() const { return body_; }

  // The value at `path` as text; nullopt when absent. JSON strings are unquoted; numbers and
  // booleans appear as their JSON text; objects/arrays as minified JSON.
  std::optional<std::string> at(const std::string& path) const {
    if (!parsed_) return std::nullopt;
    if (format_ == ResponseFormat::kText) return std::string(body_);
    if (format_ == ResponseFormat::kJson) {
      auto e = root_.at_pointer(to_json_pointer(path));
      if (e.error() != simdjson::SUCCESS) return std::nullopt;
      simdjson::dom::element el = e.value_unsafe();
      if (el.is_string()) return std::string(el.get_string().value_unsafe());
      if (el.is_null()) return std::nullopt;
      return simdjson::minify(el);
    }
    std::string xpath = "string(" + (path.empty() || path[0] != '/' ? "/" + path : path) + ")";
    xmlXPathContextPtr ctx = xmlXPathNewContext(xml_);
    if (!ctx) return std::nullopt;
    xmlXPathObjectPtr obj =
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx);
    std::optional<std::string> out;
    if (obj && obj->type == XPATH_STRING && obj->stringval && obj->stringval[0] != 0) {
      out = std::string(reinterpret_cast<const char*>(obj->stringval));
    }
    if (obj) xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    return out;
  }

 private:
  ResponseFormat format_;
  std::string_view body_;
  bool parsed_ = false;
  simdjson::dom::element root_;
  xmlDocPtr xml_ = nullptr;
};

bool CompiledMapping::compile_rule(const MatchRule& in, Rule& out, std::string& error) {
  out.path = in.path;
  for (const auto& e : in.equals) out.equals_lower.push_back(to_lower(e));
  out.contains_lower = to_lower(in.contains);
  if (!in.regex.empty()) {
    out.regex = compile_re(in.regex, error);
    if (!out.regex) return false;
  }
  return true;
}

bool CompiledMapping::compile_extract(const Extractor& in, Extract& out, std::string& error) {
  out.path = in.path;
  if (!in.regex.empty()) {
    out.regex = compile_re(in.regex, error);
    if (!out.regex) return false;
    if (out.regex->NumberOfCapturingGroups() < 1) {
      error = "an extracting regex needs one capture group";
      return false;
    }
  }
  return true;
}

std::optional<CompiledMapping> CompiledMapping::compile(const ResponseMappingConfig& cfg,
                                                        std::string& error) {
  CompiledMapping m;
  m.format_ = cfg.format;
  if (!compile_rule(cfg.accepted, m.accepted_, error) ||
      !compile_rule(cfg.duplicate, m.duplicate_, error) ||
      !compile_extract(cfg.price, m.price_, error) ||
      !compile_extract(cfg.lead_id, m.lead_id_, error) ||
      !compile_extract(cfg.redirect_url, m.redirect_, error) ||
      !compile_extract(cfg.reason, m.reason_, error)) {
    return std::nullopt;
  }
  for (const auto& [name, ex] : cfg.extra) {
    Extract e;
    if (!compile_extract(ex, e, error)) return std::nullopt;
    m.extra_.emplace_back(name, std::move(e));
  }
  return m;
}

bool CompiledMapping::test(const Rule& r, const Document& doc) const {
  // Text rules and regexes look at the whole body unless a path is given.
  std::optional<std::string> v;
  if (r.path.empty())
    v = std::string(doc.body());
  else
    v = doc.at(r.path);
  if (!v) return false;
  std::string_view s = trim(*v);
  for (const auto& e : r.equals_lower) {
    if (iequals(s, e)) return true;
  }
  if (!r.contains_lower.empty() && to_lower(s).find(r.contains_lower) != std::string::npos)
    return true;
  if (r.regex && RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *r.regex)) return true;
  return false;
}

std::optional<std::string> CompiledMapping::extract(const Extract& e, const Document& doc) const {
  if (e.regex) {
    std::string cap;
    std::string_view b = doc.body();
    if (RE2::PartialMatch(re2::StringPiece(b.data(), b.size()), *e.regex, &cap)) return cap;
    return std::nullopt;
  }
  if (e.path.empty()) return std::nullopt;
  return doc.at(e.path);
}

std::optional<std::string> json_value_at(std::string_view body, std::string_view path) {
  CompiledMapping::Document doc(ResponseFormat::kJson, body);
  if (!doc.parsed()) return std::nullopt;
  return doc.at(std::string(path));
}

MappedResponse CompiledMapping::map(const HttpResult& res) const {
  MappedResponse out;
  if (!res.ok()) {
    out.verdict = Verdict::kError;
    out.reason = std::string(to_string(res.error));
    return out;
  }
  if (res.status < 200 || res.status > 299) {
    out.verdict = Verdict::kError;
    out.reason = "HTTP " + std::to_string(res.status);
    return out;
  }
  Document doc(format_, res.body);
  bool needs_doc = format_ != ResponseFormat::kText &&
                   (!accepted_.path.empty() || !duplicate_.path.empty() || !price_.path.empty() ||
                    !lead_id_.path.empty() || !redirect_.path.empty() || !reason_.path.empty() ||
                    !extra_.empty());
  if (needs_doc && !doc.parsed()) {
    out.verdict = Verdict::kError;
    out.reason = format_ == ResponseFormat::kJson ? "invalid JSON answer" : "invalid XML answer";
    return out;
  }

  if (accepted_.empty() || test(accepted_, doc))
    out.verdict = Verdict::kAccepted;
  else if (!duplicate_.empty() && test(duplicate_, doc))
    out.verdict = Verdict::kDuplicate;
  else
    out.verdict = Verdict::kRejected;

  if (auto p = extract(price_, doc)) out.price = Money::parse(*p);
  if (auto id = extract(lead_id_, doc)) out.buyer_lead_id = id->substr(0, 128);
  if (auto u = extract(redirect_, doc)) {
    std::string_view url = trim(*u);
    // Only absolute http(s) URLs are passed back to the supplier.
    if (url.size() <= 2048 &&
        (starts_with_icase(url, "http://") || starts_with_icase(url, "https://")))
      out.redirect_url = std::string(url);
  }
  if (out.verdict != Verdict::kAccepted) {
    if (auto r = extract(reason_, doc)) out.reason = r->substr(0, 256);
  }
  for (const auto& [name, e] : extra_) {
    if (auto v = extract(e, doc)) out.extra.emplace_back(name, v->substr(0, 1024));
  }
  return out;
}

}  // namespace pp::buyers
