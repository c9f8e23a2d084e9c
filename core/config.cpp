#include "core/config.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/enum_names.h"
#include "core/hash.h"
#include "core/netaddr.h"
#include "core/text.h"

namespace pp {

namespace json = boost::json;

std::string_view to_string(Role r) {
  return r == Role::kAdmin ? "admin" : r == Role::kEditor ? "editor" : "read";
}

std::string_view to_string(BillingConfig::Mode m) {
  return m == BillingConfig::Mode::kManual     ? "manual"
         : m == BillingConfig::Mode::kRealtime ? "realtime"
                                               : "none";
}

std::string_view to_string(PortalGrant g) {
  return g == PortalGrant::kAuto ? "auto" : g == PortalGrant::kApproval ? "approval" : "off";
}

std::string_view to_string(TriggerAction::Type t) {
  switch (t) {
    case TriggerAction::Type::kHttp:
      return "http";
    case TriggerAction::Type::kCampaign:
      return "campaign";
    case TriggerAction::Type::kEmail:
      return "email";
    case TriggerAction::Type::kWebhook:
      return "webhook";
  }
  return "http";
}

std::string_view to_string(BodyFormat f) {
  switch (f) {
    case BodyFormat::kNone:
      return "none";
    case BodyFormat::kForm:
      return "form";
    case BodyFormat::kJson:
      return "json";
    case BodyFormat::kXml:
      return "xml";
  }
  return "none";
}

std::string_view content_type(BodyFormat f) {
  switch (f) {
    case BodyFormat::kForm:
      return "application/x-www-form-urlencoded";
    case BodyFormat::kJson:
      return "application/json";
    case BodyFormat::kXml:
      return "application/xml";
    case BodyFormat::kNone:
      return "";
  }
  return "";
}

std::string_view to_string(ResponseFormat f) {
  switch (f) {
    case ResponseFormat::kJson:
      return "json";
    case ResponseFormat::kXml:
      return "xml";
    case ResponseFormat::kText:
      return "text";
    case ResponseFormat::kHtml:
      return "html";
    case ResponseFormat::kForm:
      return "form";
  }
  return "json";
}

std::string_view to_string(AnswerVerdict v) {
  switch (v) {
    case AnswerVerdict::kAccepted:
      return "accepted";
    case AnswerVerdict::kDuplicate:
      return "duplicate";
    case AnswerVerdict::kRejected:
      return "rejected";
    case AnswerVerdict::kError:
      return "error";
  }
  return "error";
}

bool parse_answer_verdict(std::string_view s, AnswerVerdict& out) {
  for (auto v : {AnswerVerdict::kAccepted, AnswerVerdict::kDuplicate, AnswerVerdict::kRejected,
                 AnswerVerdict::kError}) {
    if (s == to_string(v)) {
      out = v;
      return true;
    }
  }
  return false;
}

std::string_view to_string(CampaignType t) {
  switch (t) {
    case CampaignType::kDirectPost:
      return "direct_post";
    case CampaignType::kPingPostExchange:
      return "ping_post_exchange";
    case CampaignType::kOneToOne:
      return "one_to_one";
  }
  return "direct_post";
}

namespace {
constexpr EnumNames<DistributionMethod, 6> kMethods{{
    {DistributionMethod::kWaterfall, "waterfall"},
    {DistributionMethod::kHighestBidder, "highest_bidder"},
    {DistributionMethod::kSendToAll, "send_to_all"},
    {DistributionMethod::kRoundRobin, "round_robin"},
    {DistributionMethod::kWeightedRoundRobin, "weighted_round_robin"},
    {DistributionMethod::kBuyerGroups, "buyer_groups"},
}};
constexpr std::string_view kWeekdays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                          "thursday", "friday", "saturday"};
}  // namespace

std::string_view to_string(DistributionMethod m) { return enum_name(kMethods, m); }

bool parse_distribution_method(std::string_view s, DistributionMethod& out) {
  return parse_enum(kMethods, s, out);
}

const SupplierConfig* CampaignConfig::find_supplier(SupplierId sid) const {
  for (const auto& s : suppliers) {
    if (s.id == sid) return &s;
  }
  return nullptr;
}

const BuyerConfig* CampaignConfig::find_buyer(BuyerId bid) const {
  for (const auto& b : buyers) {
    if (b.id == bid) return &b;
  }
  return nullptr;
}

const FieldSpec* CampaignConfig::find_field_spec(std::string_view n) const {
  for (const auto& f : fields) {
    if (f.name == n) return &f;
  }
  return nullptr;
}

const CampaignConfig* Config::find_campaign(CampaignId cid) const {
  auto it = campaign_index.find(cid);
  return it == campaign_index.end() ? nullptr : &campaigns[it->second];
}

const ClientConfig* Config::find_client(ClientId cid) const {
  auto it = client_index.find(cid);
  return it == client_index.end() ? nullptr : &clients[it->second];
}

namespace {

// Walks the JSON document, keeps the current JSON path and collects every error.
class Loader {
 public:
  std::vector<std::string> errors;
  // The campaign's fields while its conditions are parsed (operators are checked by field type).
  const std::vector<FieldSpec>* current_fields = nullptr;

  // Whether `op` makes sense for a field of type `t`. Fields the campaign does not declare
  // (computed, additional, lp_subid) have no type and accept every operator.
  static bool op_fits(CondOp op, FieldType t) {
    switch (op) {
      case CondOp::kGreater:
      case CondOp::kGreaterEq:
      case CondOp::kLess:
      case CondOp::kLessEq:
      case CondOp::kBetween:
        return t == FieldType::kNumeric || t == FieldType::kAge;
      case CondOp::kAgeBetween:
        return t == FieldType::kDob || t == FieldType::kDate || t == FieldType::kAge;
      default:
        return true;
    }
  }

  void error(const std::string& path, const std::string& msg) {
    errors.push_back(path + ": " + msg);
  }

  static std::string at(const std::string& path, std::string_view key) {
    return path + "." + std::string(key);
  }
  static std::string idx(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  const json::object* object(const json::value* v, const std::string& path, bool required) {
    if (v == nullptr) {
      if (required) error(path, "is required");
      return nullptr;
    }
    if (!v->is_object()) {
      error(path, "must be an object");
      return nullptr;
    }
    return &v->get_object();
  }

  const json::array* array(const json::object& o, std::string_view key, const std::string& path,
                           bool required) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) {
      if (required) error(at(path, key), "is required");
      return nullptr;
    }
    if (!v->is_array()) {
      error(at(path, key), "must be an array");
      return nullptr;
    }
    return &v->get_array();
  }

