#include "api/exports.h"

#include <boost/json.hpp>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

#include "api/reports.h"
#include "core/text.h"
#include "files/table.h"

namespace pp::api {

namespace json = boost::json;
using files::Cell;

namespace {

constexpr std::string_view kTypes[] = {"leads", "stats", "accounting", "logs"};

// The export's parameters as a request to the read endpoint it mirrors.
Request endpoint_request(const json::object& params) {
  Request r;
  r.method = "GET";
  for (const auto& [k, v] : params) {
    std::string text;
    if (v.is_string())
      text = std::string(v.as_string());
    else if (v.is_int64())
      text = std::to_string(v.as_int64());
    else if (v.is_bool())
      text = v.as_bool() ? "1" : "0";
    else
      continue;
    if (!r.query.empty()) r.query += '&';
    r.query += url_encode(k) + "=" + url_encode(text);
  }
  return r;
}

std::string error_message_of(const Response& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (const auto* m = v.as_object().if_contains("message"); m && m->is_string())
      return std::string(m->as_string());
  return "HTTP " + std::to_string(r.status);
}

// ---- tables of a JSON report (stats, accounting) --------------------------------------------
// One row per innermost record: a report's nesting (campaign -> suppliers -> periods) becomes
// rows that repeat their parents' values. Objects without arrays inside are columns
// ("campaign.id"); arrays of records are branches: at the first level their records' own keys are
// the columns (a "section" column names the branch when there are several), deeper they are
// prefixed.

struct Table {
  std::vector<std::string> columns;
  std::map<std::string, size_t> index;
  std::vector<std::vector<std::pair<size_t, Cell>>> rows;
  size_t column(const std::string& name) {
    auto [it, added] = index.emplace(name, columns.size());
    if (added) columns.push_back(name);
    return it->second;
  }
};

Cell cell_of(const json::value& v) {
  if (v.is_string()) return Cell::of(std::string(v.as_string()));
  if (v.is_int64()) return Cell::integer(v.as_int64());
  if (v.is_uint64()) return Cell::integer(int64_t(v.as_uint64()));
  if (v.is_bool()) return Cell::of(v.as_bool() ? "true" : "false");
  if (v.is_double()) {
    // Report amounts are written with at most 4 decimals; the shortest text that reads back as
    // the same double is that text ("280.5"), which Money parses exactly.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v.as_double(), std::chars_format::fixed);
    std::string_view text(buf, size_t(res.ptr - buf));
    if (auto m = Money::parse(text)) return Cell::money(*m);
    return Cell::of(text);
  }
  return {};
}

bool has_array(const json::value& v) {
  if (v.is_array()) return true;
  if (v.is_object())
    for (const auto& [k, c] : v.as_object())
      if (has_array(c)) return true;
  return false;
}

using RowCells = std::vector<std::pair<size_t, Cell>>;

void add_record(Table& t, const json::object& o, const std::string& prefix, int depth,
                const RowCells& inherited);

// The scalars of `o` (and of objects without arrays inside, flattened) as cells; the arrays of
// records found (with their names, objects with arrays descended into) as branches.
void split_record(Table& t, const json::object& o, const std::string& prefix, RowCells& cells,
                  std::vector<std::pair<std::string, const json::array*>>& branches) {
  for (const auto& [k, v] : o) {
    const std::string name = prefix + std::string(k);
    if (v.is_array()) {
      branches.emplace_back(std::string(k), &v.as_array());
    } else if (v.is_object()) {
      if (has_array(v)) {
        std::vector<std::pair<std::string, const json::array*>> inner;
        split_record(t, v.as_object(), name + ".", cells, inner);
        for (auto& [bk, arr] : inner) branches.emplace_back(std::string(k), arr);
      } else {
        split_record(t, v.as_object(), name + ".", cells, branches);
      }
    } else {
      cells.emplace_back(t.column(name), cell_of(v));
    }
  }
}

void add_record(Table& t, const json::object& o, const std::string& prefix, int depth,
                const RowCells& inherited) {
  RowCells cells = inherited;
  std::vector<std::pair<std::string, const json::array*>> branches;
  split_record(t, o, prefix, cells, branches);
  bool emitted = false;
  for (const auto& [name, arr] : branches) {
    RowCells base = cells;
    if (depth == 0 && branches.size() > 1) base.emplace_back(t.column("section"), Cell::of(name));
    for (const auto& e : *arr) {
      if (!e.is_object()) continue;
      add_record(t, e.as_object(), depth == 0 ? std::string() : name + ".", depth + 1, base);
      emitted = true;
    }
  }
  if (!emitted) t.rows.push_back(std::move(cells));
}

Table table_of(const json::value& report) {
  Table t;
  const json::value* root = &report;
  if (report.is_object())
    if (const auto* d = report.as_object().if_contains("data"); d && d->is_array()) root = d;
  if (root->is_array()) {
    for (const auto& e : root->as_array())
      if (e.is_object()) add_record(t, e.as_object(), "", 0, {});
  } else if (root->is_object()) {
    add_record(t, root->as_object(), "", 0, {});
  }
  return t;
}

// ---- writers -----------------------------------------------------------------------------------

struct Output {
  std::unique_ptr<files::TableWriter> writer;
  std::string path;
};

std::optional<Output> open_table(engine::JobContext& ctx, files::Format f, std::string suffix,
                                 std::string sheet, std::string& error) {
  Output o;
  o.path = ctx.path(suffix + "." + std::string(files::to_string(f)));
  o.writer = files::TableWriter::open(f, o.path, std::move(sheet), error);
  if (!o.writer) return std::nullopt;
  return o;
}

engine::JobOutcome failed(std::string why) { return {false, std::move(why)}; }

engine::JobOutcome export_report(engine::Engine& engine, engine::JobContext& ctx,
                                 const std::string& type, const Request& req, files::Format f) {
  const std::vector<int64_t>& scope = ctx.job().campaigns;
  Response r = type == "stats" ? stats_endpoint(engine, req)
               : scope.empty() ? accounting_endpoint(engine, req)
                               : scoped_accounting_endpoint(engine, req, scope);
  if (r.status != 200) return failed(error_message_of(r));
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec) return failed("the report did not parse");
  Table t = table_of(v);
  std::string err;
  auto out = open_table(ctx, f, "", type, err);
  if (!out) return failed(err);
  out->writer->header(t.columns);
  std::vector<Cell> row;
  for (const auto& cells : t.rows) {
    row.assign(t.columns.size(), Cell{});
    for (const auto& [i, c] : cells) row[i] = c;
    if (!out->writer->row(row)) return failed("could not write the file");
  }
  if (!out->writer->close(err)) return failed(err);
  ctx.job().file = std::filesystem::path(out->path).filename().string();
  ctx.progress(int64_t(t.rows.size()), int64_t(t.rows.size()));
  ctx.job().add_count("rows", int64_t(t.rows.size()));
  return {};
}

// Leads in the search's range (an upper bound of what the filters keep), for progress.
int64_t leads_in_range(engine::Engine& engine, const engine::LeadSearch& q) {
  int64_t n = 0;
  engine.store().scan_campaign_leads(q.campaign, q.range.from_ms, q.range.to_ms, q.after,
                                     [&](const storage::LeadIndexEntry&) {
                                       ++n;
                                       return true;
                                     });
  return n;
}

// Calls fn for every lead the search finds, newest first, page by page (bounded memory).
template <class Fn>
bool for_each_lead(engine::Engine& engine, engine::JobContext& ctx, const CampaignConfig& c,
                   engine::LeadSearch q, Fn&& fn) {
  q.limit = 500;
  q.fill_cache = false;  // 10^6 leads read once must not evict the lead path's blocks
  for (;;) {
    if (ctx.stopping()) return false;
    engine::LeadPage page = engine::search_leads(engine.store(), c, q);
    for (const Lead& l : page.leads)
      if (!fn(l)) return false;
    if (!page.next) return true;
    q.after = std::move(page.next);
  }
}

const BuyerOutcome* sold_to(const Lead& l) {
  for (const auto& b : l.buyers)
    if (b.status == BuyerStatus::kAccepted) return &b;
  return nullptr;
}

// The lead data columns of a campaign: its fields, then the sub ids it does not name.
std::vector<std::string> lead_field_columns(const CampaignConfig& c) {
  std::vector<std::string> fields;
  for (const auto& fs : c.fields) fields.push_back(fs.name);
  for (int i = 1; i <= 6; ++i) {
    std::string s = "lp_subid" + std::to_string(i);
    if (std::find(fields.begin(), fields.end(), s) == fields.end()) fields.push_back(s);
  }
  return fields;
}

// A leads file written (or not): the job's outcome, its file and counts.
engine::JobOutcome finish_leads(engine::JobContext& ctx, Output& out, bool write_failed, bool whole,
                                int64_t done, int64_t written) {
  std::string err;
  if (write_failed) return failed("could not write the file (disk full?)");
  if (!whole) return failed("cancelled");
  if (!out.writer->close(err)) return failed(err);
  ctx.job().file = std::filesystem::path(out.path).filename().string();
  ctx.progress(done, done);
  ctx.job().add_count("leads", written);
  return {};
}

engine::JobOutcome export_leads(engine::Engine& engine, engine::JobContext& ctx,
                                const LeadQuery& lq, files::Format f) {
  const CampaignConfig& c = *lq.campaign;
  std::vector<std::string> columns = {
      "id",          "lead_date",     "lead_date_utc", "status",
      "error_code",  "error_message", "campaign_id",   "campaign_name",
      "supplier_id", "supplier_name", "test",          "cost",
      "revenue",     "profit",        "returned",      "return_reason",
      "buyer_id",    "buyer_name",    "sell_price",    "tags"};
  const size_t fixed = columns.size();
  std::vector<std::string> fields = lead_field_columns(c);
  columns.insert(columns.end(), fields.begin(), fields.end());
  std::string err;
  auto out = open_table(ctx, f, "", "leads", err);
  if (!out) return failed(err);
  out->writer->header(columns);
  const int64_t total = leads_in_range(engine, lq.search);
  int64_t done = 0;
  std::vector<Cell> row(columns.size());
  bool write_failed = false;
  bool whole = for_each_lead(engine, ctx, c, lq.search, [&](const Lead& l) {
    const SupplierConfig* s = c.find_supplier(l.supplier_id);
    const BuyerOutcome* b = sold_to(l);
    const BuyerConfig* bc = b ? c.find_buyer(b->buyer_id) : nullptr;
    std::string tags;
    for (const auto& t : l.tags) tags += (tags.empty() ? "" : ",") + t;
    size_t i = 0;
    row[i++] = Cell::of(l.id);
    row[i++] = Cell::of(lq.tz.format_local(l.created_ms));
    row[i++] = Cell::of(format_utc(l.created_ms));
    row[i++] = Cell::of(to_string(l.status));
    row[i++] = Cell::integer(l.error_code);
    row[i++] = Cell::of(l.error_message);
    row[i++] = Cell::integer(l.campaign_id);
    row[i++] = Cell::of(c.name);
    row[i++] = Cell::integer(l.supplier_id);
    row[i++] = Cell::of(s ? s->name : std::string());
    row[i++] = Cell::of(l.test ? "true" : "false");
    row[i++] = Cell::money(l.cost);
    row[i++] = Cell::money(l.revenue);
    row[i++] = Cell::money(Money::from_units(l.revenue.units() - l.cost.units()));
    row[i++] = Cell::of(l.returned ? "true" : "false");
    row[i++] = Cell::of(l.return_reason);
    row[i++] = b ? Cell::integer(b->buyer_id) : Cell{};
    row[i++] = Cell::of(bc ? bc->name : std::string());
    row[i++] = b ? Cell::money(b->sell_price) : Cell{};
    row[i++] = Cell::of(tags);
    for (size_t k = 0; k < fields.size(); ++k) {
      const std::string* v = find_field(l.fields, fields[k]);
      row[fixed + k] = v ? Cell::of(*v) : Cell{};
    }
    if (!out->writer->row(row)) {
      write_failed = true;
      return false;
    }
    ctx.progress(++done, std::max(total, done));
    return true;
  });
  return finish_leads(ctx, *out, write_failed, whole, done, done);
}

// Ping/post logs: every exchange with a buyer of the leads found, in a master file and one file
// per buyer, zipped together (as the reference's log export).
engine::JobOutcome export_logs(engine::Engine& engine, engine::JobContext& ctx, const LeadQuery& lq,
                               files::Format f) {
  const CampaignConfig& c = *lq.campaign;
  const std::vector<std::string> columns = {
      "lead_id", "lead_date", "campaign_id", "supplier_id", "buyer_id",        "buyer_name",
      "kind",    "url",       "method",      "http_status", "transport_error", "exec_ms",
      "bid",     "decision",  "request",     "response"};
  std::string err;
  auto master = open_table(ctx, f, "-master", "master", err);
  if (!master) return failed(err);
  master->writer->header(columns);
  std::map<BuyerId, Output> per_buyer;
  const int64_t total = leads_in_range(engine, lq.search);
  int64_t done = 0, exchanges = 0;
  bool write_failed = false;
  std::vector<Cell> row(columns.size());
  bool whole = for_each_lead(engine, ctx, c, lq.search, [&](const Lead& l) {
    auto debug = engine.lookup_debug(l.id);
    ctx.progress(++done, std::max(total, done));
    if (!debug.found()) return true;  // older than the debug logs' retention
    for (const BuyerDebug& b : debug.value->buyers) {
      const BuyerConfig* bc = c.find_buyer(b.buyer_id);
      for (int k = 0; k < 2; ++k) {
        const std::optional<HttpExchangeLog>& x = k == 0 ? b.ping : b.post;
        if (!x) continue;
        size_t i = 0;
        row[i++] = Cell::of(l.id);
        row[i++] = Cell::of(lq.tz.format_local(l.created_ms));
        row[i++] = Cell::integer(l.campaign_id);
        row[i++] = Cell::integer(l.supplier_id);
        row[i++] = Cell::integer(b.buyer_id);
        row[i++] = Cell::of(bc ? bc->name : std::string());
        row[i++] = Cell::of(k == 0 ? "ping" : "post");
        row[i++] = Cell::of(x->url);
        row[i++] = Cell::of(x->method);
        row[i++] = Cell::integer(x->http_status);
        row[i++] = Cell::of(x->transport_error);
        row[i++] = Cell::integer(x->exec_time_us / 1000);
        row[i++] = b.has_bid ? Cell::money(b.bid_raw) : Cell{};
        row[i++] = Cell::of(b.decision);
        row[i++] = Cell::of(x->payload);
        row[i++] = Cell::of(x->response);
        auto it = per_buyer.find(b.buyer_id);
        if (it == per_buyer.end()) {
          auto o = open_table(ctx, f, "-buyer-" + std::to_string(b.buyer_id),
                              "buyer " + std::to_string(b.buyer_id), err);
          if (!o) {
            write_failed = true;
            return false;
          }
          o->writer->header(columns);
          it = per_buyer.emplace(b.buyer_id, std::move(*o)).first;
        }
        if (!master->writer->row(row) || !it->second.writer->row(row)) {
          write_failed = true;
          return false;
        }
        ++exchanges;
      }
    }
    return true;
  });
  auto cleanup = [&] {
    std::error_code ec;
    std::filesystem::remove(master->path, ec);
    for (auto& [id, o] : per_buyer) std::filesystem::remove(o.path, ec);
  };
  bool closed = master->writer->close(err);
  std::vector<std::pair<std::string, std::string>> entries;
  const std::string ext(files::to_string(f));
  entries.emplace_back("master." + ext, master->path);
  for (auto& [id, o] : per_buyer) {
    const BuyerConfig* bc = c.find_buyer(id);
    std::string name = "buyer_" + std::to_string(id);
    if (bc)
      for (char ch : bc->name) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    if (bc) name.insert(("buyer_" + std::to_string(id)).size(), "_");
    closed = o.writer->close(err) && closed;
    entries.emplace_back(name.substr(0, 80) + "." + ext, o.path);
  }
  if (write_failed || !closed || !whole) {
    cleanup();
    return failed(!whole && !write_failed ? "cancelled" : err.empty() ? "could not write" : err);
  }
  const std::string zip = ctx.path(".zip");
  bool zipped = files::write_zip(zip, entries, err);
  cleanup();
  if (!zipped) return failed(err);
  ctx.job().file = std::filesystem::path(zip).filename().string();
  ctx.progress(done, done);
  ctx.job().add_count("leads", done);
  ctx.job().add_count("exchanges", exchanges);
  ctx.job().add_count("buyers", int64_t(per_buyer.size()));
  return {};
}

// A portal user's leads (issue 20): a buyer's without the fields hidden from buyers and nothing of
// the supplier; a supplier's with its payout as revenue. `members`: the user's buyers (or
// suppliers) in the campaign when the export was asked for.
engine::JobOutcome export_portal_leads(engine::Engine& engine, engine::JobContext& ctx,
                                       const LeadQuery& lq, files::Format f, bool buyer,
                                       const std::set<int64_t>& members) {
  const CampaignConfig& c = *lq.campaign;
  std::vector<std::string> columns =
      buyer
          ? std::vector<std::string>{"id",       "lead_date", "lead_date_utc", "campaign_id",
                                     "buyer_id", "price",     "returned",      "return_reason"}
          : std::vector<std::string>{"id",          "lead_date",     "lead_date_utc", "campaign_id",
                                     "supplier_id", "status",        "error_message", "revenue",
                                     "returned",    "return_reason", "test"};
  const size_t fixed = columns.size();
  std::vector<std::string> fields = lead_field_columns(c);
  if (buyer)
    std::erase_if(fields, [&](const std::string& n) {
      return std::find(c.buyer_hidden_fields.begin(), c.buyer_hidden_fields.end(), n) !=
             c.buyer_hidden_fields.end();
    });
  columns.insert(columns.end(), fields.begin(), fields.end());
  std::string err;
  auto out = open_table(ctx, f, "", "leads", err);
  if (!out) return failed(err);
  out->writer->header(columns);
  engine::LeadSearch q = lq.search;
  if (buyer) q.status = LeadStatus::kAccepted;
  if (!buyer && members.size() == 1) q.supplier = *members.begin();
  const int64_t total = leads_in_range(engine, q);
  int64_t done = 0, written = 0;
  std::vector<Cell> row(columns.size());
  bool write_failed = false;
  bool whole = for_each_lead(engine, ctx, c, q, [&](const Lead& l) {
    ctx.progress(++done, std::max(total, done));
    const BuyerOutcome* b = nullptr;
    if (buyer) {
      for (const auto& o : l.buyers)
        if (o.status == BuyerStatus::kAccepted && members.count(o.buyer_id)) b = &o;
      if (b == nullptr) return true;
    } else if (!members.count(l.supplier_id)) {
      return true;
    }
    size_t i = 0;
    row[i++] = Cell::of(l.id);
    row[i++] = Cell::of(lq.tz.format_local(l.created_ms));
    row[i++] = Cell::of(format_utc(l.created_ms));
    row[i++] = Cell::integer(l.campaign_id);
    if (buyer) {
      row[i++] = Cell::integer(b->buyer_id);
      row[i++] = Cell::money(b->sell_price);
      row[i++] = Cell::of(b->returned ? "true" : "false");
      row[i++] = Cell::of(b->return_reason);
    } else {
      row[i++] = Cell::integer(l.supplier_id);
      row[i++] = Cell::of(to_string(l.status));
      row[i++] = Cell::of(l.error_message);
      row[i++] = Cell::money(l.status == LeadStatus::kAccepted ? l.cost : Money());
      row[i++] = Cell::of(l.returned ? "true" : "false");
      row[i++] = Cell::of(l.return_reason);
      row[i++] = Cell::of(l.test ? "true" : "false");
    }
    for (size_t k = 0; k < fields.size(); ++k) {
      const std::string* v = find_field(l.fields, fields[k]);
      row[fixed + k] = v ? Cell::of(*v) : Cell{};
    }
    if (!out->writer->row(row)) {
      write_failed = true;
      return false;
    }
    ++written;
    return true;
  });
  return finish_leads(ctx, *out, write_failed, whole, done, written);
}

Response job_response(int status, const engine::Job& j, std::string_view collection) {
  std::string out;
  JsonWriter w(out);
  write_job(w, j, collection);
  return json_response(status, std::move(out));
}

}  // namespace

