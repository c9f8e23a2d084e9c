#include "engine/returns.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <set>

#include "core/text.h"
#include "engine/batches.h"
#include "engine/reports.h"
#include "files/table.h"

namespace pp::engine {

namespace json = boost::json;
namespace asio = boost::asio;

bool parse_return_match(std::string_view s, ReturnMatch& out) {
  if (s == "lp_lead_id" || s == "lead_id")
    out = ReturnMatch::kLeadId;
  else if (s == "email")
    out = ReturnMatch::kEmail;
  else if (s == "phone")
    out = ReturnMatch::kPhone;
  else
    return false;
  return true;
}

bool parse_on_multiple(std::string_view s, OnMultiple& out) {
  if (s == "all")
    out = OnMultiple::kAll;
  else if (s == "newest")
    out = OnMultiple::kNewest;
  else if (s == "skip")
    out = OnMultiple::kSkip;
  else
    return false;
  return true;
}

const FieldSpec* match_field(const CampaignConfig& c, ReturnMatch by) {
  if (by == ReturnMatch::kLeadId) return nullptr;
  const FieldType type = by == ReturnMatch::kEmail ? FieldType::kEmail : FieldType::kPhone;
  for (const auto& f : c.fields)
    if (f.type == type) return &f;
  return c.find_field_spec(by == ReturnMatch::kEmail ? "email" : "phone");
}

namespace {

// A lead's outcome for the buyer asked about (or its sale to anyone).
const BuyerOutcome* sale(const Lead& l, BuyerId buyer) {
  for (const auto& o : l.buyers)
    if (o.status == BuyerStatus::kAccepted && (buyer == 0 || o.buyer_id == buyer)) return &o;
  return nullptr;
}

}  // namespace

JobOutcome run_returns(Engine& engine, JobContext& ctx, const std::string& files_dir) {
  Job& job = ctx.job();
  boost::system::error_code ec;
  json::value v = json::parse(job.params, ec);
  if (ec || !v.is_object()) return {false, "the parameters do not parse"};
  const json::object& o = v.as_object();
  auto snap = engine.snapshot();
  const CampaignConfig* c = snap->config().find_campaign(param_int(o, "campaign_id"));
  if (c == nullptr) return {false, "the campaign is gone"};
  const BuyerId buyer = param_int(o, "buyer_id");
  TimeRange range{param_int(o, "from_ms"), param_int(o, "to_ms")};
  ReturnMatch by = ReturnMatch::kLeadId;
  OnMultiple multiple = OnMultiple::kAll;
  parse_return_match(param_string(o, "match_by"), by);
  parse_on_multiple(param_string(o, "on_multiple"), multiple);
  const std::string column = param_string(o, "column"),
                    reason_column = param_string(o, "reason_column");
  std::string reason = param_string(o, "reason");
  if (reason.empty()) reason = "Bulk return";
  const FieldSpec* field = match_field(*c, by);
  if (by != ReturnMatch::kLeadId && field == nullptr)
    return {false, "the campaign has no " + param_string(o, "match_by") + " field"};

  auto up = get_upload(engine.store(), param_string(o, "upload_id"));
  if (!up.found()) return {false, "the upload is gone"};
  std::string err;
  auto reader = RowReader::open(upload_path(files_dir, *up.value), up.value->format, err);
  if (!reader) return {false, err};

  // all.csv, and one file per supplier as its leads are met.
  const std::vector<std::string> columns = {"row",        "value",  "lead_id", "supplier_id",
                                            "buyer_id",   "status", "message", "lead_date",
                                            "sell_price", "cost"};
  struct Out {
    std::unique_ptr<files::TableWriter> w;
    std::string path;
  };
  auto open = [&](const std::string& suffix, Out& out) {
    out.path = ctx.path(suffix);
    out.w = files::TableWriter::open(files::Format::kCsv, out.path, "returns", err);
    if (out.w) out.w->header(columns);
    return out.w != nullptr;
  };
  Out all;
  if (!open("-all.csv", all)) return {false, err};
  std::map<SupplierId, Out> per_supplier;
  job.counts.clear();
  for (const char* k :
       {"rows", "returned", "already_returned", "not_sold", "not_found", "ambiguous", "failed"})
    job.add_count(k, 0);
  job.total = up.value->rows;
  job.done = 0;

  // Rows go in chunks: their matches are read here, then the chunk's returns (one durable write
  // each) run at once on this thread's io_context, so that group commit shares their fsyncs;
  // results are written in row order.
  asio::io_context ioc{1};
  struct Entry {
    int64_t row = 0;
    std::string value;
    std::optional<Lead> lead;
    std::string status, message, why;
    bool to_return = false;
  };
  std::vector<Entry> chunk;
  constexpr size_t kChunkRows = 64;

  bool write_failed = false;
  auto emit = [&](const Entry& e) {
    std::vector<files::Cell> cells;
    const Lead* l = e.lead ? &*e.lead : nullptr;
    const BuyerOutcome* s = l ? sale(*l, buyer) : nullptr;
    cells.push_back(files::Cell::integer(e.row));
    cells.push_back(files::Cell::of(e.value));
    cells.push_back(files::Cell::of(l ? l->id : std::string()));
    cells.push_back(l ? files::Cell::integer(l->supplier_id) : files::Cell{});
    cells.push_back(s ? files::Cell::integer(s->buyer_id) : files::Cell{});
    cells.push_back(files::Cell::of(e.status));
    cells.push_back(files::Cell::of(e.message));
    cells.push_back(files::Cell::of(l ? c->tz.format_local(l->created_ms) : std::string()));
    cells.push_back(s ? files::Cell::money(s->sell_price) : files::Cell{});
    cells.push_back(l ? files::Cell::money(l->cost) : files::Cell{});
    job.add_count(e.status, 1);
    if (!all.w->row(cells)) write_failed = true;
    if (l) {
      auto it = per_supplier.find(l->supplier_id);
      if (it == per_supplier.end()) {
        Out out;
        if (!open("-supplier-" + std::to_string(l->supplier_id) + ".csv", out)) {
          write_failed = true;
          return;
        }
        it = per_supplier.emplace(l->supplier_id, std::move(out)).first;
      }
      if (!it->second.w->row(cells)) write_failed = true;
    }
  };
  auto flush = [&] {
    // The chunk's returns at once; the guard keeps run() waiting for the store's answers.
    auto guard = asio::make_work_guard(ioc);
    size_t waiting = 0;
    for (Entry& e : chunk) {
      if (!e.to_return) continue;
      ++waiting;
      asio::co_spawn(ioc, engine.return_lead(e.lead->id, e.why),
                     [&, ep = &e](std::exception_ptr x, Engine::ReturnResult r) {
                       if (x) r = Engine::ReturnResult::kFailed;
                       switch (r) {
                         case Engine::ReturnResult::kDone:
                           ep->status = "returned";
                           ep->message = ep->why;
                           break;
                         case Engine::ReturnResult::kRefused:
                           ep->status = "already_returned";
                           ep->message = "already returned, or shared";
                           break;
                         case Engine::ReturnResult::kNotSold:
                           ep->status = "not_sold";
                           ep->message = "not sold";
                           break;
                         case Engine::ReturnResult::kNotFound:
                           ep->status = "not_found";
                           ep->message = "lead not found";
                           break;
                         case Engine::ReturnResult::kFailed:
                         case Engine::ReturnResult::kUnreadable:
                           ep->status = "failed";
                           ep->message = "the return could not be stored; send the row again";
                           break;
                       }
                       if (--waiting == 0) guard.reset();
                     });
    }
    if (waiting > 0) {
      ioc.restart();
      ioc.run();
    }
    for (const Entry& e : chunk) emit(e);
    chunk.clear();
  };

  FieldList fields;
  int64_t row = 0, rows_in_chunk = 0;
  std::set<std::string> returning;  // lead ids this chunk returns (a repeated row: already)
  while (!write_failed && reader->next(fields, row)) {
    if (ctx.stopping()) break;
    job.add_count("rows", 1);
    const std::string* raw = find_field(fields, column);
    Entry base;
    base.row = row;
    base.value = raw ? std::string(trim(*raw)) : std::string();
    base.why = reason;
    if (const std::string* r = reason_column.empty() ? nullptr : find_field(fields, reason_column);
        r && !trim(*r).empty())
      base.why = std::string(utf8_prefix(trim(*r), 255));
    auto add = [&](std::optional<Lead> lead, std::string status, std::string message) {
      Entry e = base;
      e.lead = std::move(lead);
      e.status = std::move(status);
      e.message = std::move(message);
      chunk.push_back(std::move(e));
    };
    if (base.value.empty()) {
      add(std::nullopt, "not_found", "no value in column " + column);
    } else {
      // The leads the value names: by id, or by the field's normalised value (the index).
      std::vector<Lead> found;
      bool unreadable = false;
      if (by == ReturnMatch::kLeadId) {
        auto l = engine.lookup_lead(base.value);
        unreadable = l.failed();
        if (l.found() && l.value->campaign_id == c->id && l.value->created_ms >= range.from_ms &&
            l.value->created_ms < range.to_ms)
          found.push_back(std::move(*l.value));
      } else if (FieldCheck fc = validate_field(*field, base.value); fc.ok) {
        LeadSearch q;
        q.campaign = c->id;
        q.range = range;
        q.field.emplace(field->name, fc.value);
        q.limit = 100;
        for (;;) {  // newest first
          LeadPage page = search_leads(engine.store(), *c, q);
          for (auto& l : page.leads) found.push_back(std::move(l));
          if (!page.next || found.size() >= 1000) break;
          q.after = std::move(page.next);
        }
      }
      // Only sales (to the buyer asked about) are returned; other matches are told apart.
      std::vector<Lead*> sold;
      for (auto& l : found)
        if (l.status == LeadStatus::kAccepted && sale(l, buyer)) sold.push_back(&l);
      if (unreadable) {
        add(std::nullopt, "failed", "storage could not be read");
      } else if (sold.empty() && found.empty()) {
        add(std::nullopt, "not_found", "no lead of the campaign in the range");
      } else if (sold.empty()) {
        add(std::move(found.front()), "not_sold",
            buyer ? "not sold to buyer " + std::to_string(buyer) : "not sold");
      } else if (sold.size() > 1 && multiple == OnMultiple::kSkip) {
        add(std::nullopt, "ambiguous", std::to_string(sold.size()) + " leads match");
      } else {
        if (multiple == OnMultiple::kNewest) sold.resize(1);  // newest first
        for (Lead* l : sold) {
          if (l->returned || returning.count(l->id)) {
            std::string why = l->returned ? l->return_reason : "returned by an earlier row";
            add(std::move(*l), "already_returned", std::move(why));
            continue;
          }
          returning.insert(l->id);
          add(std::move(*l), "", "");
          chunk.back().to_return = true;
        }
      }
    }
    ctx.progress(row, job.total);
    if (++rows_in_chunk >= int64_t(kChunkRows)) {
      flush();
      returning.clear();
      rows_in_chunk = 0;
    }
  }
  flush();
  bool closed = all.w->close(err);
  std::vector<std::pair<std::string, std::string>> entries = {{"all.csv", all.path}};
  for (auto& [sid, out] : per_supplier) {
    closed = out.w->close(err) && closed;
    entries.emplace_back("supplier_" + std::to_string(sid) + ".csv", out.path);
  }
  auto cleanup = [&] {
    std::error_code rm;
    for (const auto& [name, path] : entries) std::filesystem::remove(path, rm);
  };
  if (!reader->error().empty()) {
    cleanup();
    return {false, "reading the upload: " + reader->error()};
  }
  if (write_failed || !closed) {
    cleanup();
    return {false, "could not write the results (disk full?)"};
  }
  if (ctx.stopping()) {
    cleanup();
    return {false, "cancelled"};
  }
  const std::string zip = ctx.path(".zip");
  const bool zipped = files::write_zip(zip, entries, err);
  cleanup();
  if (!zipped) return {false, err};
  job.file = std::filesystem::path(zip).filename().string();
  job.download_name = "returns-" + job.id + ".zip";
  job.content_type = "application/zip";
  job.total = job.done = job.count("rows");
  return {};
}

}  // namespace pp::engine