  std::optional<int64_t> integer(const json::object& o, std::string_view key,
                                 const std::string& path, bool required) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (required) error(at(path, key), "is required");
      return std::nullopt;
    }
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX)) return int64_t(v->get_uint64());
    error(at(path, key), "must be an integer");
    return std::nullopt;
  }

  uint32_t positive(const json::object& o, std::string_view key, const std::string& path,
                    uint32_t def, uint32_t max) {
    auto v = integer(o, key, path, false);
    if (!v) return def;
    if (*v <= 0 || *v > int64_t(max)) {
      error(at(path, key), "must be between 1 and " + std::to_string(max));
      return def;
    }
    return uint32_t(*v);
  }

  std::optional<std::string> string(const json::object& o, std::string_view key,
                                    const std::string& path, bool required) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (required) error(at(path, key), "is required");
      return std::nullopt;
    }
    if (!v->is_string()) {
      error(at(path, key), "must be a string");
      return std::nullopt;
    }
    return std::string(v->get_string());
  }

  // A UTC time: "2027-01-31", "2027-01-31 00:00:00" or "2027-01-31T00:00:00Z".
  std::optional<UnixMs> utc_time(const json::object& o, std::string_view key,
                                 const std::string& path) {
    auto text = string(o, key, path, false);
    if (!text) return std::nullopt;
    UnixMs ms = 0;
    if (!parse_utc_time(*text, ms)) {
      error(at(path, key), "must be a UTC time like 2027-01-31T00:00:00Z");
      return std::nullopt;
    }
    return ms;
  }

  bool boolean(const json::object& o, std::string_view key, const std::string& path, bool def) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return def;
    if (v->is_bool()) return v->get_bool();
    if (v->is_int64() && (v->get_int64() == 0 || v->get_int64() == 1)) return v->get_int64() == 1;
    error(at(path, key), "must be true or false");
    return def;
  }

  // Money from a JSON number or a decimal string ("12.50").
  std::optional<Money> money(const json::value& v, const std::string& path) {
    if (v.is_string()) {
      auto m = Money::parse(v.get_string());
      if (!m) error(path, "must be an amount like 12.50");
      return m;
    }
    if (v.is_int64()) return Money::from_whole(v.get_int64());
    if (v.is_uint64()) return Money::from_whole(int64_t(v.get_uint64()));
    if (v.is_double()) {
      double d = v.get_double();
      // Config amounts have at most 4 decimals; round to the nearest ten-thousandth.
      if (!std::isfinite(d) || std::fabs(d) > 1e12) {
        error(path, "must be an amount like 12.50");
        return std::nullopt;
      }
      return Money::from_units(std::llround(d * Money::kScale));
    }
    error(path, "must be an amount like 12.50");
    return std::nullopt;
  }

  std::vector<std::string> strings(const json::object& o, std::string_view key,
                                   const std::string& path) {
    std::vector<std::string> out;
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      error(at(path, key), "must be an array of strings");
      return out;
    }
    size_t i = 0;
    for (const auto& e : v->get_array()) {
      if (e.is_string())
        out.emplace_back(e.get_string());
      else if (e.is_int64())
        out.push_back(std::to_string(e.get_int64()));
      else
        error(idx(at(path, key), i), "must be a string");
      ++i;
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> string_map(const json::object& o,
                                                              std::string_view key,
                                                              const std::string& path) {
    std::vector<std::pair<std::string, std::string>> out;
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return out;
    if (!v->is_object()) {
      error(at(path, key), "must be an object of strings");
      return out;
    }
    for (const auto& kv : v->get_object()) {
      if (!kv.value().is_string()) {
        error(at(at(path, key), kv.key()), "must be a string");
        continue;
      }
      out.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
    }
    return out;
  }

  void unknown_keys(const json::object& o, const std::string& path,
                    std::initializer_list<std::string_view> known) {
    for (const auto& kv : o) {
      bool found = false;
      for (auto k : known) {
        if (kv.key() == k) found = true;
      }
      if (!found) error(at(path, kv.key()), "unknown key");
    }
  }

  // ---- conditions -------------------------------------------------------------------------
  // "HH:MM" -> minutes since midnight ("24:00" allowed as an end).
  std::optional<uint16_t> clock_minutes(const json::object& o, std::string_view key,
                                        const std::string& path) {
    auto s = string(o, key, path, true);
    if (!s) return std::nullopt;
    if (s->size() == 5 && (*s)[2] == ':') {
      auto h = parse_int(s->substr(0, 2));
      auto m = parse_int(s->substr(3, 2));
      if (h && m && *h >= 0 && *m >= 0 && *m < 60 && (*h < 24 || (*h == 24 && *m == 0)))
        return uint16_t(*h * 60 + *m);
    }
    error(at(path, key), "must be a time HH:MM");
    return std::nullopt;
  }

  std::optional<Condition> schedule(const json::value& v, const std::string& path,
                                    const TimeZone& tz) {
    const json::object* o = object(&v, path, true);
    if (!o) return std::nullopt;
    unknown_keys(*o, path, {"timezone", "days", "hours"});
    Schedule sc;
    sc.tz = tz;
    if (auto z = string(*o, "timezone", path, false)) {
      if (!TimeZone::lookup(*z, sc.tz))
        error(at(path, "timezone"), "unknown IANA time zone '" + *z + "'");
    }
    if (o->contains("days")) {
      sc.days = 0;
      std::vector<std::string> days = strings(*o, "days", path);
      for (const auto& d : days) {
        bool found = false;
        for (size_t i = 0; i < 7; ++i) {
          if (iequals(d, kWeekdays[i]) || iequals(d, kWeekdays[i].substr(0, 3))) {
            sc.days |= uint8_t(1u << i);
            found = true;
          }
        }
        if (!found) error(at(path, "days"), "unknown day '" + d + "' (use mon..sun)");
      }
    }
    if (const json::array* hs = array(*o, "hours", path, false)) {
      for (size_t i = 0; i < hs->size(); ++i) {
        std::string hp = idx(at(path, "hours"), i);
        const json::object* h = object(&(*hs)[i], hp, true);
        if (!h) continue;
        unknown_keys(*h, hp, {"from", "to"});
        auto from = clock_minutes(*h, "from", hp);
        auto to = clock_minutes(*h, "to", hp);
        if (from && to) {
          if (*from == *to) error(hp, "an empty time range");
          sc.hours.push_back({*from, *to});
        }
      }
    }
    return Condition::schedule(std::move(sc));
  }

  std::optional<Condition> condition(const json::value& v, const std::string& path,
                                     const TimeZone& tz, int depth = 0,
                                     std::initializer_list<std::string_view> extra_keys = {}) {
    if (depth > 8) {
      error(path, "conditions nest too deep (max 8)");
      return std::nullopt;
    }
    const json::object* o = object(&v, path, true);
    if (!o) return std::nullopt;
    for (std::string_view group : {"all", "any"}) {
      if (o->contains(group)) {
        const json::array* a = array(*o, group, path, true);
        if (!a) return std::nullopt;
        std::vector<Condition> parts;
        for (size_t i = 0; i < a->size(); ++i) {
          auto c = condition((*a)[i], idx(at(path, group), i), tz, depth + 1);
          if (c) parts.push_back(std::move(*c));
        }
        return group == "all" ? Condition::all(std::move(parts)) : Condition::any(std::move(parts));
      }
    }
    if (const json::value* sv = o->if_contains("schedule"))
      return schedule(*sv, at(path, "schedule"), tz);
    std::vector<std::string_view> known{"field", "op", "values", "value"};
    known.insert(known.end(), extra_keys.begin(), extra_keys.end());
    for (const auto& kv : *o) {
      if (std::find(known.begin(), known.end(), kv.key()) == known.end())
        error(at(path, kv.key()), "unknown key");
    }
    auto field = string(*o, "field", path, true);
    auto op_s = string(*o, "op", path, true);
    if (!field || !op_s) return std::nullopt;
    CondOp op;
    if (!parse_cond_op(*op_s, op)) {
      error(at(path, "op"), "unknown operator '" + *op_s + "'");
      return std::nullopt;
    }
    std::vector<std::string> values = strings(*o, "values", path);
    if (const json::value* one = o->if_contains("value")) {
      if (one->is_string())
        values.emplace_back(one->get_string());
      else if (one->is_int64())
        values.push_back(std::to_string(one->get_int64()));
      else if (one->is_double())
        values.push_back(json::serialize(*one));
      else
        error(at(path, "value"), "must be a string or number");
    }
    if (current_fields) {
      for (const auto& f : *current_fields) {
        if (f.name == *field && !op_fits(op, f.type)) {
          error(at(path, "op"), "operator '" + std::string(to_string(op)) +
                                    "' does not apply to field '" + *field + "' of type " +
                                    std::string(to_string(f.type)));
          return std::nullopt;
        }
      }
    }
    std::string err;
    auto c = Condition::rule(*field, op, std::move(values), err);
    if (!c) error(path, err);
    return c;
  }

  // ---- pricing ------------------------------------------------------------------------------
  Pricing pricing(const json::value* v, const std::string& path, bool supplier,
                  const TimeZone& tz) {
    Pricing p;
    if (v == nullptr) return p;  // static 0
    if (!v->is_object()) {
      // shorthand: "price": 12.5
      if (auto m = money(*v, path)) p.amount = *m;
      return p;
    }
    const json::object& o = v->get_object();
    unknown_keys(o, path, {"type", "amount", "default", "rules", "percent"});
    std::string type = string(o, "type", path, false).value_or("static");
    if (type == "static") {
      p.kind = Pricing::Kind::kStatic;
      if (const json::value* a = o.if_contains("amount")) {
        if (auto m = money(*a, at(path, "amount"))) p.amount = *m;
      } else {
        error(at(path, "amount"), "is required for a static price");
      }
    } else if (type == "conditional") {
      p.kind = Pricing::Kind::kConditional;
      if (const json::value* a = o.if_contains("default")) {
        if (auto m = money(*a, at(path, "default"))) p.amount = *m;
      }
      if (const json::array* rules = array(o, "rules", path, true)) {
        for (size_t i = 0; i < rules->size(); ++i) {
          std::string rp = idx(at(path, "rules"), i);
          const json::object* r = object(&(*rules)[i], rp, true);
          if (!r) continue;
          unknown_keys(*r, rp, {"when", "amount", "field"});
          PriceRule rule;
          if (const json::value* w = r->if_contains("when")) {
            if (auto c = condition(*w, at(rp, "when"), tz)) rule.when = std::move(*c);
          } else {
            error(at(rp, "when"), "is required");
          }
          if (const json::value* a = r->if_contains("amount")) {
            rule.amount = money(*a, at(rp, "amount"));
          } else if (auto f = string(*r, "field", rp, false)) {
            rule.from_field = *f;
          } else {
            error(rp, "needs 'amount' or 'field'");
          }
          p.rules.push_back(std::move(rule));
        }
      }
    } else if (type == "realtime" || type == "real_time") {
      if (supplier)
        error(at(path, "type"), "supplier prices cannot be real-time here; use revenue_share");
      p.kind = Pricing::Kind::kRealTime;
    } else if (type == "revenue_share") {
      if (!supplier) error(at(path, "type"), "revenue_share is for supplier prices");
      p.kind = Pricing::Kind::kRevenueShare;
      const json::value* pc = o.if_contains("percent");
      std::optional<Money> m = pc ? money(*pc, at(path, "percent")) : std::nullopt;
      if (!pc) error(at(path, "percent"), "is required for revenue_share");
      if (m) {
        if (*m < Money() || *m > Money::from_whole(100)) {
          error(at(path, "percent"), "must be between 0 and 100");
        }
        p.share_bp = m->units() / 100;  // percent with 4 decimals -> basis points
      }
    } else {
      error(at(path, "type"), "must be static, conditional, realtime or revenue_share");
    }
    return p;
  }

  // ---- filters, caps, duplicate checks ------------------------------------------------------
  std::vector<Filter> filters(const json::object& o, const std::string& path, const TimeZone& tz) {
    std::vector<Filter> out;
    const json::array* a = array(o, "filters", path, false);
    if (!a) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      std::string fp = idx(at(path, "filters"), i);
      const json::object* f = object(&(*a)[i], fp, true);
      if (!f) continue;
      Filter filter;
      std::string action = string(*f, "action", fp, false).value_or("allow");
      if (action == "block")
        filter.block = true;
      else if (action != "allow")
        error(at(fp, "action"), "must be allow or block");
      auto c = condition((*a)[i], fp, tz, 0, {"action", "name"});
      if (!c) continue;
      filter.when = std::move(*c);
      filter.name = string(*f, "name", fp, false).value_or("");
      if (filter.name.empty()) {
        std::vector<std::string> names;
        filter.when.collect_fields(names);
        filter.name = names.empty() ? "filter " + std::to_string(i + 1) : names[0];
      }
      out.push_back(std::move(filter));
    }
    return out;
  }

  std::vector<CapRule> cap_rules(const json::object& o, std::string_view key,
                                 const std::string& path, bool budget) {
    std::vector<CapRule> out;
    const json::array* a = array(o, key, path, false);
    if (!a) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      std::string cp = idx(at(path, key), i);
      const json::object* c = object(&(*a)[i], cp, true);
      if (!c) continue;
      unknown_keys(*c, cp, {"type", "limit"});
      CapRule r;
      r.type = to_lower(string(*c, "type", cp, true).value_or("day"));
      if (r.type == "hour")
        r.period = CapPeriod::kHour;
      else if (r.type == "day")
        r.period = CapPeriod::kDay;
      else if (r.type == "week")
        r.period = CapPeriod::kWeek;
      else if (r.type == "month")
        r.period = CapPeriod::kMonth;
      else if (r.type == "total")
        r.period = CapPeriod::kTotal;
      else {
        r.period = CapPeriod::kWeekday;
        for (size_t d = 0; d < 7; ++d) {
          if (r.type == kWeekdays[d]) r.weekday = int(d);
        }
        if (r.weekday < 0)
          error(at(cp, "type"),
                "must be hour, day, week, month, total or a weekday (monday..sunday)");
      }
      const json::value* lim = c->if_contains("limit");
      if (!lim) {
        error(at(cp, "limit"), "is required");
      } else if (budget) {
        if (auto m = money(*lim, at(cp, "limit"))) {
          if (*m < Money()) error(at(cp, "limit"), "must not be negative");
          r.limit = m->units();
        }
      } else if (lim->is_int64() && lim->get_int64() >= 0) {
        r.limit = lim->get_int64();
      } else {
        error(at(cp, "limit"), "must be a whole number of leads (0 = unlimited)");
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  Caps caps(const json::object& o, const std::string& path) {
    Caps c;
    const json::value* v = o.if_contains("caps");
    if (v == nullptr || (v->is_array() && v->get_array().empty()))
      return c;  // seed shows [] for none
    std::string cp = at(path, "caps");
    const json::object* co = object(v, cp, true);
    if (!co) return c;
    unknown_keys(*co, cp, {"leads", "budget"});
    c.leads = cap_rules(*co, "leads", cp, false);
    c.budget = cap_rules(*co, "budget", cp, true);
    return c;
  }

  DupeCheckConfig dupe_check(const json::object& o, const std::string& path) {
    DupeCheckConfig d;
    const json::object* dc = object(o.if_contains("dupe_check"), at(path, "dupe_check"), false);
    if (!dc) return d;
    std::string dp = at(path, "dupe_check");
    unknown_keys(*dc, dp, {"fields", "days", "match", "level"});
    d.fields = strings(*dc, "fields", dp);
    if (d.fields.empty()) error(at(dp, "fields"), "needs at least one field");
    d.days = positive(*dc, "days", dp, 30, 3650);
    std::string match = string(*dc, "match", dp, false).value_or("any");
    if (match == "all")
      d.match_all = true;
    else if (match != "any")
      error(at(dp, "match"), "must be any or all");
    std::string level = string(*dc, "level", dp, false).value_or("campaign");
    if (level == "buyer")
      d.buyer_level = true;
    else if (level != "campaign")
      error(at(dp, "level"), "must be campaign or buyer");
    return d;
  }

  DistributionConfig distribution(const json::object& o, const std::string& path) {
    DistributionConfig d;
    const json::value* v = o.if_contains("distribution");
    if (v == nullptr) return d;
    std::string dp = at(path, "distribution");
    if (v->is_string()) {
      if (!parse_distribution_method(v->get_string(), d.method))
        error(dp, "unknown distribution method");
      if (d.method == DistributionMethod::kBuyerGroups)
        error(dp, "buyer_groups needs an object with 'groups'");
      return d;
    }
    const json::object* dobj = object(v, dp, true);
    if (!dobj) return d;
    unknown_keys(*dobj, dp, {"method", "sell_limit", "total_buyers_limit", "groups"});
    std::string m = string(*dobj, "method", dp, false).value_or("waterfall");
    if (!parse_distribution_method(m, d.method))
      error(at(dp, "method"), "unknown distribution method '" + m + "'");
    auto non_negative = [&](std::string_view key) -> uint32_t {
      auto n = integer(*dobj, key, dp, false);
      if (n && (*n < 0 || *n > 1000)) {
        error(at(dp, key), "must be between 0 and 1000");
        return 0;
      }
      return n ? uint32_t(*n) : 0;
    };
    d.sell_limit = non_negative("sell_limit");
    d.total_buyers_limit = non_negative("total_buyers_limit");
    if (const json::array* gs =
            array(*dobj, "groups", dp, d.method == DistributionMethod::kBuyerGroups)) {
      for (size_t i = 0; i < gs->size(); ++i) {
        std::string gp = idx(at(dp, "groups"), i);
        const json::object* g = object(&(*gs)[i], gp, true);
        if (!g) continue;
        unknown_keys(*g, gp, {"id", "name", "position", "method", "limit", "if_sold"});
        BuyerGroupConfig bg;
        bg.id = integer(*g, "id", gp, true).value_or(0);
        bg.name = string(*g, "name", gp, false).value_or("");
        bg.position = int(integer(*g, "position", gp, false).value_or(int64_t(i + 1)));
        std::string gm = string(*g, "method", gp, false).value_or("waterfall");
        if (!parse_distribution_method(gm, bg.method) ||
            bg.method == DistributionMethod::kBuyerGroups)
          error(at(gp, "method"),
                "must be waterfall, highest_bidder, send_to_all, round_robin or "
                "weighted_round_robin");
        auto lim = integer(*g, "limit", gp, false).value_or(0);
        if (lim < 0 || lim > 1000) error(at(gp, "limit"), "must be between 0 and 1000");
        bg.limit = uint32_t(std::clamp<int64_t>(lim, 0, 1000));
        std::string if_sold = string(*g, "if_sold", gp, false).value_or("stop");
        if (if_sold == "continue")
          bg.stop_if_sold = false;
        else if (if_sold != "stop")
          error(at(gp, "if_sold"), "must be stop or continue");
        for (const auto& other : d.groups) {
          if (other.id == bg.id) error(at(gp, "id"), "duplicate group id " + std::to_string(bg.id));
        }
        d.groups.push_back(std::move(bg));
      }
      std::stable_sort(d.groups.begin(), d.groups.end(),
                       [](const BuyerGroupConfig& a, const BuyerGroupConfig& b) {
                         return a.position < b.position;
                       });
    }
    return d;
  }

  std::optional<Margin> margin(const json::object& o, std::string_view key,
                               const std::string& path) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    std::string mp = at(path, key);
    const json::object* mo = object(v, mp, true);
    if (!mo) return std::nullopt;
    unknown_keys(*mo, mp, {"type", "value"});
    Margin m;
    std::string type = string(*mo, "type", mp, false).value_or("percent");
    if (type == "fixed")
      m.percent = false;
    else if (type != "percent")
      error(at(mp, "type"), "must be percent or fixed");
    const json::value* val = mo->if_contains("value");
    std::optional<Money> amount = val ? money(*val, at(mp, "value")) : std::nullopt;
    if (!val) error(at(mp, "value"), "is required");
    if (amount) {
      if (*amount < Money() || (m.percent && *amount > Money::from_whole(100))) {
        error(at(mp, "value"), m.percent ? "must be between 0 and 100" : "must not be negative");
      }
      m.value = m.percent ? amount->units() / 100 : amount->units();  // percent -> basis points
    }
    return m;
  }

  ExchangeConfig exchange(const json::object& o, const std::string& path) {
    ExchangeConfig x;
    const json::object* eo = object(o.if_contains("exchange"), at(path, "exchange"), false);
    if (!eo) return x;
    std::string ep = at(path, "exchange");
    unknown_keys(*eo, ep,
                 {"auction_timeout_ms", "network_buffer_ms", "min_buyer_time_ms", "ping_ttl_ms",
                  "margin", "sale", "shared_max_buyers"});
    x.auction_timeout_ms = positive(*eo, "auction_timeout_ms", ep, x.auction_timeout_ms, 120000);
    auto buffer = integer(*eo, "network_buffer_ms", ep, false);
    if (buffer && (*buffer < 0 || *buffer > 10000))
      error(at(ep, "network_buffer_ms"), "must be between 0 and 10000");
    if (buffer) x.network_buffer_ms = uint32_t(std::clamp<int64_t>(*buffer, 0, 10000));
    x.min_buyer_time_ms = positive(*eo, "min_buyer_time_ms", ep, x.min_buyer_time_ms, 60000);
    x.ping_ttl_ms = positive(*eo, "ping_ttl_ms", ep, x.ping_ttl_ms, 86400000);
    if (auto m = margin(*eo, "margin", ep)) x.margin = *m;
    std::string sale = string(*eo, "sale", ep, false).value_or("exclusive");
    if (sale == "shared")
      x.shared = true;
    else if (sale != "exclusive")
      error(at(ep, "sale"), "must be exclusive or shared");
    auto max = integer(*eo, "shared_max_buyers", ep, false).value_or(0);
    if (max < 0 || max > 100) error(at(ep, "shared_max_buyers"), "must be between 0 and 100");
    x.shared_max_buyers = uint32_t(std::clamp<int64_t>(max, 0, 100));
    if (x.network_buffer_ms + x.min_buyer_time_ms >= x.auction_timeout_ms) {
      error(ep, "auction_timeout_ms must exceed network_buffer_ms + min_buyer_time_ms");
    }
    return x;
  }

  // ---- buyer HTTP ---------------------------------------------------------------------------
  // ---- triggers and postbacks (issue 18) --------------------------------------------------
  // An outbound request the outbox sends: a public address unless the operator allows others.
  HttpTemplateConfig outbox_request(const json::object& o, const std::string& path,
                                    const Config& cfg) {
    HttpTemplateConfig t = http_template(o, path);
    if (!cfg.outbound.allow_private_networks && !t.url.empty()) {
      if (auto why = non_public_url_reason(t.url))
        error(at(path, "url"),
              *why + "; set outbound.allow_private_networks to allow private networks");
    }
    return t;
  }

  TriggerTiming timing(const json::value* v, const std::string& path) {
    TriggerTiming t;
    if (v == nullptr) return t;
    const json::object* o = object(v, path, true);
    if (!o) return t;
    unknown_keys(*o, path, {"mode", "delay_minutes", "days", "open", "close", "blocked_dates"});
    const std::string mode = string(*o, "mode", path, false).value_or("immediate");
    if (!parse_trigger_timing_mode(mode, t.mode))
      error(at(path, "mode"), "must be immediate, delay, next_business_day or window");
    if (auto d = integer(*o, "delay_minutes", path, false)) {
      if (*d < 0 || *d > 60 * 24 * 30)
        error(at(path, "delay_minutes"), "must be between 0 and 43200 (30 days)");
      else
        t.delay_ms = *d * 60'000;
    }
    if (t.mode == TriggerTiming::Mode::kDelay && t.delay_ms == 0)
      error(at(path, "delay_minutes"), "is required for a delay");
    if (const json::array* ds = array(*o, "days", path, false)) {
      static constexpr std::array<std::string_view, 7> kDays = {"sun", "mon", "tue", "wed",
                                                                "thu", "fri", "sat"};
      t.days = 0;
      for (size_t i = 0; i < ds->size(); ++i) {
        const json::value& d = (*ds)[i];
        auto it = d.is_string() ? std::find(kDays.begin(), kDays.end(),
                                            to_lower(std::string(d.as_string())).substr(0, 3))
                                : kDays.end();
        if (it == kDays.end())
          error(idx(at(path, "days"), i), "must be a weekday (mon, tue, ...)");
        else
          t.days |= uint8_t(1u << (it - kDays.begin()));
      }
      if (t.days == 0) error(at(path, "days"), "must name at least one weekday");
    }
    auto minutes = [&](std::string_view key, uint16_t def) -> uint16_t {
      auto text = string(*o, key, path, false);
      if (!text) return def;
      unsigned h = 0, m = 0;
      char colon = 0;
      if (text->size() != 5 || std::sscanf(text->c_str(), "%2u%c%2u", &h, &colon, &m) != 3 ||
          colon != ':' || m > 59 || h > 24 || (h == 24 && m != 0)) {
        error(at(path, key), "must be a local time like 09:00");
        return def;
      }
      return uint16_t(h * 60 + m);
    };
    t.open_min = minutes("open", t.open_min);
    t.close_min = minutes("close", t.close_min);
    if (t.close_min <= t.open_min) error(at(path, "close"), "must be after open");
    if (const json::array* bs = array(*o, "blocked_dates", path, false)) {
      for (size_t i = 0; i < bs->size(); ++i) {
        const json::value& d = (*bs)[i];
        UnixMs ms = 0;
        bool date_only = false;
        if (!d.is_string() ||
            !parse_local_datetime(TimeZone::utc(), d.as_string(), ms, date_only) || !date_only)
          error(idx(at(path, "blocked_dates"), i), "must be a date like 2026-12-25");
        else
          t.blocked_dates.emplace_back(d.as_string());
      }
    }
    return t;
  }

  std::vector<TriggerConfig> triggers(const json::object& c, const std::string& path,
                                      const TimeZone& tz, const Config& cfg) {
    std::vector<TriggerConfig> out;
    const json::array* a = array(c, "triggers", path, false);
    if (!a) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      const std::string tp = idx(at(path, "triggers"), i);
      const json::object* o = object(&(*a)[i], tp, true);
      if (!o) continue;
      unknown_keys(*o, tp, {"id", "name", "events", "when", "timing", "actions", "enabled"});
      TriggerConfig t;
      t.id = integer(*o, "id", tp, true).value_or(0);
      if (t.id <= 0) error(at(tp, "id"), "must be a positive integer");
      t.name = string(*o, "name", tp, false).value_or("trigger " + std::to_string(t.id));
      t.enabled = boolean(*o, "enabled", tp, true);
      if (const json::array* es = array(*o, "events", tp, false)) {
        t.events = 0;
        for (size_t k = 0; k < es->size(); ++k) {
          EventType e{};
          const json::value& v = (*es)[k];
          if (v.is_string() && parse_event_type(v.as_string(), e) &&
              (e == EventType::kLeadAccepted || e == EventType::kLeadRejected ||
               e == EventType::kLeadDuplicated || e == EventType::kLeadReturned))
            t.events |= event_bit(e);
          else
            error(idx(at(tp, "events"), k),
                  "must be lead.accepted, lead.rejected, lead.duplicated or lead.returned");
        }
        if (es->empty()) error(at(tp, "events"), "must name at least one event");
      }
      if (const json::value* w = o->if_contains("when")) {
        if (auto cond = condition(*w, at(tp, "when"), tz)) t.when = std::move(*cond);
      }
      t.timing = timing(o->if_contains("timing"), at(tp, "timing"));
      if (const json::array* as = array(*o, "actions", tp, true)) {
        if (as->empty()) error(at(tp, "actions"), "must hold at least one action");
        for (size_t k = 0; k < as->size(); ++k) {
          const std::string ap = idx(at(tp, "actions"), k);
          const json::object* ao = object(&(*as)[k], ap, true);
          if (!ao) continue;
          TriggerAction act;
          const std::string type = string(*ao, "type", ap, true).value_or("");
          if (type == "http") {
            unknown_keys(*ao, ap, {"type", "request"});
            act.type = TriggerAction::Type::kHttp;
            if (const json::object* r = object(ao->if_contains("request"), at(ap, "request"), true))
              act.request = outbox_request(*r, at(ap, "request"), cfg);
          } else if (type == "campaign") {
            unknown_keys(*ao, ap, {"type", "campaign_id", "supplier_id"});
            act.type = TriggerAction::Type::kCampaign;
            act.campaign_id = integer(*ao, "campaign_id", ap, true).value_or(0);
            act.supplier_id = integer(*ao, "supplier_id", ap, true).value_or(0);
          } else if (type == "email") {
            unknown_keys(*ao, ap, {"type", "to", "subject", "body"});
            act.type = TriggerAction::Type::kEmail;
            act.to = strings(*ao, "to", ap);
            if (act.to.empty()) error(at(ap, "to"), "must name at least one address");
            for (size_t m = 0; m < act.to.size(); ++m)
              if (act.to[m].find('@') == std::string::npos ||
                  act.to[m].find_first_of("\r\n,<> ") != std::string::npos)
                error(idx(at(ap, "to"), m), "must be an email address");
            act.subject = string(*ao, "subject", ap, true).value_or("");
            act.body = string(*ao, "body", ap, true).value_or("");
          } else if (type == "webhook") {
            unknown_keys(*ao, ap, {"type", "webhook_id"});
            act.type = TriggerAction::Type::kWebhook;
            act.webhook_id = integer(*ao, "webhook_id", ap, true).value_or(0);
          } else {
            error(at(ap, "type"), "must be http, campaign, email or webhook");
          }
          t.actions.push_back(std::move(act));
        }
      }
      out.push_back(std::move(t));
    }
    return out;
  }

  std::vector<SupplierPostback> postbacks(const json::object& s, const std::string& path,
                                          const Config& cfg) {
    std::vector<SupplierPostback> out;
    const json::array* a = array(s, "postbacks", path, false);
    if (!a) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      const std::string pp = idx(at(path, "postbacks"), i);
      const json::object* o = object(&(*a)[i], pp, true);
      if (!o) continue;
      unknown_keys(*o, pp, {"on", "request"});
      SupplierPostback pb;
      const std::string on = string(*o, "on", pp, true).value_or("sale");
      if (on == "sale")
        pb.event = EventType::kLeadAccepted;
      else if (on == "return")
        pb.event = EventType::kLeadReturned;
      else
        error(at(pp, "on"), "must be sale or return");
      if (const json::object* r = object(o->if_contains("request"), at(pp, "request"), true))
        pb.request = outbox_request(*r, at(pp, "request"), cfg);
      out.push_back(std::move(pb));
    }
    return out;
  }

  HttpTemplateConfig http_template(const json::object& o, const std::string& path) {
    HttpTemplateConfig t;
    unknown_keys(o, path,
                 {"method", "url", "headers", "format", "fields", "body", "connect_timeout_ms",
                  "timeout_ms", "max_response_bytes"});
    t.method = to_upper(string(o, "method", path, false).value_or("POST"));
    if (t.method != "GET" && t.method != "POST" && t.method != "PUT") {
      error(at(path, "method"), "must be GET, POST or PUT");
    }
    if (auto u = string(o, "url", path, true)) {
      t.url = *u;
      if (!starts_with_icase(t.url, "http://") && !starts_with_icase(t.url, "https://")) {
        error(at(path, "url"), "must start with http:// or https://");
      }
    }
    t.headers = string_map(o, "headers", path);
    std::string fmt =
        string(o, "format", path, false).value_or(t.method == "GET" ? "none" : "json");
    if (fmt == "form")
      t.format = BodyFormat::kForm;
    else if (fmt == "json")
      t.format = BodyFormat::kJson;
    else if (fmt == "xml")
      t.format = BodyFormat::kXml;
    else if (fmt == "none")
      t.format = BodyFormat::kNone;
    else
      error(at(path, "format"), "must be form, json, xml or none");
    t.fields = string_map(o, "fields", path);
    t.body = string(o, "body", path, false).value_or("");
    if (t.format == BodyFormat::kXml && t.body.empty()) {
      error(at(path, "body"), "is required for the xml format");
    }
    if (t.format == BodyFormat::kForm && !t.body.empty()) {
      error(at(path, "body"), "form bodies are built from 'fields'");
    }
    t.connect_timeout_ms = positive(o, "connect_timeout_ms", path, 2000, 60000);
    t.timeout_ms = positive(o, "timeout_ms", path, 10000, 300000);
    t.max_response_bytes = positive(o, "max_response_bytes", path, 262144, 16 << 20);
    return t;
  }

  MatchRule match_rule(const json::object& o, std::string_view key, const std::string& path) {
    MatchRule m;
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return m;
    std::string p = at(path, key);
    const json::object* mo = object(v, p, true);
    if (!mo) return m;
    unknown_keys(*mo, p, {"path", "equals", "contains", "regex"});
    m.path = string(*mo, "path", p, false).value_or("");
    m.equals = strings(*mo, "equals", p);
    m.contains = string(*mo, "contains", p, false).value_or("");
    m.regex = string(*mo, "regex", p, false).value_or("");
    if (m.empty()) error(p, "needs 'equals', 'contains' or 'regex'");
    return m;
  }

  Extractor extractor(const json::object& o, std::string_view key, const std::string& path) {
    Extractor e;
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return e;
    std::string p = at(path, key);
    if (v->is_string()) {  // shorthand: a path
      e.path = std::string(v->get_string());
      return e;
    }
    const json::object* eo = object(v, p, true);
    if (!eo) return e;
    unknown_keys(*eo, p, {"path", "regex"});
    e.path = string(*eo, "path", p, false).value_or("");
    e.regex = string(*eo, "regex", p, false).value_or("");
    if (e.empty()) error(p, "needs 'path' or 'regex'");
    return e;
  }

  std::vector<std::pair<std::string, Extractor>> extractor_map(const json::object& o,
                                                               std::string_view key,
                                                               const std::string& path) {
    std::vector<std::pair<std::string, Extractor>> out;
    const json::value* ev = o.if_contains(key);
    if (ev == nullptr) return out;
    const json::object* eo = object(ev, at(path, key), true);
    if (!eo) return out;
    for (const auto& kv : *eo) {
      if (kv.key().empty() || kv.key().size() > 64)
        error(at(at(path, key), kv.key()), "names are 1 to 64 characters");
      out.emplace_back(std::string(kv.key()), extractor(*eo, kv.key(), at(path, key)));
    }
    return out;
  }

  // "status": {"409": "duplicate", "4xx": "rejected"}
  std::vector<StatusRule> status_rules(const json::object& o, const std::string& path) {
    std::vector<StatusRule> out;
    const json::value* v = o.if_contains("status");
    if (v == nullptr) return out;
    std::string p = at(path, "status");
    const json::object* so = object(v, p, true);
    if (!so) return out;
    for (const auto& kv : *so) {
      std::string k = to_lower(kv.key());
      std::string kp = at(p, kv.key());
      StatusRule r;
      bool ok = k.size() == 3 && k[0] >= '1' && k[0] <= '5';
      if (ok && k.substr(1) == "xx") {
        r.whole_class = true;
        r.code = k[0] - '0';
      } else if (ok && std::isdigit(uint8_t(k[1])) && std::isdigit(uint8_t(k[2]))) {
        r.code = std::stoi(k);
      } else {
        error(kp, "must be an HTTP status (409) or class (4xx) from 1xx to 5xx");
        continue;
      }
      if (!kv.value().is_string() || !parse_answer_verdict(kv.value().get_string(), r.verdict)) {
        error(kp, "must be accepted, rejected, duplicate or error");
        continue;
      }
      out.push_back(r);
    }
    return out;
  }

  ResponseMappingConfig response_mapping(const json::value* v, const std::string& path) {
    ResponseMappingConfig r;
    if (v == nullptr) return r;
    const json::object* o = object(v, path, true);
    if (!o) return r;
    unknown_keys(
        *o, path,
        {"format", "accepted", "rejected", "duplicate", "no_match", "status", "price", "lead_id",
         "redirect_url", "reason", "default_reason", "extra", "keep", "keep_cookies"});
    std::string fmt = string(*o, "format", path, false).value_or("json");
    if (fmt == "json")
      r.format = ResponseFormat::kJson;
    else if (fmt == "xml")
      r.format = ResponseFormat::kXml;
    else if (fmt == "text")
      r.format = ResponseFormat::kText;
    else if (fmt == "html")
      r.format = ResponseFormat::kHtml;
    else if (fmt == "form")
      r.format = ResponseFormat::kForm;
    else
      error(at(path, "format"), "must be json, xml, html, form or text");
    r.accepted = match_rule(*o, "accepted", path);
    r.rejected = match_rule(*o, "rejected", path);
    r.duplicate = match_rule(*o, "duplicate", path);
    if (auto nm = string(*o, "no_match", path, false)) {
      AnswerVerdict verdict;
      if (*nm == "accepted" || *nm == "rejected") {
        parse_answer_verdict(*nm, verdict);
        r.no_match = verdict;
      } else {
        error(at(path, "no_match"), "must be accepted or rejected");
      }
    }
    r.status = status_rules(*o, path);
    r.price = extractor(*o, "price", path);
    r.lead_id = extractor(*o, "lead_id", path);
    r.redirect_url = extractor(*o, "redirect_url", path);
    r.reason = extractor(*o, "reason", path);
    r.default_reason = string(*o, "default_reason", path, false).value_or("");
    if (r.default_reason.size() > 256) error(at(path, "default_reason"), "at most 256 characters");
    r.extra = extractor_map(*o, "extra", path);
    r.keep = extractor_map(*o, "keep", path);
    if (r.keep.size() > 32) error(at(path, "keep"), "at most 32 values");
    r.keep_cookies = boolean(*o, "keep_cookies", path, true);
    return r;
  }

  // "missing_price": "zero" | {"action": "fallback", "amount": 4.5}
  std::optional<MissingPriceConfig> missing_price(const json::object& o, const std::string& path) {
    const json::value* v = o.if_contains("missing_price");
    if (v == nullptr) return std::nullopt;
    std::string p = at(path, "missing_price");
    MissingPriceConfig m;
    std::string action;
    const json::object* mo = nullptr;
    if (v->is_string()) {
      action = std::string(v->get_string());
    } else if ((mo = object(v, p, true))) {
      unknown_keys(*mo, p, {"action", "amount"});
      action = string(*mo, "action", p, true).value_or("");
    } else {
      return std::nullopt;
    }
    if (action == "zero") {
      m.action = MissingPriceConfig::Action::kZero;
    } else if (action == "fallback") {
      m.action = MissingPriceConfig::Action::kFallback;
      const json::value* a = mo ? mo->if_contains("amount") : nullptr;
      if (a == nullptr) {
        error(at(p, "amount"), "is required for the fallback action");
      } else if (auto amount = money(*a, at(p, "amount"))) {
        if (*amount <= Money()) error(at(p, "amount"), "must be more than 0");
        m.amount = *amount;
      }
    } else {
      error(mo ? at(p, "action") : p, "must be zero or fallback");
    }
    return m;
  }

  // ---- compliance checks (issue 17) ---------------------------------------------------------
  // The campaign's fields by name while its checks are parsed (types say which checks fit).
  const std::vector<FieldSpec>* check_fields = nullptr;
  const std::set<std::string>* known_fields = nullptr;  // declared and computed

  const FieldSpec* field_spec(const std::string& name) const {
    if (check_fields == nullptr) return nullptr;
    for (const auto& f : *check_fields)
      if (f.name == name) return &f;
    return nullptr;
  }

  // The first declared field of `type`, or the first of `names` the campaign has.
  std::string default_field(FieldType type, std::initializer_list<std::string_view> names) const {
    if (check_fields != nullptr) {
      if (names.size() == 0) {
        for (const auto& f : *check_fields)
          if (f.type == type) return f.name;
      }
      for (std::string_view n : names)
        for (const auto& f : *check_fields)
          if (f.name == n) return f.name;
    }
    return {};
  }

  static bool check_name_ok(std::string_view n) {
    if (n.empty() || n.size() > 64) return false;
    for (char c : n)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
  }

  // A check's mode ("mode": sync, async or off) and sample ("sample_percent", 0 to 100), when set.
  std::optional<CheckMode> check_mode(const json::object& o, const std::string& path) {
    auto m = string(o, "mode", path, false);
    if (!m) return std::nullopt;
    CheckMode mode;
    if (parse_check_mode(*m, mode)) return mode;
    error(at(path, "mode"), "must be sync, async or off");
    return std::nullopt;
  }
  std::optional<uint32_t> sample_percent(const json::object& o, const std::string& path) {
    auto sp = integer(o, "sample_percent", path, false);
    if (!sp) return std::nullopt;
    if (*sp >= 0 && *sp <= 100) return uint32_t(*sp);
    error(at(path, "sample_percent"), "must be between 0 and 100");
    return std::nullopt;
  }

  std::optional<CheckConfig> check(const json::value& v, const std::string& cp, const Config& cfg) {
    const json::object* o = object(&v, cp, true);
    if (!o) return std::nullopt;
    unknown_keys(*o, cp,
                 {"name",       "type",     "mode",       "provider", "field",          "fields",
                  "required",   "on_error", "timeout_ms", "cache_s",  "sample_percent", "countries",
                  "line_types", "lists",    "base_url",   "api_key",  "account",        "policy",
                  "reference",  "vendor",   "request",    "response"});
    CheckConfig c;
    std::string type = string(*o, "type", cp, true).value_or("");
    if (!type.empty() && !parse_check_type(type, c.type)) {
      error(at(cp, "type"), "must be phone, email, suppression, trustedform, jornaya or http");
      return std::nullopt;
    }
    if (type.empty()) return std::nullopt;
    c.name = string(*o, "name", cp, false).value_or(std::string(to_string(c.type)));
    if (!check_name_ok(c.name))
      error(at(cp, "name"), "must be 1 to 64 characters: lower-case letters, digits and '_'");
    if (auto m = check_mode(*o, cp)) c.mode = *m;
    c.provider = string(*o, "provider", cp, false).value_or(std::string(default_provider(c.type)));
    if (c.provider.empty() || c.provider.size() > 64)
      error(at(cp, "provider"), "must be 1 to 64 characters");
    c.required = boolean(*o, "required", cp, false);
    std::string on_error = string(*o, "on_error", cp, false).value_or("fail_open");
    if (on_error == "fail_closed")
      c.fail_closed = true;
    else if (on_error != "fail_open")
      error(at(cp, "on_error"), "must be fail_open or fail_closed");
    c.timeout_ms = positive(*o, "timeout_ms", cp, 3000, 60000);
    if (auto cs = integer(*o, "cache_s", cp, false)) {
      if (*cs < 0 || *cs > 90 * 86400)
        error(at(cp, "cache_s"), "must be between 0 and 7776000 (90 days)");
      else
        c.cache_s = uint32_t(*cs);
    }
    if (auto sp = sample_percent(*o, cp)) c.sample_percent = *sp;
    if (auto f = string(*o, "field", cp, false)) c.fields.push_back(*f);
    for (auto& f : strings(*o, "fields", cp)) c.fields.push_back(std::move(f));
    c.countries = strings(*o, "countries", cp);
    for (auto& cc : c.countries) {
      cc = std::string(trim(cc));
      for (char& ch : cc) ch = char(std::toupper(uint8_t(ch)));
      if (cc.size() != 2 || !std::isalpha(uint8_t(cc[0])) || !std::isalpha(uint8_t(cc[1])))
        error(at(cp, "countries"), "must be ISO 3166 country codes like US");
    }
    c.line_types = strings(*o, "line_types", cp);
    c.base_url = string(*o, "base_url", cp, false).value_or("");
    c.api_key = string(*o, "api_key", cp, false).value_or("");
    c.account = string(*o, "account", cp, false).value_or("");
    c.policy = string(*o, "policy", cp, false).value_or("require_success");
    c.reference = string(*o, "reference", cp, false).value_or("{{lp_lead_id}}");
    c.vendor = string(*o, "vendor", cp, false).value_or("{{lp_supplier_name}}");
    if (!c.base_url.empty() && !starts_with_icase(c.base_url, "https://") &&
        !starts_with_icase(c.base_url, "http://"))
      error(at(cp, "base_url"), "must start with http:// or https://");

    auto need_one_field = [&](FieldType t, std::initializer_list<std::string_view> names,
                              std::string_view what) {
      if (c.fields.empty()) {
        std::string d = default_field(t, names);
        if (d.empty()) {
          error(at(cp, "field"),
                "is required: the campaign has no " + std::string(what) + " field");
          return;
        }
        c.fields.push_back(d);
      }
      if (c.fields.size() != 1) error(at(cp, "fields"), "must name one field");
    };
    switch (c.type) {
      case CheckType::kPhone:
        need_one_field(FieldType::kPhone, {}, "phone");
        break;
      case CheckType::kEmail:
        need_one_field(FieldType::kEmail, {}, "email");
        break;
      case CheckType::kSuppression: {
        if (c.fields.empty() && check_fields)
          for (const auto& f : *check_fields)
            if (f.type == FieldType::kPhone || f.type == FieldType::kEmail)
              c.fields.push_back(f.name);
        if (c.fields.empty())
          error(at(cp, "fields"), "is required: the campaign has no phone or email field");
        for (const auto& f : c.fields) {
          const FieldSpec* spec = field_spec(f);
          if (spec && spec->type != FieldType::kPhone && spec->type != FieldType::kEmail)
            error(at(cp, "fields"), "'" + f + "' is not a phone or email field");
        }
        const json::array* ls = array(*o, "lists", cp, true);
        if (ls && ls->empty()) error(at(cp, "lists"), "must name at least one list");
        for (size_t i = 0; ls && i < ls->size(); ++i) {
          const json::value& e = (*ls)[i];
          int64_t id = e.is_int64() ? e.as_int64() : e.is_uint64() ? int64_t(e.as_uint64()) : 0;
          if (id <= 0 || cfg.find_list(id) == nullptr)
            error(idx(at(cp, "lists"), i), "must name a list in $.lists");
          else
            c.lists.push_back(id);
        }
        break;
      }
      case CheckType::kTrustedForm:
        need_one_field(FieldType::kUrl,
                       {"trustedform_cert_url", "xxTrustedFormCertUrl", "trusted_form_cert_url",
                        "trustedform_url", "trustedform_cert"},
                       "TrustedForm certificate");
        if (c.api_key.empty()) error(at(cp, "api_key"), "is required");
        // (The policy's name is checked where it is read: engine/snapshot.cpp.)
        break;
      case CheckType::kJornaya:
        need_one_field(
            FieldType::kText,
            {"jornaya_leadid", "jornaya_lead_id", "leadid_token", "universal_leadid", "leadid"},
            "Jornaya LeadiD");
        if (c.account.empty()) error(at(cp, "account"), "is required (your LeadiD account code)");
        break;
      case CheckType::kHttp:
        if (const json::object* r = object(o->if_contains("request"), at(cp, "request"), true))
          c.request = http_template(*r, at(cp, "request"));
        c.response = response_mapping(o->if_contains("response"), at(cp, "response"));
        if (!cfg.outbound.allow_private_networks && !c.request.url.empty()) {
          if (auto why = non_public_url_reason(c.request.url))
            error(at(at(cp, "request"), "url"),
                  *why + "; set outbound.allow_private_networks to allow private networks");
        }
        break;
    }
    if (known_fields) {
      for (const auto& f : c.fields)
        if (!known_fields->count(f)) error(at(cp, "fields"), "unknown field '" + f + "'");
    }
    if (!cfg.outbound.allow_private_networks && !c.base_url.empty()) {
      if (auto why = non_public_url_reason(c.base_url))
        error(at(cp, "base_url"),
              *why + "; set outbound.allow_private_networks to allow private networks");
    }
    return c;
  }

  std::vector<CheckConfig> checks(const json::object& o, const std::string& path,
                                  const Config& cfg) {
    std::vector<CheckConfig> out;
    const json::array* a = array(o, "checks", path, false);
    if (!a) return out;
    std::set<std::string> names;
    for (size_t i = 0; i < a->size(); ++i) {
      std::string cp = idx(at(path, "checks"), i);
      auto c = check((*a)[i], cp, cfg);
      if (!c) continue;
      if (!names.insert(c->name).second)
        error(at(cp, "name"), "duplicate check '" + c->name + "' (name them apart)");
      out.push_back(std::move(*c));
    }
    return out;
  }

  // A supplier's "checks": an entry with a "type" is the supplier's own check; one without
  // changes the campaign's check it names.
  std::vector<CheckOverride> check_overrides(const json::object& o, const std::string& path,
                                             const std::vector<CheckConfig>& campaign_checks,
                                             const Config& cfg, std::vector<CheckConfig>& own) {
    std::vector<CheckOverride> out;
    const json::array* a = array(o, "checks", path, false);
    if (!a) return out;
    std::set<std::string> names;
    for (const auto& k : campaign_checks) names.insert(k.name);
    for (size_t i = 0; i < a->size(); ++i) {
      std::string cp = idx(at(path, "checks"), i);
      const json::object* c = object(&(*a)[i], cp, true);
      if (!c) continue;
      if (c->contains("type")) {
        auto check_cfg = check((*a)[i], cp, cfg);
        if (!check_cfg) continue;
        if (!names.insert(check_cfg->name).second)
          error(at(cp, "name"), "duplicate check '" + check_cfg->name +
                                    "' (the campaign's or the supplier's; name them apart)");
        own.push_back(std::move(*check_cfg));
        continue;
      }
      unknown_keys(*c, cp, {"name", "mode", "sample_percent"});
      CheckOverride ov;
      ov.name = string(*c, "name", cp, true).value_or("");
      bool known = std::any_of(campaign_checks.begin(), campaign_checks.end(),
                               [&](const CheckConfig& k) { return k.name == ov.name; });
      if (!ov.name.empty() && !known)
        error(at(cp, "name"), "must name one of the campaign's checks");
      ov.mode = check_mode(*c, cp);
      ov.sample_percent = sample_percent(*c, cp);
      out.push_back(std::move(ov));
    }
    return out;
  }

  // ---- campaign parts -----------------------------------------------------------------------
  FieldSpec field(const json::value& v, const std::string& path) {
    FieldSpec f;
    if (v.is_string()) {  // shorthand: a text field name
      f.name = std::string(v.get_string());
      return f;
    }
    const json::object* o = object(&v, path, true);
    if (!o) return f;
    unknown_keys(*o, path,
                 {"name", "type", "required", "required_on_ping", "on_ping", "max_length",
                  "allowed_values", "description", "searchable"});
    f.name = string(*o, "name", path, true).value_or("");
    std::string type = string(*o, "type", path, false).value_or("text");
    if (!parse_field_type(type, f.type)) {
      error(at(path, "type"), "unknown field type '" + type + "'");
    }
    f.required = boolean(*o, "required", path, false);
    f.required_on_ping = boolean(*o, "required_on_ping", path, false);
    f.on_ping = boolean(*o, "on_ping", path, f.required_on_ping);
    f.max_length = positive(*o, "max_length", path, 255, 65536);
    f.allowed_values = strings(*o, "allowed_values", path);
    f.description = string(*o, "description", path, false).value_or("");
    if (o->contains("searchable")) f.searchable = boolean(*o, "searchable", path, false);
    if (f.type == FieldType::kList && f.allowed_values.empty()) {
      error(at(path, "allowed_values"), "is required for a list field");
    }
    if (f.name.empty() || f.name.size() > 64) error(at(path, "name"), "must be 1 to 64 characters");
    if (starts_with_icase(f.name, "lp_") && f.name.rfind("lp_subid", 0) != 0) {
      error(at(path, "name"), "the lp_ prefix is reserved for system fields");
    }
    return f;
  }
};