engine::JobOutcome run_export(engine::Engine& engine, engine::JobContext& ctx) {
  engine::Job& job = ctx.job();
  boost::system::error_code ec;
  json::value v = json::parse(job.params, ec);
  if (ec || !v.is_object()) return failed("the export's parameters do not parse");
  const json::object& o = v.as_object();
  files::Format f = files::Format::kCsv;
  if (const auto* fv = o.if_contains("format"); fv && fv->is_string())
    files::parse_format(std::string_view(fv->as_string()), f);
  Request req;
  if (const auto* p = o.if_contains("params"); p && p->is_object())
    req = endpoint_request(p->as_object());
  job.file.clear();
  job.counts.clear();
  engine::JobOutcome out;
  auto snap = engine.snapshot();
  if (job.type == "stats" || job.type == "accounting") {
    out = export_report(engine, ctx, job.type, req, f);
  } else {
    Response err;
    auto lq = parse_lead_query(snap->config(), req, err);
    if (!lq) return failed(error_message_of(err));
    const json::value* portal = o.if_contains("portal");
    if (portal && portal->is_object()) {  // a portal user's export (issue 20)
      const json::object& po = portal->as_object();
      std::set<int64_t> members;
      if (const json::value* m = po.if_contains("members"); m && m->is_array())
        for (const auto& id : m->as_array())
          if (id.is_int64()) members.insert(id.as_int64());
      const json::value* kind = po.if_contains("kind");
      const bool buyer = kind && kind->is_string() && kind->as_string() == "buyer";
      out = export_portal_leads(engine, ctx, *lq, f, buyer, members);
    } else {
      out =
          job.type == "logs" ? export_logs(engine, ctx, *lq, f) : export_leads(engine, ctx, *lq, f);
    }
  }
  if (out.ok) {
    const bool zip = job.type == "logs";
    job.download_name =
        job.type + "-" + job.id + (zip ? ".zip" : "." + std::string(files::to_string(f)));
    job.content_type = zip ? "application/zip" : std::string(files::content_type(f));
  }
  return out;
}

