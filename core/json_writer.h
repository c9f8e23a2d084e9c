#pragma once
// A small streaming JSON writer for responses on the hot path.
//
// Why not Boost.JSON here: Boost.JSON 1.81 serializes doubles in exponent form ("1.33E1"), and
// money must appear exactly as the reference API shows it (13.3, at most 4 decimals). This writer
// emits Money from its integer form, never through a double. Boost.JSON is used for configuration.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"

namespace pp {

// Appends `s` to `out` as a JSON string literal (with quotes), escaping per RFC 8259.
// Invalid UTF-8 bytes are replaced by U+FFFD so the output is always valid JSON.
void json_escape_append(std::string& out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(uint64_t v);
  JsonWriter& value(bool b);
  JsonWriter& value(Money m);                 // as a JSON number: 13.3
  JsonWriter& money_string(Money m);          // as a JSON string: "13.3" (debug log shape)
  JsonWriter& fixed(double v, int decimals);  // for timings (ms); never for money
  JsonWriter& null();
  JsonWriter& raw(std::string_view json);  // pre-serialized JSON value

  template <class T>
  JsonWriter& kv(std::string_view k, T&& v) {
    key(k);
    return value(std::forward<T>(v));
  }

 private:
  void before_value();
  std::string& out_;
  // One entry per open container: true when the next element needs a comma.
  std::vector<bool> need_comma_;
  bool after_key_ = false;
};

}  // namespace pp