std::string key_hash(Loader& L, const json::object& o, const std::string& path,
                     std::string_view plain_key, std::string_view hashed_key) {
  auto plain = L.string(o, plain_key, path, false);
  auto hashed = L.string(o, hashed_key, path, false);
  if (plain && hashed) {
    L.error(path, "give either '" + std::string(plain_key) + "' or '" + std::string(hashed_key) +
                      "', not both");
  }
  if (hashed) {
    std::string h = to_lower(*hashed);
    bool hex = h.size() == 64;
    for (char c : h) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!hex) L.error(Loader::at(path, hashed_key), "must be 64 hex characters (SHA-256)");
    return h;
  }
  if (plain) {
    if (plain->size() < 8) L.error(Loader::at(path, plain_key), "must be at least 8 characters");
    return sha256_hex(*plain);
  }
  L.error(path, "needs '" + std::string(plain_key) + "' or '" + std::string(hashed_key) + "'");
  return {};
}

}  // namespace

ConfigLoadResult load_config(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options po;
  po.allow_comments = true;
  po.allow_trailing_commas = true;
  json::value root = json::parse(text, ec, {}, po);
  if (ec) {
    ConfigLoadResult result;
    result.errors.push_back("$: not valid JSON: " + ec.message());
    return result;
  }
  if (!root.is_object()) {
    ConfigLoadResult result;
    Loader L;
    L.object(&root, "$", true);
    result.errors = std::move(L.errors);
    return result;
  }
  return load_config_document(root.as_object());
}