void write_time(JsonWriter& w, std::string_view key, UnixMs t) {
  w.key(key);
  if (t > 0)
    w.value(format_iso_utc(t));
  else
    w.null();
}

void write_text_or_null(JsonWriter& w, std::string_view key, const std::string& s) {
  w.key(key);
  if (s.empty())
    w.null();
  else
    w.value(s);
}

void write_job_times(JsonWriter& w, const engine::Job& j) {
  write_time(w, "created_at", j.created_ms);
  write_time(w, "started_at", j.started_ms);
  write_time(w, "completed_at", j.finished_ms);
}

void write_job(JsonWriter& w, const engine::Job& j, std::string_view collection) {
  w.begin_object();
  w.kv("id", j.id);
  w.kv("kind", to_string(j.kind));
  w.kv("type", j.type);
  w.kv("status", to_string(j.status));
  w.kv("actor", j.actor);
  w.key("campaigns").begin_array();
  for (int64_t c : j.campaigns) w.value(c);
  w.end_array();
  w.key("progress").begin_object();
  w.kv("done", j.done);
  w.kv("total", j.total);
  w.kv("percent", j.total > 0 ? std::min<int64_t>(100, j.done * 100 / j.total)
                              : (j.status == engine::JobStatus::kCompleted ? 100 : 0));
  w.end_object();
  w.key("counts").begin_object();
  for (const auto& [k, n] : j.counts) w.kv(k, n);
  w.end_object();
  write_job_times(w, j);
  write_time(w, "expires_at", j.expires_ms);
  w.key("file");
  if (j.status == engine::JobStatus::kCompleted && !j.file.empty()) {
    w.begin_object();
    w.kv("name", j.download_name);
    w.kv("bytes", j.file_bytes);
    w.kv("content_type", j.content_type);
    // A collection given as a path ("/portal/buyer/exports") is the portal's.
    w.kv("url", (collection.starts_with("/") ? std::string(collection)
                                             : "/admin/" + std::string(collection)) +
                    "/" + j.id + "/file");
    w.end_object();
  } else {
    w.null();
  }
  write_text_or_null(w, "error", j.error);
  w.end_object();
}

