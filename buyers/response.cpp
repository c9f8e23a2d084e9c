#include "buyers/response.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <re2/re2.h>
#include <simdjson.h>

#include <cctype>
#include <mutex>
#include <tuple>

#include "buyers/css_select.h"
#include "core/text.h"

namespace pp::buyers {

namespace {

constexpr size_t kMaxValues = 16;        // values read at one path (wildcards, node sets)
constexpr size_t kMaxReasonBytes = 256;  // a rejection reason, joined
constexpr size_t kMaxLeadIdBytes = 128;  // the buyer's lead id
constexpr size_t kMaxValueBytes = 1024;  // an extra or kept value
constexpr size_t kMaxRedirectBytes = 2048;

void xml_silent(void*, xmlErrorPtr) {}

// libxml2 keeps its error handler per thread: every thread that parses or compiles sets it.
void xml_quiet_thread() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
  thread_local bool set = false;
  if (!set) {
    xmlSetStructuredErrorFunc(nullptr, xml_silent);
    set = true;
  }
}

// "data.items[0].status", "errors.*.message", "errors[*].message" or a JSON Pointer "/a/b".
std::vector<std::string> json_segments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty()) return out;
  if (path.front() == '/') {
    for (std::string_view raw : split(path.substr(1), "/")) {
      std::string seg;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
          seg.push_back(raw[i + 1] == '0' ? '~' : '/');
          ++i;
        } else {
          seg.push_back(raw[i]);
        }
      }
      out.push_back(std::move(seg));
    }
    return out;
  }
  std::string seg;
  bool pending = false;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '.') {
      if (pending || !seg.empty()) out.push_back(std::move(seg));
      seg.clear();
      pending = false;
    } else if (c == '[') {
      if (!seg.empty()) out.push_back(std::move(seg));
      seg.clear();
      size_t close = path.find(']', i);
      if (close == std::string_view::npos) close = path.size();
      std::string_view inner = path.substr(i + 1, close - i - 1);
      if (inner.size() >= 2 && (inner.front() == '"' || inner.front() == '\'') &&
          inner.back() == inner.front())
        inner = inner.substr(1, inner.size() - 2);  // ["key.with.dots"]
      out.emplace_back(inner);
      i = close;
      pending = false;
    } else {
      seg.push_back(c);
      pending = true;
    }
  }
  if (pending || !seg.empty()) out.push_back(std::move(seg));
  return out;
}

bool xml_name_char(char c) {
  return std::isalnum(uint8_t(c)) || c == '_' || c == '-' || c == '.' || uint8_t(c) >= 0x80;
}

// A plain element path ("Envelope/Body/Result", "/soap:Envelope//Message", "items/item[2]/@id",
// "a/b/text()") as XPath that matches elements and attributes by local name, whatever their
// namespace; nullopt when `p` is not such a path (it is then used as XPath as written).
std::optional<std::string> local_name_xpath(std::string_view p) {
  std::string out;
  size_t i = 0;
  if (p.starts_with("//")) {
    out = "//";
    i = 2;
  } else {
    out = "/";
    if (p.starts_with("/")) i = 1;
  }
  while (true) {
    size_t j = p.find('/', i);
    std::string_view step = p.substr(i, j == std::string_view::npos ? p.npos : j - i);
    if (step.empty()) return std::nullopt;
    std::string index;
    if (step.back() == ']') {
      size_t open = step.rfind('[');
      if (open == std::string_view::npos || open + 2 > step.size() - 1) return std::nullopt;
      std::string_view n = step.substr(open + 1, step.size() - open - 2);
      if (!parse_int(n) || *parse_int(n) < 1) return std::nullopt;
      index = "[" + std::string(n) + "]";
      step = step.substr(0, open);
    }
    bool attr = !step.empty() && step.front() == '@';
    if (attr) step.remove_prefix(1);
    if (step == "text()" && !attr && index.empty() && j == std::string_view::npos) {
      out += "text()";
      return out;
    }
    if (step == "*") {
      out += attr ? "@*" : "*";
    } else {
      size_t colon = step.find(':');
      std::string_view local = colon == std::string_view::npos ? step : step.substr(colon + 1);
      if (local.empty() || (colon != std::string_view::npos && colon == 0)) return std::nullopt;
      for (char c : step.substr(0, colon == std::string_view::npos ? 0 : colon))
        if (!xml_name_char(c)) return std::nullopt;
      for (char c : local)
        if (!xml_name_char(c)) return std::nullopt;
      out += std::string(attr ? "@" : "") + "*[local-name()='" + std::string(local) + "']";
    }
    out += index;
    if (j == std::string_view::npos) return out;
    if (j + 1 < p.size() && p[j + 1] == '/') {
      out += "//";
      i = j + 2;
    } else {
      out += "/";
      i = j + 1;
    }
  }
}