// outbox (issue 18): how notifications are sent.
static void load_jobs(Loader& L, const json::object& root, Config& cfg) {
  const std::string p = "$.jobs";
  const json::object* o = L.object(root.if_contains("jobs"), p, false);
  if (!o) return;
  L.unknown_keys(*o, p,
                 {"threads", "download_window_days", "batch_rows_per_s", "batch_concurrency",
                  "pull_rate_per_minute"});
  JobsConfig& j = cfg.jobs;
  j.threads = L.positive(*o, "threads", p, j.threads, 16);
  j.download_window_days = L.positive(*o, "download_window_days", p, j.download_window_days, 365);
  j.batch_rows_per_s = L.positive(*o, "batch_rows_per_s", p, j.batch_rows_per_s, 100000);
  j.batch_concurrency = L.positive(*o, "batch_concurrency", p, j.batch_concurrency, 256);
  j.pull_rate_per_minute = L.positive(*o, "pull_rate_per_minute", p, j.pull_rate_per_minute, 60000);
}

static void load_outbox(Loader& L, const json::object& root, Config& cfg) {
  const std::string p = "$.outbox";
  const json::object* o = L.object(root.if_contains("outbox"), p, false);
  if (!o) return;
  L.unknown_keys(*o, p,
                 {"retry_base_ms", "retry_max_ms", "max_age_hours", "attempt_timeout_ms",
                  "max_in_flight_per_destination", "breaker_failures", "breaker_open_ms",
                  "response_excerpt_bytes", "retention_days", "secret_overlap_hours"});
  OutboxConfig& ob = cfg.outbox;
  ob.retry.base_ms = L.positive(*o, "retry_base_ms", p, uint32_t(ob.retry.base_ms), 86'400'000);
  ob.retry.max_ms = L.positive(*o, "retry_max_ms", p, uint32_t(ob.retry.max_ms), 86'400'000);
  if (ob.retry.max_ms < ob.retry.base_ms)
    L.error(Loader::at(p, "retry_max_ms"), "must be at least retry_base_ms");
  ob.retry.max_age_ms =
      int64_t(L.positive(*o, "max_age_hours", p, uint32_t(ob.retry.max_age_ms / 3'600'000), 720)) *
      3'600'000;
  ob.attempt_timeout_ms = L.positive(*o, "attempt_timeout_ms", p, ob.attempt_timeout_ms, 120000);
  ob.max_in_flight_per_destination =
      L.positive(*o, "max_in_flight_per_destination", p, ob.max_in_flight_per_destination, 256);
  if (auto bf = L.integer(*o, "breaker_failures", p, false)) {
    if (*bf < 0 || *bf > 1000)
      L.error(Loader::at(p, "breaker_failures"), "must be between 0 and 1000");
    else
      ob.breaker_failures = uint32_t(*bf);
  }
  ob.breaker_open_ms = L.positive(*o, "breaker_open_ms", p, ob.breaker_open_ms, 86'400'000);
  ob.response_excerpt_bytes =
      L.positive(*o, "response_excerpt_bytes", p, ob.response_excerpt_bytes, 65536);
  ob.retention_days = L.positive(*o, "retention_days", p, ob.retention_days, 3650);
  ob.secret_overlap_hours =
      L.positive(*o, "secret_overlap_hours", p, ob.secret_overlap_hours, 24 * 30);
}