bool token_sees_job(const ApiTokenConfig& token, const engine::Job& j) {
  if (token.campaigns.empty()) return true;
  if (j.campaigns.empty()) return false;
  for (int64_t c : j.campaigns)
    if (!token.sees(c)) return false;
  return true;
}

Response list_jobs(engine::JobRunner& jobs, engine::JobKind kind, const Request& req,
                   const ApiTokenConfig& token, std::string_view collection) {
  int64_t limit = 20;
  if (auto l = req.query_param("limit"); !l.empty()) {
    auto n = parse_int(l);
    if (!n || *n < 1 || *n > 100) return error_response(400, "limit must be 1 to 100");
    limit = *n;
  }
  const std::string cursor = req.query_param("cursor");
  std::optional<engine::JobStatus> status;
  if (auto s = req.query_param("status"); !s.empty()) {
    engine::JobStatus st;
    if (!engine::parse_job_status(s, st))
      return error_response(400,
                            "status must be queued, running, completed, failed, cancelled or "
                            "expired");
    status = st;
  }
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("items").begin_array();
  int64_t n = 0;
  std::string last, next;
  storage::Status st = jobs.list(kind, [&](const engine::Job& j) {
    if (!cursor.empty() && j.id >= cursor) return true;
    if (status && j.status != *status) return true;
    if (!token_sees_job(token, j)) return true;
    if (n == limit) {
      next = last;  // there is more: it starts after the last one shown
      return false;
    }
    write_job(w, j, collection);
    last = j.id;
    ++n;
    return true;
  });
  if (!st.ok()) return storage_error();
  w.end_array().key("next_cursor");
  if (next.empty())
    w.null();
  else
    w.value(next);
  w.end_object();
  return json_response(200, std::move(out));
}