bool xpath_compiles(const std::string& xpath) {
  xml_quiet_thread();
  xmlXPathCompExprPtr c = xmlXPathCompile(reinterpret_cast<const xmlChar*>(xpath.c_str()));
  if (c == nullptr) return false;
  xmlXPathFreeCompExpr(c);
  return true;
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

// The capture groups of the first match of `re` in `text` ([0] is the whole match).
bool regex_groups(const re2::RE2& re, std::string_view text, std::vector<re2::StringPiece>& g) {
  g.assign(size_t(re.NumberOfCapturingGroups()) + 1, re2::StringPiece());
  return re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                  g.data(), int(g.size()));
}

std::string xml_string(xmlChar* s) {
  std::string out = s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  if (s) xmlFree(s);
  return out;
}

}  // namespace

// The parsed answer, for whichever format the mapping reads.
class CompiledMapping::Document {
 public:
  Document(ResponseFormat f, std::string_view body, bool parse) : format_(f), body_(body) {
    if (!parse) return;
    switch (f) {
      case ResponseFormat::kJson: {
        // One parser per thread: it keeps its buffers between calls.
        thread_local simdjson::dom::parser parser;
        auto r = parser.parse(body.data(), body.size());
        if (r.error() == simdjson::SUCCESS) {
          root_ = r.value_unsafe();
          parsed_ = true;
        }
        break;
      }
      case ResponseFormat::kXml:
        xml_quiet_thread();
        // No entity substitution, no DTD loading, no network: hostile XML stays inert.
        xml_ = xmlReadMemory(
            body.data(), int(body.size()), "answer.xml", nullptr,
            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
        parsed_ = xml_ != nullptr;
        break;
      case ResponseFormat::kHtml:
        xml_quiet_thread();
        if (!trim(body).empty()) {
          xml_ = htmlReadMemory(body.data(), int(body.size()), "answer.html", nullptr,
                                HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
        }
        parsed_ = xml_ != nullptr;
        break;
      case ResponseFormat::kForm:
        if (!trim(body).empty()) {
          if (auto f = parse_form(trim(body))) {
            form_ = std::move(*f);
            parsed_ = true;
          }
        }
        break;
      case ResponseFormat::kText:
        parsed_ = true;
        break;
    }
  }
  ~Document() {
    if (xml_) xmlFreeDoc(xml_);
  }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  bool parsed() const { return parsed_; }
  std::string_view body() const { return body_; }

  // Calls `fn(std::string_view)` for every value at `path` (at most kMaxValues) until it returns
  // true; returns whether one did. JSON strings are unquoted, numbers and booleans appear as their
  // JSON text, null is no value, objects as minified JSON; an array is its elements when
  // `expand`, else minified JSON. XML/HTML: each node's text, or an attribute's value. The whole
  // body when the path is empty or the format is text.
  template <class F>
  bool visit(const Path& path, bool expand, F&& fn) const {
    if (path.empty() || format_ == ResponseFormat::kText) return fn(body_);
    if (!parsed_) return false;
    size_t budget = kMaxValues;
    switch (format_) {
      case ResponseFormat::kJson:
        return walk(root_, path.segments, 0, expand, budget, fn);
      case ResponseFormat::kXml:
      case ResponseFormat::kHtml:
        return xpath_visit(path.xpath, fn);
      case ResponseFormat::kForm:
        for (const auto& [k, v] : form_) {
          if (k == path.raw && budget-- > 0 && fn(std::string_view(v))) return true;
        }
        return false;
      case ResponseFormat::kText:
        break;
    }
    return false;
  }

  void values(const Path& path, bool expand, std::vector<std::string>& out) const {
    visit(path, expand, [&](std::string_view v) {
      out.emplace_back(v);
      return false;
    });
  }

 private:
  template <class F>
  static bool walk(simdjson::dom::element el, const std::vector<std::string>& segs, size_t i,
                   bool expand, size_t& budget, F& fn) {
    if (budget == 0) return false;
    if (i == segs.size()) return json_text(el, expand, budget, fn);
    const std::string& seg = segs[i];
    if (el.is_object()) {
      simdjson::dom::object obj = el.get_object().value_unsafe();
      if (seg == "*") {
        for (auto field : obj)
          if (walk(field.value, segs, i + 1, expand, budget, fn)) return true;
      } else if (auto r = obj.at_key(seg); r.error() == simdjson::SUCCESS) {
        return walk(r.value_unsafe(), segs, i + 1, expand, budget, fn);
      }
    } else if (el.is_array()) {
      simdjson::dom::array arr = el.get_array().value_unsafe();
      if (seg == "*") {
        for (auto v : arr)
          if (walk(v, segs, i + 1, expand, budget, fn)) return true;
      } else if (auto n = parse_int(seg); n && *n >= 0) {
        if (auto r = arr.at(size_t(*n)); r.error() == simdjson::SUCCESS)
          return walk(r.value_unsafe(), segs, i + 1, expand, budget, fn);
      }
    }
    return false;
  }

  template <class F>
  static bool json_text(simdjson::dom::element el, bool expand, size_t& budget, F& fn) {
    if (budget == 0) return false;
    if (el.is_string()) {
      --budget;
      return fn(el.get_string().value_unsafe());
    }
    if (el.is_null()) return false;
    if (expand && el.is_array()) {
      simdjson::dom::array arr = el.get_array().value_unsafe();
      for (auto v : arr)
        if (json_text(v, false, budget, fn)) return true;
      return false;
    }
    --budget;
    std::string text = simdjson::minify(el);
    return fn(std::string_view(text));
  }

  template <class F>
  bool xpath_visit(const std::string& xpath, F& fn) const {
    xmlXPathContextPtr ctx = xmlXPathNewContext(xml_);
    if (!ctx) return false;
    xmlXPathObjectPtr obj =
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx);
    bool stopped = false;
    if (obj && obj->type == XPATH_NODESET && obj->nodesetval) {
      for (int i = 0; i < obj->nodesetval->nodeNr && i < int(kMaxValues) && !stopped; ++i) {
        std::string v = xml_string(xmlNodeGetContent(obj->nodesetval->nodeTab[i]));
        stopped = fn(std::string_view(v));
      }
    } else if (obj && obj->type != XPATH_NODESET) {
      std::string v = xml_string(xmlXPathCastToString(obj));
      stopped = fn(std::string_view(v));
    }
    if (obj) xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    return stopped;
  }

  ResponseFormat format_;
  std::string_view body_;
  bool parsed_ = false;
  simdjson::dom::element root_;
  xmlDocPtr xml_ = nullptr;
  std::vector<std::pair<std::string, std::string>> form_;
};

bool CompiledMapping::compile_path(const std::string& in, Path& out, std::string& error) const {
  out.raw = in;
  if (in.empty()) return true;
  if (in.size() > 1024) {
    error = "a path is at most 1024 characters";
    return false;
  }
  switch (format_) {
    case ResponseFormat::kJson:
      out.segments = json_segments(in);
      return true;
    case ResponseFormat::kXml: {
      auto local = local_name_xpath(in);
      out.xpath = local ? *local : in;  // anything else is XPath as written
      break;
    }
    case ResponseFormat::kHtml: {
      auto x = css_to_xpath(in, error);
      if (!x) return false;
      out.xpath = *x;
      break;
    }
    case ResponseFormat::kForm:
    case ResponseFormat::kText:
      return true;
  }
  if (!xpath_compiles(out.xpath)) {
    error = "invalid XPath '" + out.xpath + "'";
    return false;
  }
  return true;
}

bool CompiledMapping::compile_rule(const MatchRule& in, Rule& out, std::string_view key,
                                   std::string& error) const {
  if (!compile_path(in.path, out.path, error)) {
    error = std::string(key) + ".path: " + error;
    return false;
  }
  for (const auto& e : in.equals) out.equals_lower.push_back(to_lower(e));
  out.contains_lower = to_lower(in.contains);
  if (!in.regex.empty()) {
    out.regex = compile_re(in.regex, error);
    if (!out.regex) {
      error = std::string(key) + ".regex: " + error;
      return false;
    }
  }
  return true;
}

bool CompiledMapping::compile_extract(const Extractor& in, Extract& out, std::string_view key,
                                      std::string& error) const {
  if (!compile_path(in.path, out.path, error)) {
    error = std::string(key) + ".path: " + error;
    return false;
  }
  if (!in.regex.empty()) {
    out.regex = compile_re(in.regex, error);
    if (out.regex && out.regex->NumberOfCapturingGroups() < 1)
      error = "an extracting regex needs a capture group";
    if (!out.regex || out.regex->NumberOfCapturingGroups() < 1) {
      error = std::string(key) + ".regex: " + error;
      return false;
    }
  }
  return true;
}

std::optional<CompiledMapping> CompiledMapping::compile(const ResponseMappingConfig& cfg,
                                                        std::string& error) {
  CompiledMapping m;
  m.format_ = cfg.format;
  m.no_match_ = cfg.no_match;
  m.status_ = cfg.status;
  m.default_reason_ = one_line(cfg.default_reason, kMaxReasonBytes);
  m.keep_cookies_ = cfg.keep_cookies;
  if (!m.compile_rule(cfg.accepted, m.accepted_, "accepted", error) ||
      !m.compile_rule(cfg.rejected, m.rejected_, "rejected", error) ||
      !m.compile_rule(cfg.duplicate, m.duplicate_, "duplicate", error) ||
      !m.compile_extract(cfg.price, m.price_, "price", error) ||
      !m.compile_extract(cfg.lead_id, m.lead_id_, "lead_id", error) ||
      !m.compile_extract(cfg.redirect_url, m.redirect_, "redirect_url", error) ||
      !m.compile_extract(cfg.reason, m.reason_, "reason", error)) {
    return std::nullopt;
  }
  for (auto [list, out, key] :
       {std::tuple{&cfg.extra, &m.extra_, "extra."}, std::tuple{&cfg.keep, &m.keep_, "keep."}}) {
    for (const auto& [name, ex] : *list) {
      Extract e;
      if (!m.compile_extract(ex, e, key + name, error)) return std::nullopt;
      out->emplace_back(name, std::move(e));
    }
  }
  auto reads_path = [](const Path& p) { return !p.empty(); };
  bool needs = false;
  for (const Rule* r : {&m.accepted_, &m.rejected_, &m.duplicate_})
    needs = needs || (!r->empty() && reads_path(r->path));
  for (const Extract* e : {&m.price_, &m.lead_id_, &m.redirect_, &m.reason_})
    needs = needs || reads_path(e->path);
  for (const auto* list : {&m.extra_, &m.keep_})
    for (const auto& [name, e] : *list) needs = needs || reads_path(e.path);
  m.needs_doc_ = needs && m.format_ != ResponseFormat::kText;
  return m;
}

bool CompiledMapping::test(const Rule& r, const Document& doc) const {
  return doc.visit(r.path, true, [&](std::string_view v) {
    std::string_view s = trim(v);
    for (const auto& e : r.equals_lower) {
      if (iequals(s, e)) return true;
    }
    if (!r.contains_lower.empty() && to_lower(s).find(r.contains_lower) != std::string::npos)
      return true;
    return r.regex && RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *r.regex);
  });
}