namespace {
constexpr EnumNames<AlertRule::Metric, 6> kAlertMetrics{{
    {AlertRule::Metric::kErrorRate, "error_rate"},
    {AlertRule::Metric::kDuplicateRate, "duplicate_rate"},
    {AlertRule::Metric::kAcceptanceRate, "acceptance_rate"},
    {AlertRule::Metric::kBuyerTimeoutRate, "buyer_timeout_rate"},
    {AlertRule::Metric::kBuyerP99, "buyer_p99_ms"},
    {AlertRule::Metric::kNoLeads, "no_leads_minutes"},
}};
constexpr EnumNames<AlertRule::Scope, 3> kAlertScopes{{
    {AlertRule::Scope::kCampaign, "campaign"},
    {AlertRule::Scope::kSupplier, "supplier"},
    {AlertRule::Scope::kBuyer, "buyer"},
}};
}  // namespace

std::string_view to_string(AlertRule::Metric m) { return enum_name(kAlertMetrics, m); }
std::string_view to_string(AlertRule::Scope s) { return enum_name(kAlertScopes, s); }

// alerts (issue 18, G5): monitoring rules; after campaigns (their scopes name them).
static void load_alerts(Loader& L, const json::object& root, Config& cfg) {
  const json::array* as = L.array(root, "alerts", "$", false);
  if (!as) return;
  for (size_t i = 0; i < as->size(); ++i) {
    const std::string p = Loader::idx("$.alerts", i);
    const json::object* o = L.object(&(*as)[i], p, true);
    if (!o) continue;
    L.unknown_keys(
        *o, p,
        {"id", "name", "metric", "campaign_id", "supplier_id", "buyer_id", "window_minutes", "op",
         "threshold", "min_sample", "cooldown_minutes", "email", "enabled"});
    AlertRule r;
    r.id = L.integer(*o, "id", p, true).value_or(0);
    if (r.id <= 0) L.error(Loader::at(p, "id"), "must be a positive integer");
    for (const auto& other : cfg.alerts)
      if (other.id == r.id && r.id > 0)
        L.error(Loader::at(p, "id"), "duplicate alert id " + std::to_string(r.id));
    r.name = L.string(*o, "name", p, false).value_or("alert " + std::to_string(r.id));
    const std::string metric = L.string(*o, "metric", p, true).value_or("");
    if (!parse_enum(kAlertMetrics, metric, r.metric))
      L.error(Loader::at(p, "metric"),
              "must be error_rate, duplicate_rate, acceptance_rate, buyer_timeout_rate, "
              "buyer_p99_ms or no_leads_minutes");
    int scopes = 0;
    for (auto [key, scope] : {std::pair{"campaign_id", AlertRule::Scope::kCampaign},
                              std::pair{"supplier_id", AlertRule::Scope::kSupplier},
                              std::pair{"buyer_id", AlertRule::Scope::kBuyer}}) {
      if (auto v = L.integer(*o, key, p, false)) {
        ++scopes;
        r.scope = scope;
        r.scope_id = *v;
      }
    }
    if (scopes != 1) {
      L.error(p, "needs exactly one of campaign_id, supplier_id, buyer_id");
    } else {
      for (const CampaignConfig& c : cfg.campaigns) {
        if ((r.scope == AlertRule::Scope::kCampaign && c.id == r.scope_id) ||
            (r.scope == AlertRule::Scope::kSupplier && c.find_supplier(r.scope_id)) ||
            (r.scope == AlertRule::Scope::kBuyer && c.find_buyer(r.scope_id)))
          r.campaign_id = c.id;
      }
      if (r.campaign_id == 0)
        L.error(Loader::at(p, std::string(to_string(r.scope)) + "_id"),
                "unknown " + std::string(to_string(r.scope)) + " " + std::to_string(r.scope_id));
    }
    const bool buyer_metric = r.metric == AlertRule::Metric::kBuyerTimeoutRate ||
                              r.metric == AlertRule::Metric::kBuyerP99;
    if (buyer_metric && r.scope != AlertRule::Scope::kBuyer)
      L.error(Loader::at(p, "metric"), metric + " needs a buyer_id");
    if (r.scope == AlertRule::Scope::kBuyer && !buyer_metric &&
        r.metric != AlertRule::Metric::kAcceptanceRate)
      L.error(Loader::at(p, "metric"), metric + " is for a campaign or a supplier");
    r.window_minutes = L.positive(*o, "window_minutes", p, r.window_minutes, 60);
    const std::string op =
        L.string(*o, "op", p, false)
            .value_or(r.metric == AlertRule::Metric::kAcceptanceRate ? "<" : ">");
    if (op != ">" && op != "<") L.error(Loader::at(p, "op"), "must be > or <");
    r.above = op == ">";
    if (const json::value* t = o->if_contains("threshold"); t && t->is_number()) {
      r.threshold = t->to_number<double>();
      if (r.threshold < 0) L.error(Loader::at(p, "threshold"), "must not be negative");
    } else {
      L.error(Loader::at(p, "threshold"), "is required (a number)");
    }
    if (auto ms = L.integer(*o, "min_sample", p, false)) {
      if (*ms < 1 || *ms > 1'000'000)
        L.error(Loader::at(p, "min_sample"), "must be between 1 and 1000000");
      else
        r.min_sample = uint32_t(*ms);
    }
    if (auto cd = L.integer(*o, "cooldown_minutes", p, false)) {
      if (*cd < 0 || *cd > 7 * 24 * 60)
        L.error(Loader::at(p, "cooldown_minutes"), "must be between 0 and 10080");
      else
        r.cooldown_minutes = uint32_t(*cd);
    }
    r.email = L.strings(*o, "email", p);
    for (size_t k = 0; k < r.email.size(); ++k)
      if (r.email[k].find('@') == std::string::npos ||
          r.email[k].find_first_of("\r\n,<> ") != std::string::npos)
        L.error(Loader::idx(Loader::at(p, "email"), k), "must be an email address");
    r.enabled = L.boolean(*o, "enabled", p, true);
    cfg.alerts.push_back(std::move(r));
  }
}