// One job of a collection, by id: the job, or the answer (404 also for a job the token may not
// see).
std::optional<engine::Job> find_job(engine::JobRunner& jobs, engine::JobKind kind,
                                    std::string_view id, const ApiTokenConfig& token,
                                    Response& refused) {
  if (!id.starts_with(engine::JobRunner::id_prefix(kind))) {
    refused = error_response(404, "Not found");
    return std::nullopt;
  }
  auto j = jobs.get(id);
  if (j.failed()) {
    refused = storage_error();
    return std::nullopt;
  }
  if (!j.found() || j.value->kind != kind || !token_sees_job(token, *j.value)) {
    refused = error_response(404, "Not found");
    return std::nullopt;
  }
  return std::move(j.value);
}

Response job_file(engine::JobRunner& jobs, const engine::Job& j) {
  if (j.status == engine::JobStatus::kExpired)
    return error_response(410, "The file's download window has ended");
  const bool partial = j.status == engine::JobStatus::kFailed ||
                       j.status == engine::JobStatus::kCancelled;  // a batch's rows so far
  if ((j.status != engine::JobStatus::kCompleted && !partial) || j.file.empty())
    return error_response(409, "No file: the job is " + std::string(to_string(j.status)));
  Response r;
  r.content_type = j.content_type;
  r.file = jobs.file_path(j);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + j.download_name + "\"");
  r.headers.emplace_back("Cache-Control", "private, no-store");
  return r;
}

