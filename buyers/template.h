#pragma once
// Merge-tag templates (C2): "{{field}}" and chained transformers "{{field||name:arg1@@arg2}}".
// A template is compiled once when the configuration loads (unknown transformers are configuration
// errors) and rendered per lead. Rendering escapes every substituted value for its destination.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace pp::buyers {

// Where a rendered value goes; decides how substituted values are escaped.
enum class Escape : uint8_t {
  kNone,    // raw (form values: the payload builder url-encodes the whole value afterwards)
  kUrl,     // inside a URL: percent-encoded
  kJson,    // inside a JSON document: JSON string escaping, no quotes added
  kXml,     // inside XML: entity escaping
  kHeader,  // a header value: CR/LF removed
};

// Supplies values for tags. Implemented by the engine over the lead, system fields and the
// buyer's ping answer ("lp_ping_response:KEY").
class TemplateContext {
 public:
  virtual ~TemplateContext() = default;
  // nullopt when the name is unknown (renders as empty unless a `default` transformer is given).
  virtual std::optional<std::string> lookup(std::string_view name) const = 0;
  // "Now" for transformers that need it (age). UTC milliseconds.
  virtual UnixMs now_ms() const = 0;
};

struct Transformer {
  enum class Kind : uint8_t {
    kUpper,
    kLower,
    kTrim,
    kUcFirst,
    kDigits,
    kPhone10,
    kNumber,
    kDate,
    kReplace,
    kChars,
    kMd5,
    kSha1,
    kSha256,
    kDefault,
    kAge,
    kUrlEncode,
    kBase64,
  };
  Kind kind;
  std::vector<std::string> args;
};

class Template {
 public:
  // Compiles `text`; returns nullopt and sets `error` for unbalanced braces, unknown transformers
  // or wrong argument counts.
  static std::optional<Template> compile(std::string_view text, std::string& error);

  std::string render(const TemplateContext& ctx, Escape escape) const;
  void render_to(std::string& out, const TemplateContext& ctx, Escape escape) const;
  bool has_tags() const;

  // Applies a chain of transformers to a value (exposed for tests and computed fields).
  static std::string apply(const std::vector<Transformer>& chain, std::string value,
                           const TemplateContext& ctx);

 private:
  struct Segment {
    bool is_tag = false;
    std::string text;  // literal text, or the tag's field name
    std::vector<Transformer> chain;
  };
  std::vector<Segment> segments_;
};

}  // namespace pp::buyers