// email (issue 18): the relay.
static void load_email(Loader& L, const json::object& root, Config& cfg) {
  const std::string p = "$.email";
  const json::object* o = L.object(root.if_contains("email"), p, false);
  if (!o) return;
  L.unknown_keys(*o, p,
                 {"smtp_host", "smtp_port", "tls", "username", "password_env", "from", "timeout_ms",
                  "ca_file"});
  EmailConfig& e = cfg.email;
  e.smtp_host = L.string(*o, "smtp_host", p, true).value_or("");
  e.smtp_port = uint16_t(L.positive(*o, "smtp_port", p, e.smtp_port, 65535));
  e.tls = L.string(*o, "tls", p, false).value_or(e.tls);
  if (e.tls != "starttls" && e.tls != "tls" && e.tls != "none")
    L.error(Loader::at(p, "tls"), "must be starttls, tls or none");
  e.username = L.string(*o, "username", p, false).value_or("");
  e.password_env = L.string(*o, "password_env", p, false).value_or("");
  if (!e.username.empty() && e.password_env.empty())
    L.error(Loader::at(p, "password_env"),
            "is required with a username (the environment variable holding the password)");
  if (!e.username.empty() && e.tls == "none")
    L.error(Loader::at(p, "tls"), "must be starttls or tls to send a password");
  e.from = L.string(*o, "from", p, false).value_or(e.from);
  if (e.from.find('@') == std::string::npos || e.from.find_first_of("\r\n<> ") != std::string::npos)
    L.error(Loader::at(p, "from"), "must be an email address");
  e.timeout_ms = L.positive(*o, "timeout_ms", p, e.timeout_ms, 300000);
  e.ca_file = L.string(*o, "ca_file", p, false).value_or("");
}

// portal (issue 20): sessions, resets, notices.
static void load_portal(Loader& L, const json::object& root, Config& cfg) {
  const std::string p = "$.portal";
  const json::object* o = L.object(root.if_contains("portal"), p, false);
  if (!o) return;
  L.unknown_keys(*o, p,
                 {"base_url", "admin_emails", "session_hours", "idle_minutes", "reset_minutes",
                  "invite_days", "login_failures", "templates"});
  PortalConfig& pc = cfg.portal;
  pc.base_url = L.string(*o, "base_url", p, false).value_or("");
  if (!pc.base_url.empty() && pc.base_url.rfind("http://", 0) != 0 &&
      pc.base_url.rfind("https://", 0) != 0)
    L.error(Loader::at(p, "base_url"), "must start with http:// or https://");
  pc.admin_emails = L.strings(*o, "admin_emails", p);
  for (size_t k = 0; k < pc.admin_emails.size(); ++k) {
    const std::string& a = pc.admin_emails[k];
    if (a.find('@') == std::string::npos || a.find_first_of("\r\n<>, ") != std::string::npos)
      L.error(Loader::idx(Loader::at(p, "admin_emails"), k), "must be an email address");
  }
  pc.session_hours = L.positive(*o, "session_hours", p, pc.session_hours, 24 * 30);
  pc.idle_minutes = L.positive(*o, "idle_minutes", p, pc.idle_minutes, 24 * 60 * 30);
  pc.reset_minutes = L.positive(*o, "reset_minutes", p, pc.reset_minutes, 24 * 60 * 7);
  pc.invite_days = L.positive(*o, "invite_days", p, pc.invite_days, 90);
  pc.login_failures = L.positive(*o, "login_failures", p, pc.login_failures, 1000);
  if (const json::object* t = L.object(o->if_contains("templates"), p + ".templates", false)) {
    for (const auto& kv : *t) {
      const std::string name(kv.key());
      const std::string tp = Loader::at(p + ".templates", name);
      if (!is_notice_name(name)) {
        L.error(tp,
                "unknown notice: approval_requested, approval_decided, balance_low, "
                "return_credited, password_reset or invitation");
        continue;
      }
      const json::object* to = L.object(&kv.value(), tp, true);
      if (!to) continue;
      L.unknown_keys(*to, tp, {"subject", "body"});
      NoticeTemplate nt;
      nt.subject = L.string(*to, "subject", tp, true).value_or("");
      nt.body = L.string(*to, "body", tp, true).value_or("");
      if (nt.subject.empty() || nt.subject.size() > 500)
        L.error(Loader::at(tp, "subject"), "must be 1 to 500 characters");
      if (nt.body.empty() || nt.body.size() > 20000)
        L.error(Loader::at(tp, "body"), "must be 1 to 20000 characters");
      pc.templates.emplace_back(name, std::move(nt));
    }
  }
}

// webhooks (issue 18, I1): subscriptions.
static void load_webhooks(Loader& L, const json::object& root, Config& cfg) {
  const json::array* ws = L.array(root, "webhooks", "$", false);
  if (!ws) return;
  for (size_t i = 0; i < ws->size(); ++i) {
    const std::string p = Loader::idx("$.webhooks", i);
    const json::object* w = L.object(&(*ws)[i], p, true);
    if (!w) continue;
    L.unknown_keys(
        *w, p,
        {"id", "name", "url", "events", "campaigns", "secrets", "enabled", "disabled_reason",
         "include_lead", "max_in_flight", "timeout_ms", "description"});
    WebhookConfig wc;
    wc.id = L.integer(*w, "id", p, true).value_or(0);
    if (wc.id <= 0) L.error(Loader::at(p, "id"), "must be a positive integer");
    if (cfg.find_webhook(wc.id))
      L.error(Loader::at(p, "id"), "duplicate webhook id " + std::to_string(wc.id));
    wc.name = L.string(*w, "name", p, false).value_or("");
    if (wc.name.size() > 128) L.error(Loader::at(p, "name"), "must be at most 128 characters");
    wc.url = L.string(*w, "url", p, true).value_or("");
    if (!wc.url.empty()) {
      if (wc.url.rfind("http://", 0) != 0 && wc.url.rfind("https://", 0) != 0)
        L.error(Loader::at(p, "url"), "must start with http:// or https://");
      else if (wc.url.size() > 2048)
        L.error(Loader::at(p, "url"), "must be at most 2048 characters");
      else if (wc.url.find("{{") != std::string::npos)
        L.error(Loader::at(p, "url"), "must be a fixed URL (no merge tags)");
      else if (!cfg.outbound.allow_private_networks) {
        if (auto why = non_public_url_reason(wc.url))
          L.error(Loader::at(p, "url"),
                  *why + "; set outbound.allow_private_networks to allow private networks");
      }
    }
    if (const json::array* es = L.array(*w, "events", p, true)) {
      if (es->empty()) L.error(Loader::at(p, "events"), "must name at least one event");
      for (size_t k = 0; k < es->size(); ++k) {
        const json::value& v = (*es)[k];
        EventType e{};
        if (v.is_string() && v.as_string() == "*")
          wc.events |= kAllEvents;
        else if (v.is_string() && parse_event_type(v.as_string(), e))
          wc.events |= event_bit(e);
        else
          L.error(Loader::idx(Loader::at(p, "events"), k),
                  "must be an event: lead.accepted, lead.rejected, lead.duplicated, "
                  "lead.returned, buyer.paused, buyer.resumed, cap.reached, config.changed, "
                  "alert.fired, alert.resolved, batch.completed, batch.failed, "
                  "approval.requested, approval.decided or *");
      }
    }
    if (const json::array* cs = L.array(*w, "campaigns", p, false)) {
      for (size_t k = 0; k < cs->size(); ++k) {
        const json::value& v = (*cs)[k];
        if (!v.is_int64() || cfg.find_campaign(v.as_int64()) == nullptr)
          L.error(Loader::idx(Loader::at(p, "campaigns"), k), "must be a campaign id");
        else
          wc.campaigns.push_back(v.as_int64());
      }
    }
    if (const json::array* ss = L.array(*w, "secrets", p, false)) {
      if (ss->empty() || ss->size() > 2)
        L.error(Loader::at(p, "secrets"), "must hold one or two secrets (two while rotating)");
      for (size_t k = 0; k < ss->size(); ++k) {
        const std::string sp = Loader::idx(Loader::at(p, "secrets"), k);
        const json::object* so = L.object(&(*ss)[k], sp, true);
        if (!so) continue;
        L.unknown_keys(*so, sp, {"version", "expires_at"});
        WebhookSecret sec;
        sec.version = L.positive(*so, "version", sp, 1, 1'000'000);
        if (auto at = L.utc_time(*so, "expires_at", sp)) sec.expires_ms = *at;
        for (const auto& other : wc.secrets)
          if (other.version == sec.version)
            L.error(Loader::at(sp, "version"), "duplicate secret version");
        wc.secrets.push_back(sec);
      }
    }
    if (wc.secrets.empty()) wc.secrets.push_back(WebhookSecret{});
    wc.enabled = L.boolean(*w, "enabled", p, true);
    wc.disabled_reason = L.string(*w, "disabled_reason", p, false).value_or("");
    wc.include_lead = L.boolean(*w, "include_lead", p, false);
    wc.max_in_flight = L.positive(*w, "max_in_flight", p, 0, 256);
    wc.timeout_ms = L.positive(*w, "timeout_ms", p, 0, 120000);
    wc.description = L.string(*w, "description", p, false).value_or("");
    if (wc.enabled) cfg.webhook_events |= wc.events;
    cfg.webhooks.push_back(std::move(wc));
  }
}

