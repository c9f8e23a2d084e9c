#pragma once
// Reads a buyer's answer (C3): what it means (accepted, duplicate, rejected, or an error of the
// buyer), and the values it carries (price, buyer lead id, redirect URL, reason, kept values,
// cookies). Pure translator, fixture-tested (tests/data/answers). The answer is untrusted input:
// bounded by the client's size cap, parsed without entity expansion or network access (XML and
// HTML via libxml2), regexes on RE2 (linear time), every kept value bounded.
//
// How an answer is read, in order:
//  1. A transport failure or timeout is an error.
//  2. A `status` rule for the code (exact code first, then its class) decides the outcome.
//  3. Without one, 5xx, 1xx, 3xx, 408 and 429 are errors (the buyer could not take the lead now).
//  4. 2xx and other 4xx answers are read by the body rules: duplicate, then rejected, then
//     accepted; when none matches, `no_match` (default: accepted without an accepted rule, else
//     rejected). A 4xx never sells: what would be accepted is rejected. An answer the rules
//     need but cannot parse is an error.
//  5. A rejection's reason is every value at the reason path, joined ("; "), else
//     `default_reason`, else "HTTP <status>" for a non-2xx answer.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "buyers/cookies.h"
#include "buyers/http_types.h"
#include "core/config.h"
#include "core/money.h"

namespace re2 {
class RE2;
}

namespace pp::buyers {

using Verdict = AnswerVerdict;

struct MappedResponse {
  Verdict verdict = Verdict::kError;
  std::optional<Money> price;  // a non-negative amount, when the answer had one
  std::string buyer_lead_id;
  std::string redirect_url;
  std::string reason;  // for anything but kAccepted: why, one line of at most 256 bytes
  std::vector<std::pair<std::string, std::string>> extra;  // mapped additional data (one-to-one)
  std::vector<std::pair<std::string, std::string>> kept;   // `keep` values
  std::vector<Cookie> cookies;                             // Set-Cookie (keep_cookies)
};

class CompiledMapping {
 public:
  // nullopt with `error` = "<key>.<what>: why" (e.g. "rejected.regex: invalid regex: ...").
  static std::optional<CompiledMapping> compile(const ResponseMappingConfig& cfg,
                                                std::string& error);

  // `request_url`: where the request went (for the cookies the answer sets; empty: none kept).
  MappedResponse map(const HttpResult& result, std::string_view request_url = {}) const;

  // A value path, compiled for the mapping's format.
  struct Path {
    std::string raw;                    // as configured; empty = the whole body
    std::vector<std::string> segments;  // JSON: object keys, array indexes, "*"
    std::string xpath;                  // XML and HTML
    bool empty() const { return raw.empty(); }
  };
  class Document;  // the parsed answer (JSON via simdjson, XML/HTML via libxml2, form, text)

 private:
  struct Rule {
    Path path;
    std::vector<std::string> equals_lower;
    std::string contains_lower;
    std::shared_ptr<re2::RE2> regex;
    bool empty() const { return equals_lower.empty() && contains_lower.empty() && !regex; }
  };
  struct Extract {
    Path path;
    std::shared_ptr<re2::RE2> regex;
    bool empty() const { return path.empty() && !regex; }
  };

  bool compile_path(const std::string& in, Path& out, std::string& error) const;
  bool compile_rule(const MatchRule& in, Rule& out, std::string_view key, std::string& error) const;
  bool compile_extract(const Extractor& in, Extract& out, std::string_view key,
                       std::string& error) const;
  bool test(const Rule& r, const Document& doc) const;
  Verdict decide(const Document& doc, bool success) const;
  // The first non-blank value (trimmed).
  std::optional<std::string> first(const Extract& e, const Document& doc) const;
  const StatusRule* status_rule(int status) const;

  ResponseFormat format_ = ResponseFormat::kJson;
  Rule accepted_, rejected_, duplicate_;
  std::optional<Verdict> no_match_;
  std::vector<StatusRule> status_;
  Extract price_, lead_id_, redirect_, reason_;
  std::string default_reason_;
  std::vector<std::pair<std::string, Extract>> extra_, keep_;
  bool keep_cookies_ = true;
  bool needs_doc_ = false;  // some rule or extractor reads a path
};

// The value at a JSON dot path ("data.bid", "items[0].id") of `body`, as text; nullopt when the
// body is not JSON or the path is absent. Used for {{lp_ping_response:KEY}}.
std::optional<std::string> json_value_at(std::string_view body, std::string_view path);

}  // namespace pp::buyers
