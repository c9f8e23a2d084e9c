#include "buyers/css_select.h"

#include <cctype>

#include "core/text.h"

namespace pp::buyers {

std::string xpath_literal(std::string_view s) {
  if (s.find('\'') == std::string_view::npos) return "'" + std::string(s) + "'";
  if (s.find('"') == std::string_view::npos) return "\"" + std::string(s) + "\"";
  // Both quote kinds: concat('it', "'", 's "x"').
  std::string out = "concat(";
  size_t start = 0;
  bool first = true;
  while (start <= s.size()) {
    size_t q = s.find('\'', start);
    std::string_view part = s.substr(start, q == std::string_view::npos ? s.npos : q - start);
    if (!part.empty()) {
      out += (first ? "" : ",") + std::string("'") + std::string(part) + "'";
      first = false;
    }
    if (q == std::string_view::npos) break;
    out += (first ? "" : ",") + std::string("\"'\"");
    first = false;
    start = q + 1;
  }
  return out + ")";
}

namespace {

// A recursive-descent reader over one selector group.
class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::optional<std::string> run(std::string& error) {
    std::string out;
    skip_ws();
    if (done()) return fail(error, "is empty");
    while (true) {
      std::string one;
      if (!selector(one)) return fail(error, why_);
      out += (out.empty() ? "" : " | ") + one;
      skip_ws();
      if (done()) break;
      if (peek() != ',') return fail(error, "unexpected '" + std::string(1, peek()) + "'");
      ++pos_;
      skip_ws();
      if (done()) return fail(error, "ends with ','");
    }
    return out;
  }

 private:
  std::optional<std::string> fail(std::string& error, const std::string& why) {
    error =
        "invalid CSS selector '" + std::string(s_) + "' at " + std::to_string(pos_) + ": " + why;
    return std::nullopt;
  }
  bool bad(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    return false;
  }
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  void skip_ws() {
    while (!done() && std::isspace(uint8_t(s_[pos_]))) ++pos_;
  }
  static bool ident_char(char c) {
    return std::isalnum(uint8_t(c)) || c == '-' || c == '_' || uint8_t(c) >= 0x80;
  }
  // An identifier, with CSS backslash escapes of single characters ("a\.b").
  bool ident(std::string& out) {
    size_t start = pos_;
    while (!done()) {
      char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size()) {
        out.push_back(s_[pos_ + 1]);
        pos_ += 2;
      } else if (ident_char(c)) {
        out.push_back(c);
        ++pos_;
      } else {
        break;
      }
    }
    return pos_ > start || bad("expected a name");
  }
  bool quoted_or_ident(std::string& out) {
    char q = peek();
    if (q != '"' && q != '\'') return ident(out);
    ++pos_;
    while (!done() && s_[pos_] != q) {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out.push_back(s_[pos_++]);
    }
    if (done()) return bad("unterminated string");
    ++pos_;
    return true;
  }
  bool number(int& out) {
    size_t start = pos_;
    int v = 0;
    while (!done() && std::isdigit(uint8_t(s_[pos_])) && v < 100000)
      v = v * 10 + (s_[pos_++] - '0');
    if (pos_ == start || v < 1) return bad("expected a number from 1");
    out = v;
    return true;
  }

  // compound (combinator compound)* [::pseudo-element]
  bool selector(std::string& out) {
    std::string name, preds;
    if (!compound(name, preds)) return false;
    out = "//" + name + preds;
    while (true) {
      size_t before = pos_;
      skip_ws();
      if (done() || peek() == ',') return true;
      if (peek() == ':' && pos_ + 1 < s_.size() && s_[pos_ + 1] == ':') {
        if (pos_ != before) return bad("'::' must follow its element directly");
        return pseudo_element(out);
      }
      char comb = ' ';
      if (peek() == '>' || peek() == '+' || peek() == '~') {
        comb = peek();
        ++pos_;
        skip_ws();
      } else if (pos_ == before) {
        return bad("unexpected '" + std::string(1, peek()) + "'");
      }
      name.clear();
      preds.clear();
      if (!compound(name, preds)) return false;
      switch (comb) {
        case ' ':
          out += "//" + name + preds;
          break;
        case '>':
          out += "/" + name + preds;
          break;
        case '+':
          out += "/following-sibling::*[1]" + (name == "*" ? "" : "[self::" + name + "]") + preds;
          break;
        case '~':
          out += "/following-sibling::" + name + preds;
          break;
      }
    }
  }

  bool pseudo_element(std::string& out) {
    pos_ += 2;
    std::string n;
    if (!ident(n)) return false;
    n = to_lower(n);
    if (n == "text") {
      // The element's text: the default.
    } else if (n == "attr") {
      if (peek() != '(') return bad("::attr needs (name)");
      ++pos_;
      skip_ws();
      std::string a;
      if (!ident(a)) return false;
      skip_ws();
      if (peek() != ')') return bad("expected ')'");
      ++pos_;
      out += "/@" + to_lower(a);
    } else {
      return bad("unknown pseudo-element ::" + n + " (::text or ::attr(name))");
    }
    skip_ws();
    if (!done() && peek() != ',') return bad("nothing may follow a pseudo-element");
    return true;
  }

