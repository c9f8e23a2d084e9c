#pragma once
// Reads a buyer's answer (C3): accepted / duplicate / rejected rules on a JSON path, an XML path
// or the text, and extraction of price, buyer lead id, redirect URL and reason. Pure; the answer
// is untrusted input: bounded by the client's size cap, parsed without entity expansion or
// network access (XML), regexes run on RE2 (linear time).
#include <memory>
#include <optional>
#include <string>

#include "buyers/http_types.h"
#include "core/config.h"
#include "core/money.h"

namespace re2 {
class RE2;
}

namespace pp::buyers {

enum class Verdict : uint8_t { kAccepted, kDuplicate, kRejected, kError };

struct MappedResponse {
  Verdict verdict = Verdict::kError;
  std::optional<Money> price;
  std::string buyer_lead_id;
  std::string redirect_url;
  std::string reason;  // for kRejected / kError: why (never echoes personal data we sent)
  std::vector<std::pair<std::string, std::string>> extra;  // mapped additional data (one-to-one)
};

class CompiledMapping {
 public:
  static std::optional<CompiledMapping> compile(const ResponseMappingConfig& cfg,
                                                std::string& error);

  MappedResponse map(const HttpResult& result) const;

 private:
  struct Rule {
    std::string path;
    std::vector<std::string> equals_lower;
    std::string contains_lower;
    std::shared_ptr<re2::RE2> regex;
    bool empty() const { return equals_lower.empty() && contains_lower.empty() && !regex; }
  };
  struct Extract {
    std::string path;
    std::shared_ptr<re2::RE2> regex;
    bool empty() const { return path.empty() && !regex; }
  };

 public:
  class Document;  // the parsed answer (JSON via simdjson, XML via libxml2, or text)

 private:
  static bool compile_rule(const MatchRule& in, Rule& out, std::string& error);
  static bool compile_extract(const Extractor& in, Extract& out, std::string& error);
  bool test(const Rule& r, const Document& doc) const;
  std::optional<std::string> extract(const Extract& e, const Document& doc) const;

  ResponseFormat format_ = ResponseFormat::kJson;
  Rule accepted_, duplicate_;
  Extract price_, lead_id_, redirect_, reason_;
  std::vector<std::pair<std::string, Extract>> extra_;
};

// The value at a JSON dot path ("data.bid", "items[0].id") of `body`, as text; nullopt when the
// body is not JSON or the path is absent. Used for {{lp_ping_response:KEY}}.
std::optional<std::string> json_value_at(std::string_view body, std::string_view path);

}  // namespace pp::buyers