Response job_route(engine::JobRunner& jobs, engine::JobKind kind, const Request& req,
                   const ApiTokenConfig& token, std::string_view collection) {
  const std::string prefix = "/admin/" + std::string(collection) + "/";
  std::string_view rest = std::string_view(req.path).substr(prefix.size());
  const bool file = rest.ends_with("/file");
  if (file) rest.remove_suffix(5);
  if (rest.empty() || rest.find('/') != std::string_view::npos)
    return error_response(404, "Not found");
  Response refused;
  auto j = find_job(jobs, kind, rest, token, refused);
  if (!j) return refused;
  if (file) {
    if (req.method != "GET") return error_response(405, "Use GET");
    return job_file(jobs, *j);
  }
  if (req.method == "GET") return job_response(200, *j, collection);
  if (req.method == "DELETE") {
    if (!jobs.cancel(j->id))
      return error_response(409, "The job has ended: " + std::string(to_string(j->status)));
    auto now = jobs.get(j->id);
    return job_response(200, now.found() ? *now.value : *j, collection);
  }
  return error_response(405, "Use GET or DELETE");
}

Response exports_route(engine::Engine& engine, engine::JobRunner& jobs, const Request& req,
                       const ApiTokenConfig& token) {
  if (req.path == "/admin/exports") {
    if (req.method == "GET")
      return list_jobs(jobs, engine::JobKind::kExport, req, token, "exports");
    if (req.method != "POST") return error_response(405, "Use GET or POST");
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec || !body.is_object()) return error_response(400, "The body must be a JSON object");
    const json::object& o = body.as_object();
    std::string type, format = "csv";
    if (const auto* t = o.if_contains("type"); t && t->is_string()) type = t->as_string();
    if (const auto* f = o.if_contains("format"); f && f->is_string()) format = f->as_string();
    if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes))
      return error_response(400, "type must be leads, stats, accounting or logs");
    files::Format ff;
    if (!files::parse_format(format, ff)) return error_response(400, "format must be csv or xlsx");
    json::object params;
    if (const auto* p = o.if_contains("params")) {
      if (!p->is_object()) return error_response(400, "params must be an object");
      for (const auto& [k, v] : p->as_object()) {
        if (!v.is_string() && !v.is_int64() && !v.is_bool())
          return error_response(400, "params." + std::string(k) + " must be a string or a number");
        params[k] = v;
      }
    }
    engine::Job job;
    job.kind = engine::JobKind::kExport;
    job.type = type;
    job.actor = token.name;
    Request probe = endpoint_request(params);
    auto snap = engine.snapshot();
    if (type == "leads" || type == "logs") {
      Response err;
      auto lq = parse_lead_query(snap->config(), probe, err);
      if (!lq) return err;
      if (!token.sees(lq->campaign->id)) return error_response(404, "Campaign not found");
      job.campaigns = {lq->campaign->id};
    } else if (type == "stats") {
      for (std::string_view id : split(probe.query_param("campaign"), ",")) {
        if (trim(id).empty()) continue;
        auto n = parse_int(trim(id));
        if (!n || !token.sees(*n)) return error_response(404, "Campaign not found");
        job.campaigns.push_back(*n);
      }
      if (job.campaigns.empty() && !token.campaigns.empty())
        return error_response(403,
                              "Forbidden: this token is limited to some campaigns; name them "
                              "with params.campaign");
      Response r = stats_endpoint(engine, probe);  // the parameters' errors, answered now
      if (r.status != 200) return r;
    } else {
      job.campaigns = token.campaigns;
      Response r = token.campaigns.empty()
                       ? accounting_endpoint(engine, probe)
                       : scoped_accounting_endpoint(engine, probe, token.campaigns);
      if (r.status != 200) return r;
    }
    json::object stored;
    stored["format"] = format;
    stored["params"] = std::move(params);
    job.params = json::serialize(stored);
    auto made = jobs.submit(std::move(job));
    if (!made) return error_response(503, "Could not store the export; retry");
    Response r = job_response(202, *made, "exports");
    r.headers.emplace_back("Location", "/admin/exports/" + made->id);
    return r;
  }
  return job_route(jobs, engine::JobKind::kExport, req, token, "exports");
}

