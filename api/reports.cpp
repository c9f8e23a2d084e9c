#include "api/reports.h"

#include <algorithm>

#include "api/views.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "engine/reports.h"

namespace pp::api {

namespace {

using rollup::Values;
namespace sm = rollup::sm;
namespace bm = rollup::bm;
namespace xm = rollup::xm;

// Query parameters and the problems found with them.
class Params {
 public:
  explicit Params(const Request& req) {
    if (auto f = parse_form(req.query))
      list_ = std::move(*f);
    else
      problem("query", "is not a valid query string");
  }
  const std::string* get(std::string_view name) const {
    for (const auto& [k, v] : list_) {
      if (k == name) return &v;
    }
    return nullptr;
  }
  // A present, non-empty value (after trimming).
  std::optional<std::string> value(std::string_view name) const {
    const std::string* v = get(name);
    if (v == nullptr || trim(*v).empty()) return std::nullopt;
    return std::string(trim(*v));
  }
  std::optional<std::string> required(std::string_view name) {
    auto v = value(name);
    if (!v) problem(std::string(name), "is required");
    return v;
  }
  void problem(std::string name, std::string text) {
    problems_.emplace_back(std::move(name), std::move(text));
  }
  bool ok() const { return problems_.empty(); }
  Response error() const {
    const auto& [name, text] = problems_.front();
    std::vector<std::pair<std::string, std::string>> details;
    for (const auto& [n, t] : problems_) {
      if (std::none_of(details.begin(), details.end(),
                       [&key = n](const auto& d) { return d.first == key; }))
        details.emplace_back(n, n + " " + t);
    }
    return error_response(400, name + " " + text, details);
  }