Verdict CompiledMapping::decide(const Document& doc, bool success) const {
  if (!duplicate_.empty() && test(duplicate_, doc)) return Verdict::kDuplicate;
  if (!rejected_.empty() && test(rejected_, doc)) return Verdict::kRejected;
  Verdict v;
  if (!accepted_.empty() && test(accepted_, doc))
    v = Verdict::kAccepted;
  else if (no_match_)
    v = *no_match_;
  else
    v = accepted_.empty() ? Verdict::kAccepted : Verdict::kRejected;
  // A 4xx never sells.
  return v == Verdict::kAccepted && !success ? Verdict::kRejected : v;
}

std::optional<std::string> CompiledMapping::first(const Extract& e, const Document& doc) const {
  if (e.regex) {
    std::vector<re2::StringPiece> g;
    if (!regex_groups(*e.regex, doc.body(), g)) return std::nullopt;
    for (size_t i = 1; i < g.size(); ++i) {
      if (g[i].data() != nullptr)
        return std::string(trim(std::string_view(g[i].data(), g[i].size())));
    }
    return std::nullopt;
  }
  if (e.path.empty() || !doc.parsed()) return std::nullopt;
  std::optional<std::string> out;
  doc.visit(e.path, false, [&](std::string_view v) {
    if (trim(v).empty()) return false;
    out = std::string(trim(v));
    return true;
  });
  return out;
}

