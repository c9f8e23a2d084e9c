#pragma once
// Small string utilities shared by every module. No allocation unless the result is a string.
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pp {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
inline char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c; }
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
std::string_view trim(std::string_view s);
bool starts_with_icase(std::string_view s, std::string_view prefix);

// application/x-www-form-urlencoded
std::string url_encode(std::string_view s);
// Returns nullopt on a malformed percent escape. '+' decodes to a space.
std::optional<std::string> url_decode(std::string_view s);
// Parses "a=1&b=2" into ordered pairs; nullopt on a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view body);

std::string xml_escape(std::string_view s);
std::string hex_encode(std::string_view bytes);
// The bytes of lower- or upper-case hex; false when `hex` is not an even run of hex digits.
bool hex_decode(std::string_view hex, std::string& out);

// Compares two strings in time that depends only on their lengths.
bool constant_time_equals(std::string_view a, std::string_view b);

// Parses a whole base-10 integer; nullopt on anything else or overflow.
std::optional<int64_t> parse_int(std::string_view s);

// "a, b, c" (the items joined with `sep`).
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

// Splits on every occurrence of `sep` ("a,,b" -> "a", "", "b"); the views point into `s`.
std::vector<std::string_view> split(std::string_view s, std::string_view sep);

// At most `max_bytes` of `s`, cut on a UTF-8 character boundary (never half a character).
std::string_view utf8_prefix(std::string_view s, size_t max_bytes);

// One readable line from untrusted text: every run of white space or control characters becomes
// one space, the ends are trimmed, and the result is cut to `max_bytes` on a UTF-8 boundary.
std::string one_line(std::string_view s, size_t max_bytes);

// Appends the decimal text of an integer, without a temporary string.
template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  out.append(buf, size_t(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
}

// Removes CR, LF and NUL (header values built from lead data must not split headers).
std::string strip_crlf(std::string_view s);

// HTTP heads written by hand (the buyer client's requests, the server's answers): appends
// "name: value\r\n" for each header, CR, LF and NUL dropped as strip_crlf does, skipping empty
// names, the names in `ours` (the writer's own, such as Content-Length; case-insensitive) and a
// header that a later one of the same name replaces (the later wins, as with a header map's set).
void append_header_lines(std::string& out,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::initializer_list<std::string_view> ours);

}  // namespace pp
