#include "buyers/template.h"

#include <date/date.h>

#include <array>
#include <cstdio>

#include "core/fields.h"
#include "core/hash.h"
#include "core/json_writer.h"
#include "core/text.h"

namespace pp::buyers {

namespace {

struct TransformerDef {
  std::string_view name;
  Transformer::Kind kind;
  int min_args;
  int max_args;
};

constexpr std::array<TransformerDef, 19> kTransformers{{
    {"upper", Transformer::Kind::kUpper, 0, 0},
    {"lower", Transformer::Kind::kLower, 0, 0},
    {"trim", Transformer::Kind::kTrim, 0, 0},
    {"ucfirst", Transformer::Kind::kUcFirst, 0, 0},
    {"digits", Transformer::Kind::kDigits, 0, 0},
    {"phone10", Transformer::Kind::kPhone10, 0, 0},
    {"number", Transformer::Kind::kNumber, 0, 0},
    {"date", Transformer::Kind::kDate, 1, 1},
    {"replace", Transformer::Kind::kReplace, 2, 2},
    {"chars", Transformer::Kind::kChars, 1, 2},
    {"substr", Transformer::Kind::kChars, 1, 2},
    {"md5", Transformer::Kind::kMd5, 0, 0},
    {"sha1", Transformer::Kind::kSha1, 0, 0},
    {"sha256", Transformer::Kind::kSha256, 0, 0},
    {"default", Transformer::Kind::kDefault, 1, 1},
    {"age", Transformer::Kind::kAge, 0, 0},
    {"urlencode", Transformer::Kind::kUrlEncode, 0, 0},
    {"base64", Transformer::Kind::kBase64, 0, 0},
    {"digits_only", Transformer::Kind::kDigits, 0, 0},
}};

// Formats a date/time with PHP-style letters (Y, y, m, n, d, j, H, G, i, s, M, D, A, a) as the
// reference product's "date" transformer does; any other character is copied.
std::string php_date_format(std::string_view fmt, int y, unsigned mo, unsigned d, unsigned hh,
                            unsigned mi, unsigned ss) {
  static constexpr std::array<std::string_view, 12> kMon{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static constexpr std::array<std::string_view, 7> kDay{"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
  std::string out;
  char b[16];
  for (char c : fmt) {
    switch (c) {
      case 'Y':
        std::snprintf(b, sizeof b, "%04d", y);
        out += b;
        break;
      case 'y':
        std::snprintf(b, sizeof b, "%02d", y % 100);
        out += b;
        break;
      case 'm':
        std::snprintf(b, sizeof b, "%02u", mo);
        out += b;
        break;
      case 'n':
        out += std::to_string(mo);
        break;
      case 'd':
        std::snprintf(b, sizeof b, "%02u", d);
        out += b;
        break;
      case 'j':
        out += std::to_string(d);
        break;
      case 'H':
        std::snprintf(b, sizeof b, "%02u", hh);
        out += b;
        break;
      case 'G':
        out += std::to_string(hh);
        break;
      case 'i':
        std::snprintf(b, sizeof b, "%02u", mi);
        out += b;
        break;
      case 's':
        std::snprintf(b, sizeof b, "%02u", ss);
        out += b;
        break;
      case 'M':
        out += kMon[(mo - 1) % 12];
        break;
      case 'D': {
        date::weekday wd{date::sys_days{date::year(y) / date::month(mo) / date::day(d)}};
        out += kDay[wd.c_encoding()];
        break;
      }
      case 'A':
        out += hh < 12 ? "AM" : "PM";
        break;
      case 'a':
        out += hh < 12 ? "am" : "pm";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string transform_date(const std::string& v, std::string_view fmt) {
  std::string_view s = trim(v);
  auto d = parse_civil_date(s.substr(0, 10));
  if (!d) return v;  // not a date: leave the value as it is
  unsigned hh = 0, mi = 0, ss = 0;
  if (s.size() >= 16 && (s[10] == ' ' || s[10] == 'T')) {
    hh = unsigned(std::atoi(std::string(s.substr(11, 2)).c_str())) % 24;
    mi = unsigned(std::atoi(std::string(s.substr(14, 2)).c_str())) % 60;
    if (s.size() >= 19) ss = unsigned(std::atoi(std::string(s.substr(17, 2)).c_str())) % 61;
  }
  return php_date_format(fmt, d->y, d->m, d->d, hh, mi, ss);
}

std::string transform_age(const std::string& v, UnixMs now) {
  auto d = parse_civil_date(trim(v).substr(0, 10));
  if (!d) return v;
  auto today = date::year_month_day{date::floor<date::days>(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(now)))};
  int age = int(today.year()) - d->y;
  if (unsigned(today.month()) < d->m ||
      (unsigned(today.month()) == d->m && unsigned(today.day()) < d->d)) {
    --age;
  }
  return std::to_string(age < 0 ? 0 : age);
}

void escape_into(std::string& out, std::string_view v, Escape e) {
  switch (e) {
    case Escape::kNone:
      out += v;
      break;
    case Escape::kUrl:
      out += url_encode(v);
      break;
    case Escape::kJson: {
      std::string q;
      json_escape_append(q, v);
      out.append(q, 1, q.size() - 2);  // drop the quotes
      break;
    }
    case Escape::kXml:
      out += xml_escape(v);
      break;
    case Escape::kHeader:
      out += strip_crlf(v);
      break;
  }
}

}  // namespace

std::optional<Template> Template::compile(std::string_view text, std::string& error) {
  Template t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.segments_.push_back({false, std::string(text.substr(pos)), {}});
      break;
    }
    if (open > pos) t.segments_.push_back({false, std::string(text.substr(pos, open - pos)), {}});
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      error = "unclosed '{{' at offset " + std::to_string(open);
      return std::nullopt;
    }
    std::string_view inner = trim(text.substr(open + 2, close - open - 2));
    std::vector<std::string_view> parts = split(inner, "||");
    Segment seg;
    seg.is_tag = true;
    seg.text = std::string(trim(parts[0]));
    if (seg.text.empty()) {
      error = "empty tag at offset " + std::to_string(open);
      return std::nullopt;
    }
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string_view spec = trim(parts[i]);
      size_t colon = spec.find(':');
      std::string_view name = spec.substr(0, colon);
      std::vector<std::string> args;
      if (colon != std::string_view::npos) {
        for (std::string_view a : split(spec.substr(colon + 1), "@@")) args.emplace_back(a);
      }
      const TransformerDef* def = nullptr;
      for (const auto& d : kTransformers) {
        if (d.name == name) def = &d;
      }
      if (def == nullptr) {
        error = "unknown transformer '" + std::string(name) + "' in tag '" + seg.text + "'";
        return std::nullopt;
      }
      if (int(args.size()) < def->min_args || int(args.size()) > def->max_args) {
        error = "transformer '" + std::string(name) + "' takes " + std::to_string(def->min_args) +
                (def->max_args != def->min_args ? "-" + std::to_string(def->max_args) : "") +
                " argument(s)";
        return std::nullopt;
      }
      if (def->kind == Transformer::Kind::kChars) {
        for (const auto& a : args) {
          if (!parse_int(a)) {
            error = "transformer 'chars' needs whole numbers";
            return std::nullopt;
          }
        }
      }
      seg.chain.push_back(Transformer{def->kind, std::move(args)});
    }
    t.segments_.push_back(std::move(seg));
    pos = close + 2;
  }
  return t;
}

bool Template::has_tags() const {
  for (const auto& s : segments_) {
    if (s.is_tag) return true;
  }
  return false;
}

std::string Template::apply(const std::vector<Transformer>& chain, std::string v,
                            const TemplateContext& ctx) {
  for (const auto& t : chain) {
    switch (t.kind) {
      case Transformer::Kind::kUpper:
        v = to_upper(v);
        break;
      case Transformer::Kind::kLower:
        v = to_lower(v);
        break;
      case Transformer::Kind::kTrim:
        v = std::string(trim(v));
        break;
      case Transformer::Kind::kUcFirst:
        if (!v.empty()) v[0] = ascii_upper(v[0]);
        break;
      case Transformer::Kind::kDigits: {
        std::string d;
        for (char c : v) {
          if (c >= '0' && c <= '9') d.push_back(c);
        }
        v = std::move(d);
        break;
      }
      case Transformer::Kind::kPhone10: {
        std::string d;
        for (char c : v) {
          if (c >= '0' && c <= '9') d.push_back(c);
        }
        if (d.size() > 10) d = d.substr(d.size() - 10);
        v = std::move(d);
        break;
      }
      case Transformer::Kind::kNumber: {
        std::string d;
        for (char c : v) {
          if ((c >= '0' && c <= '9') || c == '.' || (c == '-' && d.empty())) d.push_back(c);
        }
        v = std::move(d);
        break;
      }
      case Transformer::Kind::kDate:
        v = transform_date(v, t.args[0]);
        break;
      case Transformer::Kind::kReplace: {
        const std::string& from = t.args[0];
        const std::string& to = t.args[1];
        if (from.empty()) break;
        // Whole-value, case-insensitive match replaces the value (the common "Male -> M" use);
        // otherwise every occurrence is replaced.
        if (iequals(v, from)) {
          v = to;
          break;
        }
        std::string r;
        size_t p = 0;
        for (;;) {
          size_t q = v.find(from, p);
          if (q == std::string::npos) {
            r.append(v, p);
            break;
          }
          r.append(v, p, q - p);
          r += to;
          p = q + from.size();
        }
        v = std::move(r);
        break;
      }
      case Transformer::Kind::kChars: {
        int64_t start = *parse_int(t.args[0]);
        int64_t len = t.args.size() > 1 ? *parse_int(t.args[1]) : int64_t(v.size());
        if (start < 0) start = std::max<int64_t>(0, int64_t(v.size()) + start);
        if (size_t(start) >= v.size() || len <= 0) {
          v.clear();
        } else {
          v = v.substr(size_t(start), size_t(len));
        }
        break;
      }
      case Transformer::Kind::kMd5:
        v = md5_hex(v);
        break;
      case Transformer::Kind::kSha1:
        v = sha1_hex(v);
        break;
      case Transformer::Kind::kSha256:
        v = sha256_hex(v);
        break;
      case Transformer::Kind::kDefault:
        if (trim(v).empty()) v = t.args[0];
        break;
      case Transformer::Kind::kAge:
        v = transform_age(v, ctx.now_ms());
        break;
      case Transformer::Kind::kUrlEncode:
        v = url_encode(v);
        break;
      case Transformer::Kind::kBase64:
        v = base64_encode(v);
        break;
    }
  }
  return v;
}

void Template::render_to(std::string& out, const TemplateContext& ctx, Escape escape) const {
  for (const auto& s : segments_) {
    if (!s.is_tag) {
      out += s.text;
      continue;
    }
    std::string v = ctx.lookup(s.text).value_or(std::string());
    if (!s.chain.empty()) v = apply(s.chain, std::move(v), ctx);
    escape_into(out, v, escape);
  }
}

std::string Template::render(const TemplateContext& ctx, Escape escape) const {
  std::string out;
  render_to(out, ctx, escape);
  return out;
}

}  // namespace pp::buyers