  // [type | *] (#id | .class | [attr] | :pseudo)*
  bool compound(std::string& name, std::string& preds) {
    name = "*";
    bool any = false;
    if (peek() == '*') {
      ++pos_;
      any = true;
    } else if (ident_char(peek()) || peek() == '\\') {
      std::string t;
      if (!ident(t)) return false;
      name = to_lower(t);  // libxml2's HTML parser lower-cases element names
      any = true;
    }
    while (!done()) {
      char c = peek();
      if (c == '#') {
        ++pos_;
        std::string id;
        if (!ident(id)) return false;
        preds += "[@id=" + xpath_literal(id) + "]";
      } else if (c == '.') {
        ++pos_;
        std::string cls;
        if (!ident(cls)) return false;
        if (cls.find('\'') != std::string::npos) return bad("a class name cannot hold a quote");
        preds += "[contains(concat(' ',normalize-space(@class),' '),' " + cls + " ')]";
      } else if (c == '[') {
        ++pos_;
        if (!attribute(preds)) return false;
      } else if (c == ':' && !(pos_ + 1 < s_.size() && s_[pos_ + 1] == ':')) {
        ++pos_;
        if (!pseudo_class(name, preds)) return false;
      } else {
        break;
      }
      any = true;
    }
    return any || bad("expected a selector");
  }

  bool attribute(std::string& preds) {
    skip_ws();
    std::string a;
    if (!ident(a)) return false;
    a = "@" + to_lower(a);
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      preds += "[" + a + "]";
      return true;
    }
    std::string op;
    if (peek() == '=') {
      op = "=";
      ++pos_;
    } else if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '=' &&
               std::string_view("~|^$*").find(peek()) != std::string_view::npos) {
      op = std::string(1, peek()) + "=";
      pos_ += 2;
    } else {
      return bad("expected an attribute operator (= ~= |= ^= $= *=) or ']'");
    }
    skip_ws();
    std::string v;
    if (!quoted_or_ident(v)) return false;
    skip_ws();
    if (peek() != ']') return bad("expected ']'");
    ++pos_;
    std::string lit = xpath_literal(v);
    if (op == "=") {
      preds += "[" + a + "=" + lit + "]";
    } else if (op == "~=") {
      if (v.find('\'') != std::string::npos) return bad("a ~= value cannot hold a quote");
      preds += "[contains(concat(' ',normalize-space(" + a + "),' '),' " + v + " ')]";
    } else if (op == "|=") {
      preds += "[" + a + "=" + lit + " or starts-with(" + a + "," + xpath_literal(v + "-") + ")]";
    } else if (op == "^=") {
      preds += "[starts-with(" + a + "," + lit + ")]";
    } else if (op == "$=") {
      preds += "[substring(" + a + ",string-length(" + a + ")-" + std::to_string(v.size()) +
               "+1)=" + lit + "]";
    } else {
      preds += "[contains(" + a + "," + lit + ")]";
    }
    return true;
  }

  bool pseudo_class(const std::string& name, std::string& preds) {
    std::string p;
    if (!ident(p)) return false;
    p = to_lower(p);
    auto arg_number = [&](int& n) {
      if (peek() != '(') return bad(":" + p + " needs (N)");
      ++pos_;
      skip_ws();
      if (!number(n)) return false;
      skip_ws();
      if (peek() != ')') return bad("expected ')'");
      ++pos_;
      return true;
    };
    auto needs_type = [&] {
      return name != "*" || bad(":" + p + " needs an element name (p:" + p + ")");
    };
    int n = 0;
    if (p == "first-child") {
      preds += "[not(preceding-sibling::*)]";
    } else if (p == "last-child") {
      preds += "[not(following-sibling::*)]";
    } else if (p == "only-child") {
      preds += "[not(preceding-sibling::*) and not(following-sibling::*)]";
    } else if (p == "nth-child") {
      if (!arg_number(n)) return false;
      preds += "[count(preceding-sibling::*)=" + std::to_string(n - 1) + "]";
    } else if (p == "first-of-type") {
      if (!needs_type()) return false;
      preds += "[not(preceding-sibling::" + name + ")]";
    } else if (p == "last-of-type") {
      if (!needs_type()) return false;
      preds += "[not(following-sibling::" + name + ")]";
    } else if (p == "nth-of-type") {
      if (!needs_type() || !arg_number(n)) return false;
      preds += "[count(preceding-sibling::" + name + ")=" + std::to_string(n - 1) + "]";
    } else if (p == "empty") {
      preds += "[not(*) and not(normalize-space())]";
    } else if (p == "contains") {
      if (peek() != '(') return bad(":contains needs (\"text\")");
      ++pos_;
      skip_ws();
      std::string t;
      if (!quoted_or_ident(t)) return false;
      skip_ws();
      if (peek() != ')') return bad("expected ')'");
      ++pos_;
      preds += "[contains(normalize-space(.)," + xpath_literal(t) + ")]";
    } else {
      return bad("unsupported pseudo-class :" + p);
    }
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string why_;
};

}  // namespace

std::optional<std::string> css_to_xpath(std::string_view selector, std::string& error) {
  if (selector.size() > 1024) {
    error = "invalid CSS selector: longer than 1024 characters";
    return std::nullopt;
  }
  return Parser(selector).run(error);
}

}  // namespace pp::buyers