const StatusRule* CompiledMapping::status_rule(int status) const {
  const StatusRule* cls = nullptr;
  for (const auto& r : status_) {
    if (!r.whole_class && r.code == status) return &r;
    if (r.whole_class && r.code == status / 100 && !cls) cls = &r;
  }
  return cls;
}

std::optional<std::string> json_value_at(std::string_view body, std::string_view path) {
  CompiledMapping::Document doc(ResponseFormat::kJson, body, true);
  if (!doc.parsed()) return std::nullopt;
  CompiledMapping::Path p;
  p.raw = std::string(path);
  p.segments = json_segments(path);
  std::vector<std::string> vals;
  doc.values(p, false, vals);
  if (vals.empty()) return std::nullopt;
  return vals.front();
}

MappedResponse CompiledMapping::map(const HttpResult& res, std::string_view request_url) const {
  MappedResponse out;
  if (!res.ok()) {
    out.verdict = Verdict::kError;
    out.reason = std::string(to_string(res.error));
    return out;
  }
  const int status = res.status;
  const bool success = status >= 200 && status <= 299;
  auto http = [status] { return "HTTP " + std::to_string(status); };
  const StatusRule* rule = status_rule(status);
  const bool body_status =
      success || (status >= 400 && status <= 499 && status != 408 && status != 429);
  if (rule == nullptr && !body_status) {
    out.verdict = Verdict::kError;
    out.reason = http();
    return out;
  }
  Document doc(format_, res.body, needs_doc_);
  const bool readable = !needs_doc_ || doc.parsed();
  if (rule != nullptr) {
    out.verdict = rule->verdict;
  } else if (!readable) {
    out.verdict = Verdict::kError;
    std::string what = "invalid " + to_upper(to_string(format_)) + " answer";
    out.reason = success ? what : http() + ": " + what;
    return out;
  } else {
    out.verdict = decide(doc, success);
  }

  if (auto p = first(price_, doc)) {
    auto m = Money::parse(*p);
    if (m && *m >= Money()) out.price = m;
  }
  if (auto id = first(lead_id_, doc)) out.buyer_lead_id = one_line(*id, kMaxLeadIdBytes);
  if (auto u = first(redirect_, doc)) {
    std::string_view url = trim(*u);
    // Only absolute http(s) URLs are passed back to the supplier.
    if (url.size() <= kMaxRedirectBytes &&
        (starts_with_icase(url, "http://") || starts_with_icase(url, "https://")) &&
        url.find_first_of(" \t\r\n\"<>") == std::string_view::npos)
      out.redirect_url = std::string(url);
  }
  if (out.verdict != Verdict::kAccepted) {
    std::vector<std::string> parts;
    if (reason_.regex) {
      if (auto r = first(reason_, doc)) parts.push_back(*r);
    } else if (!reason_.path.empty() && doc.parsed()) {
      doc.values(reason_.path, true, parts);
    }
    for (const auto& p : parts) {
      std::string line = one_line(p, kMaxReasonBytes);
      if (line.empty()) continue;
      if (out.reason.size() + line.size() + 2 > kMaxReasonBytes + 64) break;
      out.reason += (out.reason.empty() ? "" : "; ") + line;
    }
    out.reason = std::string(utf8_prefix(out.reason, kMaxReasonBytes));
    if (out.reason.empty()) out.reason = default_reason_;
    if (out.reason.empty() && !success) out.reason = http();
  }
  for (const auto& [name, e] : extra_) {
    if (auto v = first(e, doc)) out.extra.emplace_back(name, utf8_prefix(*v, kMaxValueBytes));
  }
  for (const auto& [name, e] : keep_) {
    std::vector<re2::StringPiece> g;
    if (e.regex && !e.regex->NamedCapturingGroups().empty()) {
      // Named groups: one value each, under the group's name.
      if (!regex_groups(*e.regex, doc.body(), g)) continue;
      for (const auto& [index, group] : e.regex->CapturingGroupNames()) {  // in pattern order
        const auto& piece = g[size_t(index)];
        if (piece.data() == nullptr) continue;
        std::string_view v = trim(std::string_view(piece.data(), piece.size()));
        if (!v.empty()) out.kept.emplace_back(group, utf8_prefix(v, kMaxValueBytes));
      }
    } else if (auto v = first(e, doc)) {
      out.kept.emplace_back(name, utf8_prefix(*v, kMaxValueBytes));
    }
  }
  if (keep_cookies_ && !request_url.empty()) out.cookies = cookies_from(res.headers, request_url);
  return out;
}

}  // namespace pp::buyers