Response portal_exports_route(engine::Engine& engine, engine::JobRunner& jobs, const Request& req,
                              const PortalExportScope& scope) {
  const std::string_view rest = std::string_view(req.path).substr(scope.collection.size());
  if (rest.empty() && req.method == "GET") {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    int n = 0;
    storage::Status st = jobs.list(engine::JobKind::kExport, [&](const engine::Job& j) {
      if (j.actor != scope.actor) return true;
      write_job(w, j, scope.collection);
      return ++n < 100;
    });
    if (!st.ok()) return storage_error();
    w.end_array().end_object();
    return json_response(200, std::move(out));
  }
  if (rest.empty()) {  // POST {"campaign_id", "start_date", "end_date", "timezone", "format"}
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec || !body.is_object()) return error_response(400, "The body must be a JSON object");
    const json::object& o = body.as_object();
    std::string format = "csv";
    if (const auto* fv = o.if_contains("format"); fv && fv->is_string()) format = fv->as_string();
    files::Format ff;
    if (!files::parse_format(format, ff)) return error_response(400, "format must be csv or xlsx");
    const json::value* cid = o.if_contains("campaign_id");
    const int64_t campaign = cid && cid->is_int64() ? cid->as_int64() : 0;
    auto mine = scope.members.find(campaign);
    if (mine == scope.members.end()) return error_response(404, "Campaign not found");
    json::object params;
    params["campaign"] = campaign;
    for (const char* k : {"start_date", "end_date", "timezone"})
      if (const auto* v = o.if_contains(k); v && v->is_string()) params[k] = v->as_string();
    Response err;
    auto lq = parse_lead_query(engine.snapshot()->config(), endpoint_request(params), err);
    if (!lq) return err;
    json::array members;
    for (int64_t m : mine->second) members.push_back(m);
    json::object stored;
    stored["format"] = format;
    stored["params"] = std::move(params);
    stored["portal"] =
        json::object{{"kind", scope.buyer ? "buyer" : "supplier"}, {"members", std::move(members)}};
    engine::Job job;
    job.kind = engine::JobKind::kExport;
    job.type = "leads";
    job.actor = scope.actor;
    job.campaigns = {campaign};
    job.params = json::serialize(stored);
    auto made = jobs.submit(std::move(job));
    if (!made) return error_response(503, "Could not store the export; retry");
    Response r = job_response(202, *made, scope.collection);
    r.headers.emplace_back("Location", scope.collection + "/" + made->id);
    return r;
  }
  // /{id} and /{id}/file: the user's own exports only.
  std::string_view id = rest.substr(1);
  const bool file = id.ends_with("/file");
  if (file) id.remove_suffix(5);
  auto j = id.starts_with(engine::JobRunner::id_prefix(engine::JobKind::kExport))
               ? jobs.get(id)
               : storage::Read<engine::Job>{};
  if (j.failed()) return storage_error();
  if (!j.found() || j.value->actor != scope.actor || id.find('/') != std::string_view::npos)
    return error_response(404, "Not found");
  if (file) return job_file(jobs, *j.value);
  return job_response(200, *j.value, scope.collection);
}

}  // namespace pp::api