ConfigLoadResult load_config_document(const json::object& root) {
  ConfigLoadResult result;
  Loader L;
  auto cfg = std::make_shared<Config>();
  const json::object* ro = &root;
  L.unknown_keys(*ro, "$",
                 {"account", "server", "outbound", "clients", "api_tokens", "lists", "campaigns",
                  "webhooks", "outbox", "email", "alerts", "jobs", "portal"});

  // account
  if (const json::object* a = L.object(ro->if_contains("account"), "$.account", true)) {
    L.unknown_keys(*a, "$.account", {"name", "timezone", "currency", "public_base_url"});
    cfg->account.public_base_url =
        L.string(*a, "public_base_url", "$.account", false).value_or(cfg->account.public_base_url);
    cfg->account.name = L.string(*a, "name", "$.account", false).value_or("pingpost");
    std::string tz = L.string(*a, "timezone", "$.account", true).value_or("UTC");
    if (!TimeZone::lookup(tz, cfg->account.tz)) {
      L.error("$.account.timezone", "unknown IANA time zone '" + tz + "'");
    }
    cfg->account.currency = L.string(*a, "currency", "$.account", false).value_or("USD");
    if (cfg->account.currency.size() != 3)
      L.error("$.account.currency", "must be a 3-letter ISO 4217 code");
  }

  // server
  if (const json::object* s = L.object(ro->if_contains("server"), "$.server", false)) {
    L.unknown_keys(*s, "$.server",
                   {"body_limit_bytes", "header_limit_bytes", "read_timeout_ms", "idle_timeout_ms",
                    "max_fields", "max_field_value_bytes", "sandbox", "max_connections",
                    "max_requests_per_connection", "rate_limits", "upload_limit_bytes"});
    auto& sc = cfg->server;
    sc.body_limit_bytes =
        L.positive(*s, "body_limit_bytes", "$.server", sc.body_limit_bytes, 16 << 20);
    sc.header_limit_bytes =
        L.positive(*s, "header_limit_bytes", "$.server", sc.header_limit_bytes, 1 << 20);
    sc.read_timeout_ms = L.positive(*s, "read_timeout_ms", "$.server", sc.read_timeout_ms, 600000);
    sc.idle_timeout_ms = L.positive(*s, "idle_timeout_ms", "$.server", sc.idle_timeout_ms, 3600000);
    sc.max_fields = L.positive(*s, "max_fields", "$.server", sc.max_fields, 10000);
    sc.max_field_value_bytes =
        L.positive(*s, "max_field_value_bytes", "$.server", sc.max_field_value_bytes, 1 << 20);
    sc.sandbox = L.boolean(*s, "sandbox", "$.server", false);
    if (auto u = L.integer(*s, "upload_limit_bytes", "$.server", false)) {
      if (*u < 1024 || *u > (int64_t(1) << 40))
        L.error("$.server.upload_limit_bytes", "must be between 1024 and 1099511627776 (1 TiB)");
      else
        sc.upload_limit_bytes = uint64_t(*u);
    }
    sc.max_connections = L.positive(*s, "max_connections", "$.server", sc.max_connections, 1000000);
    sc.max_requests_per_connection = L.positive(*s, "max_requests_per_connection", "$.server",
                                                sc.max_requests_per_connection, 100000000);
    if (const json::object* r =
            L.object(s->if_contains("rate_limits"), "$.server.rate_limits", false)) {
      const std::string rp = "$.server.rate_limits";
      L.unknown_keys(*r, rp, {"token_per_s", "token_burst", "supplier_per_s", "supplier_burst"});
      auto count = [&](const char* key) -> uint32_t {
        auto v = L.integer(*r, key, rp, false);
        if (v && (*v < 0 || *v > 1000000)) L.error(rp + "." + key, "must be between 0 and 1000000");
        return v ? uint32_t(std::clamp<int64_t>(*v, 0, 1000000)) : 0;
      };
      sc.token_rate_per_s = count("token_per_s");
      sc.token_burst = count("token_burst");
      sc.supplier_rate_per_s = count("supplier_per_s");
      sc.supplier_burst = count("supplier_burst");
    }
  }

  // outbound
  if (const json::object* o = L.object(ro->if_contains("outbound"), "$.outbound", false)) {
    L.unknown_keys(
        *o, "$.outbound",
        {"ca_file", "user_agent", "allow_private_networks", "breaker_failures", "breaker_open_ms"});
    auto bf = L.integer(*o, "breaker_failures", "$.outbound", false);
    if (bf && (*bf < 0 || *bf > 1000))
      L.error("$.outbound.breaker_failures", "must be between 0 and 1000");
    if (bf) cfg->outbound.breaker_failures = uint32_t(std::clamp<int64_t>(*bf, 0, 1000));
    cfg->outbound.breaker_open_ms =
        L.positive(*o, "breaker_open_ms", "$.outbound", cfg->outbound.breaker_open_ms, 3600000);
    cfg->outbound.ca_file = L.string(*o, "ca_file", "$.outbound", false).value_or("");
    cfg->outbound.user_agent =
        L.string(*o, "user_agent", "$.outbound", false).value_or(cfg->outbound.user_agent);
    cfg->outbound.allow_private_networks =
        L.boolean(*o, "allow_private_networks", "$.outbound", false);
  }

  // clients
  if (const json::array* cs = L.array(*ro, "clients", "$", false)) {
    for (size_t i = 0; i < cs->size(); ++i) {
      std::string p = Loader::idx("$.clients", i);
      const json::object* c = L.object(&(*cs)[i], p, true);
      if (!c) continue;
      L.unknown_keys(
          *c, p,
          {"id", "company", "first_name", "last_name", "email", "phone", "billing", "portal"});
      ClientConfig cc;
      cc.id = L.integer(*c, "id", p, true).value_or(0);
      cc.company = L.string(*c, "company", p, true).value_or("");
      cc.first_name = L.string(*c, "first_name", p, false).value_or("");
      cc.last_name = L.string(*c, "last_name", p, false).value_or("");
      cc.email = L.string(*c, "email", p, false).value_or("");
      cc.phone = L.string(*c, "phone", p, false).value_or("");
      if (const json::object* bo = L.object(c->if_contains("billing"), p + ".billing", false)) {
        const std::string bp = p + ".billing";
        L.unknown_keys(
            *bo, bp,
            {"mode", "minimum_balance", "minimum_deposit", "deposit_fee_percent", "auto_recharge"});
        const std::string mode = L.string(*bo, "mode", bp, true).value_or("none");
        if (mode == "none") {
          cc.billing.mode = BillingConfig::Mode::kNone;
        } else if (mode == "manual") {
          cc.billing.mode = BillingConfig::Mode::kManual;
        } else if (mode == "realtime") {
          cc.billing.mode = BillingConfig::Mode::kRealtime;
        } else {
          L.error(Loader::at(bp, "mode"), "must be none, manual or realtime");
        }
        for (auto [key, out] : {std::pair{"minimum_balance", &cc.billing.minimum_balance},
                                std::pair{"minimum_deposit", &cc.billing.minimum_deposit}}) {
          if (const json::value* v = bo->if_contains(key)) {
            if (auto m = L.money(*v, Loader::at(bp, key))) {
              if (m->units() < 0) L.error(Loader::at(bp, key), "must not be negative");
              *out = *m;
            }
          }
        }
        if (const json::value* v = bo->if_contains("deposit_fee_percent")) {
          // Up to 15%, in hundredths of a percent ("2.9").
          auto m = L.money(*v, Loader::at(bp, "deposit_fee_percent"));
          if (m && (m->units() < 0 || m->units() > 15 * Money::kScale ||
                    m->units() % (Money::kScale / 100) != 0))
            L.error(Loader::at(bp, "deposit_fee_percent"),
                    "must be 0 to 15, with at most 2 decimals");
          else if (m)
            cc.billing.deposit_fee_bp = m->units() / (Money::kScale / 100);
        }
        // {"below": "50", "amount": "200"}: realtime billing tops the balance up by itself.
        if (const json::object* ar =
                L.object(bo->if_contains("auto_recharge"), bp + ".auto_recharge", false)) {
          const std::string ap = bp + ".auto_recharge";
          L.unknown_keys(*ar, ap, {"below", "amount"});
          for (auto [key, out] : {std::pair{"below", &cc.billing.recharge_below},
                                  std::pair{"amount", &cc.billing.recharge_amount}}) {
            const json::value* v = ar->if_contains(key);
            if (v == nullptr) {
              L.error(Loader::at(ap, key), "is required");
              continue;
            }
            if (auto m = L.money(*v, Loader::at(ap, key))) {
              if (m->units() <= 0) L.error(Loader::at(ap, key), "must be positive");
              *out = *m;
            }
          }
          if (cc.billing.mode != BillingConfig::Mode::kRealtime)
            L.error(ap, "needs billing mode realtime (a payment method to charge)");
          if (cc.billing.recharge_below <= cc.billing.minimum_balance)
            L.error(Loader::at(ap, "below"),
                    "must be above minimum_balance (a recharge comes before the pause)");
          if (cc.billing.recharge_amount < cc.billing.minimum_deposit)
            L.error(Loader::at(ap, "amount"), "must be at least minimum_deposit");
        }
      }
      if (const json::object* po = L.object(c->if_contains("portal"), p + ".portal", false)) {
        const std::string pp = p + ".portal";
        L.unknown_keys(*po, pp, {"returns", "pause_resume", "pricing", "caps", "filters"});
        for (auto [key, out] :
             {std::pair{"returns", &cc.portal.returns},
              std::pair{"pause_resume", &cc.portal.pause_resume},
              std::pair{"pricing", &cc.portal.pricing}, std::pair{"caps", &cc.portal.caps},
              std::pair{"filters", &cc.portal.filters}}) {
          auto g = L.string(*po, key, pp, false);
          if (!g) continue;
          if (*g == "off")
            *out = PortalGrant::kOff;
          else if (*g == "approval")
            *out = PortalGrant::kApproval;
          else if (*g == "auto")
            *out = PortalGrant::kAuto;
          else
            L.error(Loader::at(pp, key), "must be off, approval or auto");
        }
      }
      if (cfg->client_index.count(cc.id))
        L.error(Loader::at(p, "id"), "duplicate client id " + std::to_string(cc.id));
      cfg->client_index[cc.id] = cfg->clients.size();
      cfg->clients.push_back(std::move(cc));
    }
  }

  // api tokens
  if (const json::array* ts = L.array(*ro, "api_tokens", "$", false)) {
    for (size_t i = 0; i < ts->size(); ++i) {
      std::string p = Loader::idx("$.api_tokens", i);
      const json::object* t = L.object(&(*ts)[i], p, true);
      if (!t) continue;
      L.unknown_keys(*t, p, {"name", "token", "token_sha256", "role", "campaigns", "expires_at"});
      ApiTokenConfig tc;
      tc.name = L.string(*t, "name", p, true).value_or("");
      if (tc.name.empty() || tc.name.size() > 64)
        L.error(Loader::at(p, "name"), "must be 1 to 64 characters");
      for (const auto& other : cfg->api_tokens)
        if (other.name == tc.name) L.error(Loader::at(p, "name"), "duplicate token name");
      tc.token_sha256 = key_hash(L, *t, p, "token", "token_sha256");
      std::string role = L.string(*t, "role", p, false).value_or("read");
      if (role == "admin")
        tc.role = Role::kAdmin;
      else if (role == "editor")
        tc.role = Role::kEditor;
      else if (role == "read")
        tc.role = Role::kRead;
      else
        L.error(Loader::at(p, "role"), "must be admin, editor or read");
      if (const json::array* cs = L.array(*t, "campaigns", p, false)) {
        for (size_t k = 0; k < cs->size(); ++k) {
          const json::value& v = (*cs)[k];
          if (!v.is_int64() || v.as_int64() <= 0)
            L.error(Loader::idx(Loader::at(p, "campaigns"), k), "must be a campaign id");
          else
            tc.campaigns.push_back(v.as_int64());
        }
      }
      if (auto at = L.utc_time(*t, "expires_at", p)) tc.expires_ms = *at;
      cfg->api_tokens.push_back(std::move(tc));
    }
  }

  // suppression lists (issue 17): their identities; entries are uploaded through the admin API
  if (const json::array* ls = L.array(*ro, "lists", "$", false)) {
    for (size_t i = 0; i < ls->size(); ++i) {
      std::string lp = Loader::idx("$.lists", i);
      const json::object* l = L.object(&(*ls)[i], lp, true);
      if (!l) continue;
      L.unknown_keys(*l, lp, {"id", "name", "kind", "description"});
      ListConfig lc;
      lc.id = L.integer(*l, "id", lp, true).value_or(0);
      if (lc.id <= 0) L.error(Loader::at(lp, "id"), "must be a positive integer");
      lc.name = L.string(*l, "name", lp, true).value_or("");
      if (lc.name.empty() || lc.name.size() > 128)
        L.error(Loader::at(lp, "name"), "must be 1 to 128 characters");
      std::string kind = L.string(*l, "kind", lp, true).value_or("phone");
      if (!parse_list_kind(kind, lc.kind))
        L.error(Loader::at(lp, "kind"), "must be phone, email, email_domain, sha256 or md5");
      lc.description = L.string(*l, "description", lp, false).value_or("");
      if (cfg->find_list(lc.id))
        L.error(Loader::at(lp, "id"), "duplicate list id " + std::to_string(lc.id));
      cfg->lists.push_back(std::move(lc));
    }
  }

  // campaigns
  std::set<SupplierId> supplier_ids;
  std::set<BuyerId> buyer_ids;
  if (const json::array* cs = L.array(*ro, "campaigns", "$", true)) {
    for (size_t i = 0; i < cs->size(); ++i) {
      std::string p = Loader::idx("$.campaigns", i);
      const json::object* c = L.object(&(*cs)[i], p, true);
      if (!c) continue;
      L.unknown_keys(*c, p,
                     {"id",
                      "name",
                      "public_name",
                      "type",
                      "timezone",
                      "fields",
                      "suppliers",
                      "buyers",
                      "distribution",
                      "delivery_deadline_ms",
                      "triggers",
                      "computed_fields",
                      "filters",
                      "dupe_check",
                      "exchange",
                      "one_to_one",
                      "tags",
                      "missing_price",
                      "archived",
                      "checks",
                      "require_one_of",
                      "validation_error_details",
                      "buyer_hidden_fields"});
      CampaignConfig cc;
      cc.id = L.integer(*c, "id", p, true).value_or(0);
      cc.name = L.string(*c, "name", p, true).value_or("");
      cc.public_name = L.string(*c, "public_name", p, false).value_or(cc.name);
      for (std::string& t : L.strings(*c, "tags", p)) {
        t = to_lower(trim(t));
        if (t.empty() || t.size() > 64 || t.find(',') != std::string::npos)
          L.error(Loader::at(p, "tags"), "tags are 1 to 64 characters, without commas");
        else if (std::find(cc.tags.begin(), cc.tags.end(), t) == cc.tags.end())
          cc.tags.push_back(std::move(t));
      }
      std::string type = L.string(*c, "type", p, false).value_or("direct_post");
      if (type == "direct_post")
        cc.type = CampaignType::kDirectPost;
      else if (type == "ping_post_exchange")
        cc.type = CampaignType::kPingPostExchange;
      else if (type == "one_to_one")
        cc.type = CampaignType::kOneToOne;
      else
        L.error(Loader::at(p, "type"), "must be direct_post, ping_post_exchange or one_to_one");
      cc.tz = cfg->account.tz;
      if (auto tz = L.string(*c, "timezone", p, false)) {
        if (!TimeZone::lookup(*tz, cc.tz))
          L.error(Loader::at(p, "timezone"), "unknown IANA time zone '" + *tz + "'");
      }
      cc.delivery_deadline_ms = L.positive(*c, "delivery_deadline_ms", p, 30000, 600000);
      cc.archived = L.boolean(*c, "archived", p, false);
      if (auto mp = L.missing_price(*c, p)) cc.missing_price = *mp;
      cc.distribution = L.distribution(*c, p);
      cc.dupe_check = L.dupe_check(*c, p);
      cc.exchange = L.exchange(*c, p);
      if (const json::object* oo =
              L.object(c->if_contains("one_to_one"), Loader::at(p, "one_to_one"), false)) {
        std::string op = Loader::at(p, "one_to_one");
        L.unknown_keys(*oo, op, {"min_bid", "max_bids", "dedupe_by_company"});
        if (const json::value* mb = oo->if_contains("min_bid")) {
          if (auto m = L.money(*mb, Loader::at(op, "min_bid"))) cc.one_to_one.min_bid = *m;
        }
        auto mx = L.integer(*oo, "max_bids", op, false).value_or(0);
        if (mx < 0 || mx > 100) L.error(Loader::at(op, "max_bids"), "must be between 0 and 100");
        cc.one_to_one.max_bids = uint32_t(std::clamp<int64_t>(mx, 0, 100));
        cc.one_to_one.dedupe_by_company = L.boolean(*oo, "dedupe_by_company", op, true);
      }

      std::set<std::string> field_names;
      if (const json::array* fs = L.array(*c, "fields", p, true)) {
        for (size_t k = 0; k < fs->size(); ++k) {
          std::string fp = Loader::idx(Loader::at(p, "fields"), k);
          FieldSpec f = L.field((*fs)[k], fp);
          if (!field_names.insert(f.name).second)
            L.error(Loader::at(fp, "name"), "duplicate field '" + f.name + "'");
          if (field_indexed(f)) cc.indexed_fields.push_back(f.name);
          cc.fields.push_back(std::move(f));
        }
      }

      // Conditions from here on are checked against the campaign's field types.
      L.current_fields = &cc.fields;
      cc.filters = L.filters(*c, p, cc.tz);

      if (const json::array* cf = L.array(*c, "computed_fields", p, false)) {
        for (size_t k = 0; k < cf->size(); ++k) {
          std::string fp = Loader::idx(Loader::at(p, "computed_fields"), k);
          const json::object* o = L.object(&(*cf)[k], fp, true);
          if (!o) continue;
          L.unknown_keys(*o, fp, {"name", "template"});
          ComputedFieldConfig f;
          f.name = L.string(*o, "name", fp, true).value_or("");
          f.template_text = L.string(*o, "template", fp, true).value_or("");
          if (f.name.empty() || f.name.size() > 64)
            L.error(Loader::at(fp, "name"), "must be 1 to 64 characters");
          if (starts_with_icase(f.name, "lp_"))
            L.error(Loader::at(fp, "name"), "the lp_ prefix is reserved for system fields");
          if (!field_names.insert(f.name).second)
            L.error(Loader::at(fp, "name"), "duplicate field '" + f.name + "'");
          cc.computed_fields.push_back(std::move(f));
        }
      }

      // Checks (issue 17): after the fields they read, before the suppliers that override them.
      L.check_fields = &cc.fields;
      L.known_fields = &field_names;
      cc.checks = L.checks(*c, p, *cfg);
      cc.triggers = L.triggers(*c, p, cc.tz, *cfg);
      cc.buyer_hidden_fields = L.strings(*c, "buyer_hidden_fields", p);
      for (size_t k = 0; k < cc.buyer_hidden_fields.size(); ++k) {
        const std::string& n = cc.buyer_hidden_fields[k];
        if (!field_names.count(n) && n.rfind("lp_subid", 0) != 0)
          L.error(Loader::idx(Loader::at(p, "buyer_hidden_fields"), k),
                  "unknown field '" + n + "'");
      }
      if (const json::array* ro1 = L.array(*c, "require_one_of", p, false)) {
        for (size_t k = 0; k < ro1->size(); ++k) {
          std::string rp = Loader::idx(Loader::at(p, "require_one_of"), k);
          const json::value& e = (*ro1)[k];
          std::vector<std::string> names;
          if (e.is_array()) {
            for (const auto& n : e.as_array())
              if (n.is_string()) names.emplace_back(n.as_string());
          }
          if (!e.is_array() || names.size() != e.as_array().size() || names.size() < 2)
            L.error(rp, "must be a list of at least two field names");
          for (const auto& n : names)
            if (!field_names.count(n)) L.error(rp, "unknown field '" + n + "'");
          cc.require_one_of.push_back(std::move(names));
        }
      }
      if (const json::object* vd = L.object(c->if_contains("validation_error_details"),
                                            Loader::at(p, "validation_error_details"), false)) {
        std::string vp = Loader::at(p, "validation_error_details");
        L.unknown_keys(*vd, vp, {"provider", "description", "suppliers"});
        cc.validation_error_details.provider = L.boolean(*vd, "provider", vp, false);
        cc.validation_error_details.description = L.boolean(*vd, "description", vp, false);
        for (const auto& sid : L.strings(*vd, "suppliers", vp)) {
          auto id = parse_int(sid);
          if (!id || *id <= 0)
            L.error(Loader::at(vp, "suppliers"), "must be supplier ids");
          else
            cc.validation_error_details.suppliers.push_back(*id);
        }
      }

      if (const json::array* ss = L.array(*c, "suppliers", p, true)) {
        for (size_t k = 0; k < ss->size(); ++k) {
          std::string sp = Loader::idx(Loader::at(p, "suppliers"), k);
          const json::object* s = L.object(&(*ss)[k], sp, true);
          if (!s) continue;
          L.unknown_keys(*s, sp,
                         {"id", "client_id", "name", "nickname", "lp_key", "lp_key_sha256", "hash",
                          "paused", "test_mode", "price", "filters", "caps", "margin",
                          "min_buyer_bid", "archived", "checks", "postbacks"});
          SupplierConfig sc;
          sc.id = L.integer(*s, "id", sp, true).value_or(0);
          sc.client_id = L.integer(*s, "client_id", sp, true).value_or(0);
          sc.nickname = L.string(*s, "nickname", sp, false);
          sc.key_sha256 = key_hash(L, *s, sp, "lp_key", "lp_key_sha256");
          sc.hash = L.string(*s, "hash", sp, false).value_or("");
          if (sc.hash.empty() && !sc.key_sha256.empty()) {
            // The API specs link's secret (api_specs_url) when the file names none: stable, and
            // unguessable without the key's hash.
            sc.hash = sha256_hex("specs/" + sc.key_sha256 + "/" + std::to_string(cc.id) + "/" +
                                 std::to_string(sc.id))
                          .substr(0, 12);
          }
          sc.paused = L.boolean(*s, "paused", sp, false);
          sc.test_mode = L.boolean(*s, "test_mode", sp, false);
          sc.archived = L.boolean(*s, "archived", sp, false);
          sc.price = L.pricing(s->if_contains("price"), Loader::at(sp, "price"), true, cc.tz);
          sc.filters = L.filters(*s, sp, cc.tz);
          sc.caps = L.caps(*s, sp);
          sc.margin = L.margin(*s, "margin", sp);
          sc.checks = L.check_overrides(*s, sp, cc.checks, *cfg, sc.own_checks);
          sc.postbacks = L.postbacks(*s, sp, *cfg);
          if (const json::value* mb = s->if_contains("min_buyer_bid")) {
            if (auto m = L.money(*mb, Loader::at(sp, "min_buyer_bid"))) sc.min_buyer_bid = *m;
          }
          const ClientConfig* client = cfg->find_client(sc.client_id);
          if (!client)
            L.error(Loader::at(sp, "client_id"), "unknown client " + std::to_string(sc.client_id));
          sc.name = L.string(*s, "name", sp, false).value_or(client ? client->company : "");
          if (!supplier_ids.insert(sc.id).second)
            L.error(Loader::at(sp, "id"), "duplicate supplier id " + std::to_string(sc.id));
          cc.suppliers.push_back(std::move(sc));
        }
      }

      if (const json::array* bs = L.array(*c, "buyers", p, false)) {
        for (size_t k = 0; k < bs->size(); ++k) {
          std::string bp = Loader::idx(Loader::at(p, "buyers"), k);
          const json::object* b = L.object(&(*bs)[k], bp, true);
          if (!b) continue;
          L.unknown_keys(
              *b, bp, {"id",       "client_id",     "name",        "nickname",     "type",
                       "priority", "paused",        "price",       "post",         "post_response",
                       "ping",     "ping_response", "filters",     "caps",         "weight",
                       "group_id", "margin",        "bid_penalty", "company_name", "missing_price",
                       "archived", "checks",        "pull"});
          BuyerConfig bc;
          bc.id = L.integer(*b, "id", bp, true).value_or(0);
          bc.client_id = L.integer(*b, "client_id", bp, true).value_or(0);
          bc.nickname = L.string(*b, "nickname", bp, false);
          std::string t = L.string(*b, "type", bp, false).value_or("direct_post");
          if (!parse_delivery_type(t, bc.type)) {
            L.error(
                Loader::at(bp, "type"),
                "must be direct_post, ping_post, lead_store, google_sheets, email or incomplete");
          }
          bc.priority = int(L.integer(*b, "priority", bp, false).value_or(int64_t(k + 1)));
          bc.paused = L.boolean(*b, "paused", bp, false);
          bc.archived = L.boolean(*b, "archived", bp, false);
          bc.price = L.pricing(b->if_contains("price"), Loader::at(bp, "price"), false, cc.tz);
          bc.filters = L.filters(*b, bp, cc.tz);
          bc.caps = L.caps(*b, bp);
          auto weight = L.integer(*b, "weight", bp, false).value_or(1);
          if (weight < 1 || weight > 1000)
            L.error(Loader::at(bp, "weight"), "must be between 1 and 1000");
          bc.weight = int(std::clamp<int64_t>(weight, 1, 1000));
          bc.group_id = L.integer(*b, "group_id", bp, false).value_or(0);
          bc.margin = L.margin(*b, "margin", bp);
          bc.missing_price = L.missing_price(*b, bp);
          bc.checks = L.checks(*b, bp, *cfg);
          if (const json::object* pull =
                  L.object(b->if_contains("pull"), Loader::at(bp, "pull"), false)) {
            const std::string pp = Loader::at(bp, "pull");
            L.unknown_keys(*pull, pp, {"key", "key_sha256", "fields", "rate_per_minute"});
            PullConfig pc;
            pc.key_sha256 = key_hash(L, *pull, pp, "key", "key_sha256");
            if (const json::array* fs = L.array(*pull, "fields", pp, false))
              for (size_t i = 0; i < fs->size(); ++i) {
                if ((*fs)[i].is_string())
                  pc.fields.emplace_back((*fs)[i].as_string());
                else
                  L.error(Loader::idx(Loader::at(pp, "fields"), i), "must be a field name");
              }
            pc.rate_per_minute = L.positive(*pull, "rate_per_minute", pp, 0u, 60000);
            if (bc.type != DeliveryType::kLeadStore)
              L.error(pp, "only lead_store buyers pull their leads");
            bc.pull = std::move(pc);
          }
          if (const json::value* pen = b->if_contains("bid_penalty")) {
            if (auto m = L.money(*pen, Loader::at(bp, "bid_penalty"))) {
              if (*m < Money() || *m > Money::from_whole(100))
                L.error(Loader::at(bp, "bid_penalty"), "must be a percent between 0 and 100");
              bc.bid_penalty_bp = m->units() / 100;
            }
          }
          if (cc.distribution.method == DistributionMethod::kBuyerGroups) {
            bool known =
                std::any_of(cc.distribution.groups.begin(), cc.distribution.groups.end(),
                            [&](const BuyerGroupConfig& g) { return g.id == bc.group_id; });
            if (!known)
              L.error(Loader::at(bp, "group_id"), "must name one of the campaign's buyer groups");
          }
          bool http = bc.type == DeliveryType::kDirectPost || bc.type == DeliveryType::kPingPost ||
                      bc.type == DeliveryType::kGoogleSheets;
          if (http) {
            if (const json::object* po =
                    L.object(b->if_contains("post"), Loader::at(bp, "post"), true)) {
              bc.post = L.http_template(*po, Loader::at(bp, "post"));
            }
            bc.post_response = L.response_mapping(b->if_contains("post_response"),
                                                  Loader::at(bp, "post_response"));
          }
          if (bc.type == DeliveryType::kPingPost) {
            if (const json::object* po =
                    L.object(b->if_contains("ping"), Loader::at(bp, "ping"), true)) {
              bc.ping = L.http_template(*po, Loader::at(bp, "ping"));
            }
            bc.ping_response = L.response_mapping(b->if_contains("ping_response"),
                                                  Loader::at(bp, "ping_response"));
          }
          if (bc.price.kind == Pricing::Kind::kRealTime) {
            const auto& m =
                bc.type == DeliveryType::kPingPost ? bc.ping_response : bc.post_response;
            if (m.price.empty())
              L.error(Loader::at(bp, "price"),
                      "a real-time price needs a 'price' extractor in the response mapping");
          }
          const ClientConfig* client = cfg->find_client(bc.client_id);
          if (!client)
            L.error(Loader::at(bp, "client_id"), "unknown client " + std::to_string(bc.client_id));
          bc.name = L.string(*b, "name", bp, false).value_or(client ? client->company : "");
          bc.company_name =
              L.string(*b, "company_name", bp, false).value_or(client ? client->company : bc.name);
          bc.prepaid = client != nullptr && client->billing.prepaid();
          if (!buyer_ids.insert(bc.id).second)
            L.error(Loader::at(bp, "id"), "duplicate buyer id " + std::to_string(bc.id));
          // SSRF: no buyer call to this machine, private networks or metadata services, unless
          // the operator says so (the connect-time check covers names that resolve there).
          const HttpTemplateConfig* ping = bc.ping ? &*bc.ping : nullptr;
          const HttpTemplateConfig* post = &bc.post;
          for (auto [t, name] : {std::pair{post, "post"}, std::pair{ping, "ping"}}) {
            if (cfg->outbound.allow_private_networks || t == nullptr || t->url.empty()) continue;
            if (auto why = non_public_url_reason(t->url))
              L.error(Loader::at(Loader::at(bp, name), "url"),
                      *why + "; set outbound.allow_private_networks to allow private networks");
          }
          cc.buyers.push_back(std::move(bc));
        }
      }

      for (const auto& f : cc.dupe_check.fields) {
        if (!field_names.count(f))
          L.error(Loader::at(p, "dupe_check.fields"), "unknown field '" + f + "'");
      }
      for (SupplierId sid : cc.validation_error_details.suppliers)
        if (cc.find_supplier(sid) == nullptr)
          L.error(Loader::at(p, "validation_error_details.suppliers"),
                  "unknown supplier " + std::to_string(sid));
      L.current_fields = nullptr;
      L.check_fields = nullptr;
      L.known_fields = nullptr;
      if (cfg->campaign_index.count(cc.id))
        L.error(Loader::at(p, "id"), "duplicate campaign id " + std::to_string(cc.id));
      cfg->campaign_index[cc.id] = cfg->campaigns.size();
      cfg->campaigns.push_back(std::move(cc));
    }
  }

  load_outbox(L, *ro, *cfg);
  load_jobs(L, *ro, *cfg);
  load_email(L, *ro, *cfg);
  load_portal(L, *ro, *cfg);
  load_webhooks(L, *ro, *cfg);

  // Triggers name campaigns, suppliers and webhooks that exist; ids are unique in the account.
  {
    std::set<int64_t> trigger_ids;
    for (size_t i = 0; i < cfg->campaigns.size(); ++i) {
      const CampaignConfig& c = cfg->campaigns[i];
      for (size_t k = 0; k < c.triggers.size(); ++k) {
        const TriggerConfig& t = c.triggers[k];
        const std::string tp =
            Loader::idx(Loader::at(Loader::idx("$.campaigns", i), "triggers"), k);
        if (t.id > 0 && !trigger_ids.insert(t.id).second)
          L.error(Loader::at(tp, "id"), "duplicate trigger id " + std::to_string(t.id));
        for (size_t a = 0; a < t.actions.size(); ++a) {
          const TriggerAction& act = t.actions[a];
          const std::string ap = Loader::idx(Loader::at(tp, "actions"), a);
          if (act.type == TriggerAction::Type::kCampaign) {
            const CampaignConfig* target = cfg->find_campaign(act.campaign_id);
            if (target == nullptr || act.campaign_id == c.id)
              L.error(Loader::at(ap, "campaign_id"), "must be another campaign");
            else if (target->find_supplier(act.supplier_id) == nullptr)
              L.error(Loader::at(ap, "supplier_id"),
                      "must be a supplier of campaign " + std::to_string(act.campaign_id));
          } else if (act.type == TriggerAction::Type::kWebhook &&
                     cfg->find_webhook(act.webhook_id) == nullptr) {
            L.error(Loader::at(ap, "webhook_id"), "must be a webhook in $.webhooks");
          }
        }
      }
    }
  }

  load_alerts(L, *ro, *cfg);

  // A token's scope names campaigns that exist.
  for (size_t i = 0; i < cfg->api_tokens.size(); ++i) {
    const auto& cs = cfg->api_tokens[i].campaigns;
    for (size_t k = 0; k < cs.size(); ++k) {
      if (cfg->find_campaign(cs[k]) == nullptr)
        L.error(Loader::idx(Loader::at(Loader::idx("$.api_tokens", i), "campaigns"), k),
                "unknown campaign " + std::to_string(cs[k]));
    }
  }

  if (!L.errors.empty()) {
    result.errors = std::move(L.errors);
    return result;
  }
  result.config = std::move(cfg);
  return result;
}

}  // namespace pp