 private:
  std::vector<std::pair<std::string, std::string>> list_;
  std::vector<std::pair<std::string, std::string>> problems_;
};

std::optional<int64_t> id_param(Params& p, std::string_view name, bool required) {
  auto v = required ? p.required(name) : p.value(name);
  if (!v) return std::nullopt;
  auto n = parse_int(*v);
  if (!n || *n <= 0) {
    p.problem(std::string(name), "must be a positive integer id");
    return std::nullopt;
  }
  return n;
}

std::optional<bool> flag_param(Params& p, std::string_view name) {
  auto v = p.value(name);
  if (!v) return std::nullopt;
  if (*v == "1" || *v == "true") return true;
  if (*v == "0" || *v == "false") return false;
  p.problem(std::string(name), "must be 0 or 1");
  return std::nullopt;
}

struct Window {
  TimeZone tz;
  engine::TimeRange range;
};

// start_date / end_date (inclusive) in `timezone` (default `fallback`). Datetimes
// ("YYYY-MM-DD HH:MM:SS") only where the seed allows them.
std::optional<Window> read_window(Params& p, const TimeZone& fallback, bool allow_datetime,
                                  int max_days) {
  Window w;
  w.tz = fallback;
  if (auto tz = p.value("timezone")) {
    if (!TimeZone::lookup(*tz, w.tz)) {
      p.problem("timezone", "is not a known IANA time zone");
      return std::nullopt;
    }
  }
  const char* format =
      allow_datetime ? "must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS" : "must be a date: YYYY-MM-DD";
  auto read = [&](const char* name, bool end) -> std::optional<UnixMs> {
    auto v = p.required(name);
    if (!v) return std::nullopt;
    UnixMs t = 0;
    bool date_only = false;
    if (!parse_local_datetime(w.tz, *v, t, date_only) || (!allow_datetime && !date_only)) {
      p.problem(name, format);
      return std::nullopt;
    }
    if (!end) return t;
    return date_only ? period_end(w.tz, CalendarPeriod::kDay, t) : t + 1000;  // inclusive
  };
  auto from = read("start_date", false);
  auto to = read("end_date", true);
  if (!from || !to) return std::nullopt;
  if (*to <= *from) {
    p.problem("end_date", "must not be before start_date");
    return std::nullopt;
  }
  if (max_days > 0 && *to - *from > int64_t(max_days) * 86400000 + 3600000) {
    p.problem("end_date", "is more than " + std::to_string(max_days) + " days after start_date");
    return std::nullopt;
  }
  w.range = {*from, *to};
  return w;
}

int64_t at(const Values& v, size_t i) { return i < v.size() ? v[i] : 0; }
Money money(int64_t units) { return Money::from_units(units); }

// An amount divided by a count, truncated to 4 decimals (0 when the count is 0).
Money ratio(int64_t amount_units, int64_t count) {
  if (count == 0) return Money();
  return Money::from_units(amount_units / count);
}

void write_client(JsonWriter& w, const Config& cfg, ClientId id) {
  const ClientConfig* c = cfg.find_client(id);
  w.key("client").begin_object();
  w.kv("id", int64_t(id));
  w.kv("company", c ? c->company : std::string());
  w.kv("first_name", c ? c->first_name : std::string());
  w.kv("last_name", c ? c->last_name : std::string());
  w.kv("email", c ? c->email : std::string());
  w.kv("phone", c ? c->phone : std::string());
  w.end_object();
}

// "id", "name", "client_id", "client_company" of a supplier or buyer (null: no longer configured).
template <typename Party>
void write_party(JsonWriter& w, const Config& cfg, int64_t id, const Party* p) {
  const ClientConfig* client = p ? cfg.find_client(p->client_id) : nullptr;
  w.kv("id", id);
  w.kv("name", p ? p->name : std::string());
  w.kv("client_id", int64_t(p ? p->client_id : 0));
  w.kv("client_company", client ? client->company : std::string());
}

// ---- /public/stats ----------------------------------------------------------------------------

void campaign_metrics(JsonWriter& w, const Values& v) {
  w.kv("leads_total", at(v, sm::kLeads));
  w.kv("leads_accepted", at(v, sm::kAccepted));
  w.kv("leads_duplicated", at(v, sm::kDuplicated));
  w.kv("leads_failed", at(v, sm::kFailed));
  w.kv("total_buy", money(at(v, sm::kCost)));
  w.kv("total_sell", money(at(v, sm::kRevenue)));
  w.kv("profit", money(at(v, sm::kRevenue) - at(v, sm::kCost)));
}

void supplier_metrics(JsonWriter& w, const Values& v) {
  const int64_t cost = at(v, sm::kCost), revenue = at(v, sm::kRevenue);
  const int64_t rcost = at(v, sm::kReturnedCost), rrevenue = at(v, sm::kReturnedRevenue);
  w.kv("leads_total", at(v, sm::kLeads));
  w.kv("leads_accepted", at(v, sm::kAccepted));
  w.kv("leads_duplicated", at(v, sm::kDuplicated));
  w.kv("leads_failed", at(v, sm::kFailed));
  w.kv("leads_returned", at(v, sm::kReturned));
  w.kv("total_buy", money(cost));
  w.kv("total_sell", money(revenue));
  w.kv("profit", money(revenue - cost));
  w.kv("gross_cost", money(cost));
  w.kv("gross_revenue", money(revenue));
  w.kv("gross_profit", money(revenue - cost));
  w.kv("returned_cost", money(rcost));
  w.kv("returned_revenue", money(rrevenue));
  w.kv("net_leads_accepted", at(v, sm::kAccepted) - at(v, sm::kReturned));
  w.kv("net_profit", money((revenue - rrevenue) - (cost - rcost)));
  w.kv("net_cost", money(cost - rcost));
  w.kv("net_revenue", money(revenue - rrevenue));
  w.kv("preping_total", at(v, sm::kPrepings));
  w.kv("preping_accepted", at(v, sm::kPrepingsAccepted));
  w.kv("preping_failed", at(v, sm::kPrepingsFailed));
  w.kv("pings_total", at(v, sm::kPings));
  w.kv("pings_accepted", at(v, sm::kPingsAccepted));
  w.kv("pings_failed", at(v, sm::kPingsFailed));
  // Average best offer of the pings that got one; posts per accepted ping, in percent (2 dp).
  w.kv("pings_avg_bid", ratio(at(v, sm::kPingBidSum), at(v, sm::kPingsAccepted)));
  const int64_t accepted = at(v, sm::kPingsAccepted);
  w.kv("pings_post_ratio",
       Money::from_units(accepted == 0 ? 0 : at(v, sm::kPingPosts) * 10000 / accepted * 100));
}

void buyer_metrics(JsonWriter& w, const Values& v) {
  const int64_t revenue = at(v, bm::kRevenue), rrevenue = at(v, bm::kReturnedRevenue);
  w.kv("leads_total", at(v, bm::kLeads));
  w.kv("leads_accepted", at(v, bm::kAccepted));
  w.kv("leads_duplicated", at(v, bm::kDuplicated));
  w.kv("leads_failed", at(v, bm::kFailed));
  w.kv("leads_returned", at(v, bm::kReturned));
  w.kv("total_sell", money(revenue));
  w.kv("pings_total", at(v, bm::kPings));
  w.kv("pings_accepted", at(v, bm::kPingsAccepted));
  w.kv("pings_failed", at(v, bm::kPingsFailed));
  w.kv("returned_revenue", money(rrevenue));
  w.kv("gross_revenue", money(revenue));
  w.kv("net_leads_accepted", at(v, bm::kAccepted) - at(v, bm::kReturned));
  w.kv("net_revenue", money(revenue - rrevenue));
}

std::string period_label(const TimeZone& tz, CalendarPeriod p, UnixMs start) {
  std::string local = tz.format_local(start);  // "YYYY-MM-DD HH:MM:SS"
  switch (p) {
    case CalendarPeriod::kHour: {
      // ISO 8601 with the offset: the hour repeated when clocks go back stays distinct.
      int64_t off = tz.offset_seconds(start);
      char buf[8];
      int64_t a = off < 0 ? -off : off;
      std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+', int(a / 3600),
                    int(a % 3600 / 60));
      local[10] = 'T';
      return local + buf;
    }
    case CalendarPeriod::kDay:
    case CalendarPeriod::kWeek:
      return local.substr(0, 10);
    case CalendarPeriod::kMonth:
      return local.substr(0, 7);
  }
  return local;
}

template <typename Metrics>
void breakdown(JsonWriter& w, const engine::EntityFigures& e, const TimeZone& tz,
               std::optional<CalendarPeriod> group, Metrics&& metrics) {
  if (!group) return;
  w.key("breakdown").begin_array();
  for (const auto& [start, v] : e.periods) {
    w.begin_object();
    w.kv("period", period_label(tz, *group, start));
    metrics(w, v);
    w.end_object();
  }
  w.end_array();
}

std::vector<std::string> list_param(const Params& p, std::string_view name) {
  std::vector<std::string> out;
  if (auto v = p.value(name)) {
    for (std::string_view part : split(*v, ",")) {
      std::string t(trim(part));
      if (!t.empty()) out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace

Response stats_endpoint(engine::Engine& engine, const Request& req) {
  auto snap = engine.snapshot();
  const Config& cfg = snap->config();
  Params p(req);
  auto window = read_window(p, cfg.account.tz, false, kMaxReportDays);
  std::vector<CampaignId> ids;
  for (const auto& s : list_param(p, "campaign")) {
    auto n = parse_int(s);
    if (!n || *n <= 0) {
      p.problem("campaign", "must be a comma-separated list of campaign ids");
      break;
    }
    ids.push_back(*n);
  }
  std::vector<std::string> tags;
  for (auto& t : list_param(p, "tags")) tags.push_back(to_lower(t));
  std::optional<CalendarPeriod> group;
  if (auto g = p.value("group")) {
    if (*g == "hour")
      group = CalendarPeriod::kHour;
    else if (*g == "day")
      group = CalendarPeriod::kDay;
    else if (*g == "week")
      group = CalendarPeriod::kWeek;
    else if (*g == "month")
      group = CalendarPeriod::kMonth;
    else
      p.problem("group", "must be one of hour, day, week, month");
  }
  if (window && group == CalendarPeriod::kHour &&
      window->range.to_ms - window->range.from_ms > int64_t(kMaxHourGroupDays) * 86400000 + 3600000)
    p.problem("group", "hour is limited to " + std::to_string(kMaxHourGroupDays) + " days");
  std::vector<CampaignId> unknown;
  auto campaigns = engine::select_campaigns(cfg, ids, tags, unknown);
  if (!unknown.empty()) {
    std::string list;
    for (CampaignId id : unknown) {
      if (!list.empty()) list += ',';
      list += std::to_string(id);
    }
    p.problem("campaign", "has unknown campaign ids: " + list);
  }
  if (!p.ok()) return p.error();

  auto figures =
      engine::campaign_stats(engine.store(), campaigns, window->range, window->tz, group);
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& f : figures) {
    const CampaignConfig& c = *f.campaign;
    w.begin_object();
    w.key("campaign").begin_object();
    w.kv("id", int64_t(c.id));
    w.kv("name", c.name);
    w.kv("public_name", c.public_name);
    campaign_metrics(w, f.totals.total);
    breakdown(w, f.totals, window->tz, group, campaign_metrics);
    w.end_object();
    w.key("suppliers").begin_array();
    for (const auto& s : f.suppliers) {
      w.begin_object();
      write_party(w, cfg, s.id, c.find_supplier(s.id));
      supplier_metrics(w, s.total);
      breakdown(w, s, window->tz, group, supplier_metrics);
      w.end_object();
    }
    w.end_array();
    w.key("buyers").begin_array();
    for (const auto& b : f.buyers) {
      w.begin_object();
      write_party(w, cfg, b.id, c.find_buyer(b.id));
      buyer_metrics(w, b.total);
      breakdown(w, b, window->tz, group, buyer_metrics);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  return json_response(200, std::move(out));
}

Response supplier_stats_endpoint(engine::Engine& engine, const Request& req) {
  auto snap = engine.snapshot();
  const Config& cfg = snap->config();
  Params p(req);
  auto cid = id_param(p, "campaign", true);
  auto sid = id_param(p, "supplier", true);
  const CampaignConfig* c = cid ? cfg.find_campaign(*cid) : nullptr;
  if (cid && c == nullptr) p.problem("campaign", "is not a known campaign id");
  const SupplierConfig* s = c && sid ? c->find_supplier(*sid) : nullptr;
  if (c && sid && s == nullptr) p.problem("supplier", "is not a supplier of this campaign");
  // group: the sub ids to break down by, e.g. "sub1" or "sub1,sub2" (lp_subid1..6).
  std::vector<size_t> subs;
  std::vector<std::string> sub_names;
  if (p.required("group")) {
    for (const auto& g : list_param(p, "group")) {
      std::string_view n = g;
      if (n.rfind("lp_subid", 0) == 0)
        n.remove_prefix(8);
      else if (n.rfind("subid", 0) == 0)
        n.remove_prefix(5);
      else if (n.rfind("sub", 0) == 0)
        n.remove_prefix(3);
      else
        n = {};
      if (n.size() != 1 || n[0] < '1' || n[0] > '6') {
        p.problem("group", "must list sub ids: sub1 to sub6");
        break;
      }
      size_t i = size_t(n[0] - '1');
      if (std::find(subs.begin(), subs.end(), i) == subs.end()) {
        subs.push_back(i);
        sub_names.push_back("sub" + std::string(1, n[0]));
      }
    }
  }
  auto window = read_window(p, c ? c->tz : cfg.account.tz, false, kMaxReportDays);
  if (!p.ok()) return p.error();

  auto rows = engine::supplier_stats(engine.store(), c->id, s->id, window->range, window->tz, subs);
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& r : rows) {
    w.begin_object();
    write_party(w, cfg, s->id, s);
    w.kv("day", format_local_date(window->tz, r.day_start_ms));
    for (size_t i = 0; i < sub_names.size(); ++i)
      w.kv(sub_names[i], r.subids[i].empty() ? std::string("-") : r.subids[i]);
    supplier_metrics(w, r.values);
    w.end_object();
  }
  w.end_array();
  return json_response(200, std::move(out));
}

namespace {

void simple_side(JsonWriter& w, const char* name, const Config& cfg,
                 const std::vector<engine::CampaignAccount>& list, bool supplier_side) {
  const size_t kQty = supplier_side ? size_t(sm::kAccepted) : size_t(bm::kAccepted);
  const size_t kAmount = supplier_side ? size_t(sm::kCost) : size_t(bm::kRevenue);
  const size_t kRet = supplier_side ? size_t(sm::kReturned) : size_t(bm::kReturned);
  const size_t kRetAmount =
      supplier_side ? size_t(sm::kReturnedCost) : size_t(bm::kReturnedRevenue);
  int64_t total = 0;
  for (const auto& c : list) total += at(c.sums, kAmount);
  w.key(name).begin_object();
  w.kv("total", money(total));
  w.key("breakdown").begin_array();
  for (const auto& c : list) {
    const CampaignConfig* cc = cfg.find_campaign(c.campaign);
    const int64_t qty = at(c.sums, kQty), amount = at(c.sums, kAmount);
    const int64_t ret = at(c.sums, kRet), ret_amount = at(c.sums, kRetAmount);
    w.begin_object();
    w.kv("campaign_id", int64_t(c.campaign));
    w.kv("campaign_name", cc ? cc->name : std::string());
    w.kv("quantity", qty);
    w.kv("total_amount", money(amount));
    w.kv("returned_leads", ret);
    w.kv("returned_amount", money(ret_amount));
    w.kv("net_leads", qty - ret);
    w.kv("net_amount", money(amount - ret_amount));
    w.kv("avg_price", ratio(amount - ret_amount, qty - ret));  // truncated to 4 decimals
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

// The figures of granular mode for one campaign (or their totals): total_leads ... net_profit.
struct Granular {
  int64_t leads = 0, returned = 0, cost = 0, revenue = 0, returned_cost = 0, returned_revenue = 0;
  void add(const Granular& o) {
    leads += o.leads;
    returned += o.returned;
    cost += o.cost;
    revenue += o.revenue;
    returned_cost += o.returned_cost;
    returned_revenue += o.returned_revenue;
  }
  void write(JsonWriter& w) const {
    w.kv("total_leads", leads);
    w.kv("returned_leads", returned);
    w.kv("net_leads", leads - returned);
    w.kv("gross_cost", money(cost));
    w.kv("gross_revenue", money(revenue));
    w.kv("gross_profit", money(revenue - cost));
    // The seed's names: the buyer amount is the cost given back, the supplier amount the revenue.
    w.kv("returned_buyer_amount", money(returned_cost));
    w.kv("returned_supplier_amount", money(returned_revenue));
    w.kv("net_cost", money(cost - returned_cost));
    w.kv("net_revenue", money(revenue - returned_revenue));
    w.kv("net_profit", money((revenue - returned_revenue) - (cost - returned_cost)));
  }
};

Granular granular_of(const engine::CampaignAccount& c, bool supplier_side) {
  Granular g;
  if (supplier_side) {
    g.leads = at(c.sums, sm::kAccepted);
    g.returned = at(c.sums, sm::kReturned);
    g.cost = at(c.sums, sm::kCost);
    g.revenue = at(c.sums, sm::kRevenue);
    g.returned_cost = at(c.sums, sm::kReturnedCost);
    g.returned_revenue = at(c.sums, sm::kReturnedRevenue);
  } else {
    g.leads = at(c.sums, bm::kAccepted);
    g.returned = at(c.sums, bm::kReturned);
    g.revenue = at(c.sums, bm::kRevenue);
    g.returned_revenue = at(c.sums, bm::kReturnedRevenue);
    g.cost = at(c.sales, xm::kCost);
    g.returned_cost = at(c.sales, xm::kReturnedCost);
  }
  return g;
}

}  // namespace

Response accounting_endpoint(engine::Engine& engine, const Request& req) {
  return scoped_accounting_endpoint(engine, req, {});
}

Response scoped_accounting_endpoint(engine::Engine& engine, const Request& req,
                                    const std::vector<CampaignId>& scope) {
  auto snap = engine.snapshot();
  const Config& cfg = snap->config();
  Params p(req);
  auto window = read_window(p, cfg.account.tz, false, kMaxReportDays);
  bool granular = false, suppliers = true;
  if (auto mode = p.value("mode")) {
    if (*mode == "granular")
      granular = true;
    else if (*mode != "simple")
      p.problem("mode", "must be simple or granular");
  }
  if (granular) {
    if (auto ct = p.required("client_type")) {
      if (*ct == "buyers")
        suppliers = false;
      else if (*ct != "suppliers")
        p.problem("client_type", "must be suppliers or buyers");
    }
  }
  auto client = id_param(p, "client", false);
  if (!p.ok()) return p.error();

  auto accounts = engine::accounting(engine.store(), cfg, window->range, window->tz, client, scope);
  std::string out;
  JsonWriter w(out);
  w.begin_object().kv("success", true).key("data").begin_array();
  for (const auto& a : accounts) {
    if (!granular) {
      w.begin_object();
      write_client(w, cfg, a.client);
      simple_side(w, "owed", cfg, a.as_supplier, true);
      simple_side(w, "due", cfg, a.as_buyer, false);
      w.end_object();
      continue;
    }
    const auto& list = suppliers ? a.as_supplier : a.as_buyer;
    if (list.empty()) continue;
    w.begin_object();
    write_client(w, cfg, a.client);
    Granular totals;
    for (const auto& c : list) totals.add(granular_of(c, suppliers));
    w.key("totals").begin_object();
    totals.write(w);
    w.end_object();
    w.key("campaigns").begin_array();
    for (const auto& c : list) {
      const CampaignConfig* cc = cfg.find_campaign(c.campaign);
      w.begin_object();
      w.kv("campaign_id", int64_t(c.campaign));
      w.kv("campaign_name", cc ? cc->name : std::string());
      granular_of(c, suppliers).write(w);
      w.key(suppliers ? "revenue_breakdown" : "cost_breakdown").begin_array();
      for (const auto& [other, x] : c.counterparts) {
        const int64_t sold = at(x, xm::kSold), ret = at(x, xm::kReturned);
        w.begin_object();
        write_client(w, cfg, other);
        w.kv("total_leads", sold);
        if (suppliers) {
          w.kv("gross_revenue", money(at(x, xm::kRevenue)));
          w.kv("returned_leads", ret);
          w.kv("returned_supplier_amount", money(at(x, xm::kReturnedRevenue)));
          w.kv("net_leads", sold - ret);
          w.kv("net_revenue", money(at(x, xm::kRevenue) - at(x, xm::kReturnedRevenue)));
        } else {
          w.kv("gross_cost", money(at(x, xm::kCost)));
          w.kv("returned_leads", ret);
          w.kv("returned_buyer_amount", money(at(x, xm::kReturnedCost)));
          w.kv("net_leads", sold - ret);
          w.kv("net_cost", money(at(x, xm::kCost) - at(x, xm::kReturnedCost)));
        }
        w.end_object();
      }
      w.end_array();
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array().end_object();
  return json_response(200, std::move(out));
}

std::optional<LeadQuery> parse_lead_query(const Config& cfg, const Request& req, Response& error) {
  Params p(req);
  engine::LeadSearch q;
  auto cid = id_param(p, "campaign", true);
  const CampaignConfig* c = cid ? cfg.find_campaign(*cid) : nullptr;
  if (cid && c == nullptr) p.problem("campaign", "is not a known campaign id");
  auto window = read_window(p, c ? c->tz : cfg.account.tz, true, 0);
  if (auto st = p.value("status")) {
    std::string s = to_lower(*st);
    if (s == "accepted")
      q.status = LeadStatus::kAccepted;
    else if (s == "error")
      q.status = LeadStatus::kError;
    else if (s == "duplicated")
      q.status = LeadStatus::kDuplicated;
    else
      p.problem("status", "must be one of accepted, error, duplicated");
  }
  q.returned = flag_param(p, "return");
  q.test = flag_param(p, "test");
  q.repost = flag_param(p, "repost");
  q.supplier = id_param(p, "supplier", false);
  auto fname = p.value("field_name");
  const std::string* fvalue = p.get("field_value");
  if (fname && (fvalue == nullptr || fvalue->empty()))
    p.problem("field_value", "is required with field_name");
  else if (!fname && fvalue != nullptr && !fvalue->empty())
    p.problem("field_name", "is required with field_value");
  else if (fname)
    q.field.emplace(*fname, *fvalue);
  if (auto after = p.value("search_after")) {
    storage::LeadCursor cur;
    if (!engine::decode_cursor(*after, cur))
      p.problem("search_after", "is not a value this API returned");
    else
      q.after = std::move(cur);
  }
  if (!p.ok()) {
    error = p.error();
    return std::nullopt;
  }
  q.campaign = c->id;
  q.range = window->range;
  return LeadQuery{c, std::move(q), window->tz};
}

Response leads_endpoint(engine::Engine& engine, const Request& req) {
  auto snap = engine.snapshot();
  const Config& cfg = snap->config();
  Response err;
  auto lq = parse_lead_query(cfg, req, err);
  if (!lq) return err;
  const CampaignConfig* c = lq->campaign;
  const engine::LeadSearch& q = lq->search;
  engine::LeadPage page = engine::search_leads(engine.store(), *c, q);
  std::string out;
  out.reserve(1024 * (page.leads.size() + 1));
  JsonWriter w(out);
  w.begin_object().key("leads").begin_array();
  for (const auto& l : page.leads) write_lead(w, l, cfg, true);
  w.end_array().key("search_after");
  if (page.next)
    w.value(engine::encode_cursor(*page.next));
  else
    w.null();
  w.end_object();
  return json_response(200, std::move(out));
}

}  // namespace pp::api
