#include "engine/batches.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/csv.h"
#include "core/hash.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "engine/events.h"
#include "engine/intake.h"

namespace pp::engine {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

constexpr std::string_view kUploadKey = "upload/";
constexpr size_t kMaxJsonArrayBytes = 64u << 20;  // larger JSON: one object per line
constexpr size_t kMaxLineBytes = 1u << 20;
// How long a batch row's key answers for it (a resumed batch's rows past its last checkpoint).
constexpr int64_t kBatchRowKeyMs = 7LL * 24 * 3600 * 1000;
constexpr size_t kMaxColumns = 1024;

// A JSON value as a lead field's text (nullopt: null, left out).
std::optional<std::string> field_text(simdjson::dom::element v) {
  switch (v.type()) {
    case simdjson::dom::element_type::STRING:
      return std::string(std::string_view(v.get_string().value_unsafe()));
    case simdjson::dom::element_type::NULL_VALUE:
      return std::nullopt;
    case simdjson::dom::element_type::BOOL:
      return v.get_bool().value_unsafe() ? "true" : "false";
    default:
      return simdjson::minify(v);
  }
}

class CsvRows final : public RowReader {
 public:
  explicit CsvRows(FILE* f)
      : f_(f), parser_([this](std::vector<std::string>& cells, size_t) {
          if (!have_header_) {
            have_header_ = true;
            for (auto& c : cells) columns_.push_back(std::string(trim(c)));
            return true;
          }
          ready_.push_back(std::move(cells));
          return true;
        }) {}
  ~CsvRows() override { std::fclose(f_); }
  bool next(FieldList& fields, int64_t& row) override {
    while (ready_.empty()) {
      if (eof_) return false;
      char buf[64 * 1024];
      size_t n = std::fread(buf, 1, sizeof buf, f_);
      bool ok = n > 0 ? parser_.feed(std::string_view(buf, n)) : (eof_ = true, parser_.finish());
      if (!ok) {
        error_ = parser_.error();
        return false;
      }
    }
    std::vector<std::string> cells = std::move(ready_.front());
    ready_.pop_front();
    fields.clear();
    for (size_t i = 0; i < cells.size() && i < columns_.size(); ++i)
      if (!columns_[i].empty()) fields.emplace_back(columns_[i], std::move(cells[i]));
    row = ++rows_;
    return true;
  }
  const std::string& error() const override { return error_; }
  const std::vector<std::string>& columns() const override { return columns_; }

 private:
  FILE* f_;
  CsvParser parser_;
  bool have_header_ = false, eof_ = false;
  std::vector<std::string> columns_;
  std::deque<std::vector<std::string>> ready_;
  int64_t rows_ = 0;
  std::string error_;
};

class NdjsonRows final : public RowReader {
 public:
  explicit NdjsonRows(const std::string& path) : in_(path, std::ios::binary) {}
  bool next(FieldList& fields, int64_t& row) override {
    std::string line;
    while (std::getline(in_, line)) {
      if (trim(line).empty()) continue;
      fields.clear();
      simdjson::dom::element doc;
      simdjson::dom::object obj;
      if (parser_.parse(line).get(doc) != simdjson::SUCCESS ||
          doc.get_object().get(obj) != simdjson::SUCCESS) {
        error_ = "row " + std::to_string(rows_ + 1) + " is not a JSON object";
        return false;
      }
      for (auto [k, v] : obj)
        if (auto t = field_text(v)) fields.emplace_back(std::string(k), std::move(*t));
      row = ++rows_;
      return true;
    }
    return false;
  }
  const std::string& error() const override { return error_; }
  const std::vector<std::string>& columns() const override { return columns_; }

 private:
  std::ifstream in_;
  simdjson::dom::parser parser_;
  std::vector<std::string> columns_;
  int64_t rows_ = 0;
  std::string error_;
};

}  // namespace

std::string encode_upload(const Upload& u) {
  json::object o;
  o["id"] = u.id;
  o["filename"] = u.filename;
  o["format"] = u.format;
  o["size"] = u.size;
  o["rows"] = u.rows;
  json::array cs;
  for (const auto& c : u.columns) cs.push_back(json::string(c));
  o["columns"] = std::move(cs);
  o["created_ms"] = u.created_ms;
  o["actor"] = u.actor;
  return json::serialize(o);
}

std::optional<Upload> decode_upload(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  Upload u;
  u.id = param_string(o, "id");
  if (u.id.empty()) return std::nullopt;
  u.filename = param_string(o, "filename");
  u.format = param_string(o, "format");
  u.size = param_int(o, "size");
  u.rows = param_int(o, "rows");
  if (const auto* cs = o.if_contains("columns"); cs && cs->is_array())
    for (const auto& c : cs->as_array())
      if (c.is_string()) u.columns.emplace_back(c.as_string());
  u.created_ms = param_int(o, "created_ms");
  u.actor = param_string(o, "actor");
  return u;
}

storage::Status put_upload(storage::Store& store, const Upload& u) {
  return store.put_state(std::string(kUploadKey) + u.id, encode_upload(u));
}

storage::Read<Upload> get_upload(storage::Store& store, std::string_view id) {
  storage::Read<Upload> out;
  auto v = store.get_state(std::string(kUploadKey) + std::string(id));
  if (!v) return out;
  out.value = decode_upload(*v);
  if (!out.value) out.status = {storage::Status::Code::kCorrupt, "upload record does not decode"};
  return out;
}

storage::Status list_uploads(storage::Store& store, const std::function<bool(const Upload&)>& fn) {
  return store.scan_state(kUploadKey, true, [&](std::string_view, std::string_view v) {
    auto u = decode_upload(v);
    return !u || fn(*u);
  });
}

std::optional<Upload> find_upload_named(storage::Store& store, std::string_view filename) {
  std::optional<Upload> found;
  (void)list_uploads(store, [&](const Upload& u) {
    if (u.filename != filename) return true;
    found = u;
    return false;
  });
  return found;
}

std::string upload_path(const std::string& files_dir, const Upload& u) {
  return files_dir + "/" + u.id + (u.format == "csv" ? ".csv" : ".ndjson");
}

std::string clean_filename(std::string_view name) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos)
    name.remove_prefix(slash + 1);
  std::string out;
  for (char c : name)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '"') out += c;
  out = std::string(utf8_prefix(trim(out), 200));
  return out.empty() ? "upload" : out;
}

std::unique_ptr<RowReader> RowReader::open(const std::string& path, std::string_view format,
                                           std::string& error) {
  if (format == "csv") {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      error = "the uploaded file is gone";
      return nullptr;
    }
    return std::make_unique<CsvRows>(f);
  }
  auto r = std::make_unique<NdjsonRows>(path);
  if (!std::filesystem::exists(path)) {
    error = "the uploaded file is gone";
    return nullptr;
  }
  return r;
}

bool normalize_json_upload(const std::string& raw_path, const std::string& ndjson_path,
                           int64_t& rows, std::vector<std::string>& columns, std::string& error) {
  std::ifstream in(raw_path, std::ios::binary);
  std::ofstream out(ndjson_path, std::ios::binary | std::ios::trunc);
  if (!in || !out) {
    error = "cannot read the upload";
    return false;
  }
  std::set<std::string> seen;
  rows = 0;
  simdjson::dom::parser parser;
  auto take = [&](simdjson::dom::element e) -> bool {
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
      error = "row " + std::to_string(rows + 1) + " is not a JSON object";
      return false;
    }
    if (rows < 1000)
      for (auto [k, v] : obj)
        if (seen.size() < kMaxColumns && seen.insert(std::string(k)).second)
          columns.emplace_back(k);
    out << simdjson::minify(obj) << '\n';
    ++rows;
    return true;
  };
  char first = 0;
  while (in.get(first) && std::isspace(static_cast<unsigned char>(first))) {
  }
  if (first == '[') {
    std::error_code ec;
    if (std::filesystem::file_size(raw_path, ec) > kMaxJsonArrayBytes) {
      error = "a JSON array larger than 64 MiB: send one object per line";
      return false;
    }
    simdjson::dom::element doc;
    simdjson::dom::array arr;
    if (parser.load(raw_path).get(doc) != simdjson::SUCCESS ||
        doc.get_array().get(arr) != simdjson::SUCCESS) {
      error = "not valid JSON";
      return false;
    }
    for (auto e : arr)
      if (!take(e)) return false;
  } else if (first == '{') {
    in.seekg(0);
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.size() > kMaxLineBytes) {
        error = "line " + std::to_string(line_no) + " is longer than 1 MiB";
        return false;
      }
      if (trim(line).empty()) continue;
      simdjson::dom::element doc;
      if (parser.parse(line).get(doc) != simdjson::SUCCESS) {
        error = "line " + std::to_string(line_no) + " is not valid JSON";
        return false;
      }
      if (!take(doc)) return false;
    }
  } else {
    error = "not JSON: an array of objects or one object per line";
    return false;
  }
  out.flush();
  if (!out) {
    error = "could not write the upload (disk full?)";
    return false;
  }
  return true;
}

std::vector<std::string> missing_columns(const CampaignConfig& c,
                                         const std::vector<std::string>& columns) {
  std::vector<std::string> missing;
  for (const auto& f : c.fields)
    if (f.required && std::find(columns.begin(), columns.end(), f.name) == columns.end())
      missing.push_back(f.name);
  return missing;
}

namespace {

struct RowResult {
  std::string lead_id;
  std::string status;  // ACCEPTED, DUPLICATED, ERROR, REFUSED (nothing stored)
  int code = 0;
  std::string message;
};

// The batch as it runs on its own io_context: rows read in order, sent at the configured pace,
// at most `concurrency` at once; results written in row order.
class BatchRun {
 public:
  BatchRun(Engine& engine, JobContext& ctx, RowReader& reader, FILE* results,
           buyers::Transport& transport, asio::io_context& ioc, CampaignId campaign,
           SupplierId supplier)
      : engine_(engine),
        ctx_(ctx),
        reader_(reader),
        results_(results),
        transport_(transport),
        ioc_(ioc),
        campaign_(campaign),
        supplier_(supplier),
        wake_(ioc) {}

  asio::awaitable<void> drive(int64_t skip) {
    Job& job = ctx_.job();
    FieldList fields;
    int64_t row = 0;
    next_write_ = skip + 1;
    auto next_slot = std::chrono::steady_clock::now();
    for (;;) {
      if (ctx_.stopping()) break;
      if (!reader_.next(fields, row)) {
        if (!reader_.error().empty()) read_error_ = reader_.error();
        break;
      }
      if (row <= skip) continue;
      // Pace and concurrency from the configuration now (a change applies to a running batch).
      const JobsConfig& jc = engine_.snapshot()->config().jobs;
      while (in_flight_ >= int64_t(std::max<uint32_t>(1, jc.batch_concurrency)))
        co_await row_finished();
      const auto gap =
          std::chrono::microseconds(1'000'000 / std::max<uint32_t>(1, jc.batch_rows_per_s));
      next_slot = std::max(next_slot + gap, std::chrono::steady_clock::now() - gap);
      if (next_slot > std::chrono::steady_clock::now())
        co_await sleep(std::chrono::duration_cast<std::chrono::milliseconds>(
            next_slot - std::chrono::steady_clock::now()));
      IntakeRequest req;
      req.params.emplace_back("lp_campaign_id", std::to_string(campaign_));
      req.params.emplace_back("lp_supplier_id", std::to_string(supplier_));
      for (auto& [k, v] : fields)
        if (!is_system_param(k) && !trim(v).empty()) req.params.emplace_back(k, std::move(v));
      req.tags.push_back("batch:" + job.id);
      // Keyed by batch and row: a row sent again when the batch resumes (after a crash, rows
      // stored past the last checkpoint are) gets its first lead's answer, however long the
      // server was down — up to a week, as long as the batch's results stay downloadable.
      req.body_hash = sha256_hex(job.id + ":" + std::to_string(row));
      req.idempotency_key = "batch:" + job.id + ":" + std::to_string(row);
      req.idempotency_window_ms = kBatchRowKeyMs;
      ++in_flight_;
      asio::co_spawn(ioc_, send(row, std::move(req)), asio::detached);
    }
    while (in_flight_ > 0) co_await row_finished();
  }

  const std::string& read_error() const { return read_error_; }

 private:
  // Until a row in flight finishes (send() cancels the timer), or a second passes.
  asio::awaitable<void> row_finished() {
    wake_.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(ioc_);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
  }

  asio::awaitable<void> send(int64_t row, IntakeRequest req) {
    RowResult out;
    for (int attempt = 0;; ++attempt) {
      IntakeResult r = co_await engine_.resend(req, transport_);
      if (r.http_status == 429 && attempt < 20 && !ctx_.stopping()) {
        // The supplier's rate limit: the row waits its turn instead of failing.
        co_await sleep(std::chrono::milliseconds(std::max(100, r.retry_after_s * 1000)));
        continue;
      }
      out.lead_id = r.lead_id;
      out.code = r.code;
      out.message = r.message;
      out.status = r.lead_id.empty() ? "REFUSED" : std::string(to_string(r.status));
      break;
    }
    done_[row] = std::move(out);
    --in_flight_;
    wake_.cancel();
    write_ready();
  }

  // Writes the results that are next in row order and counts them.
  void write_ready() {
    Job& job = ctx_.job();
    for (auto it = done_.begin(); it != done_.end() && it->first == next_write_;
         it = done_.erase(it)) {
      const RowResult& r = it->second;
      std::string line;
      append_csv_row(line, std::vector<std::string>{std::to_string(it->first), r.lead_id, r.status,
                                                    std::to_string(r.code), r.message});
      std::fwrite(line.data(), 1, line.size(), results_);
      job.add_count(r.status == "ACCEPTED"     ? "accepted"
                    : r.status == "DUPLICATED" ? "duplicated"
                                               : "failed",
                    1);
      ++next_write_;
    }
    job.done = next_write_ - 1;
    auto now = std::chrono::steady_clock::now();
    if (now - last_checkpoint_ >= std::chrono::seconds(1)) {
      last_checkpoint_ = now;
      checkpoint();
    }
  }

 public:
  // The results file flushed, and the job's record saying how far it is (resume point).
  void checkpoint() {
    std::fflush(results_);
    ::fsync(::fileno(results_));  // on disk before the record that points past it
    ctx_.job().resume_bytes = std::ftell(results_);
    ctx_.checkpoint();
  }

 private:
  Engine& engine_;
  JobContext& ctx_;
  RowReader& reader_;
  FILE* results_;
  buyers::Transport& transport_;
  asio::io_context& ioc_;
  CampaignId campaign_;
  SupplierId supplier_;
  asio::steady_timer wake_;
  int64_t in_flight_ = 0;
  int64_t next_write_ = 1;
  std::map<int64_t, RowResult> done_;
  std::chrono::steady_clock::time_point last_checkpoint_{};
  std::string read_error_;
};

}  // namespace

std::vector<storage::OutboxPut> batch_events(const Config& cfg, UnixMs now, const Job& job) {
  if (job.kind != JobKind::kBatch || job.campaigns.empty()) return {};
  const EventType e =
      job.status == JobStatus::kCompleted ? EventType::kBatchCompleted : EventType::kBatchFailed;
  EventBatch batch(cfg, now);
  if (!batch.wanted(e, job.campaigns.front())) return {};
  boost::system::error_code ec;
  json::value p = json::parse(job.params, ec);
  const json::object empty;
  const json::object& o = !ec && p.is_object() ? p.as_object() : empty;
  std::string data;
  JsonWriter w(data);
  w.begin_object();
  w.kv("batch_id", job.id);
  w.kv("status", to_string(job.status));
  w.kv("filename", param_string(o, "filename"));
  w.kv("campaign_id", param_int(o, "campaign_id"));
  w.kv("supplier_id", param_int(o, "supplier_id"));
  w.kv("rows_total", job.total);
  w.kv("rows_accepted", job.count("accepted"));
  w.kv("rows_duplicated", job.count("duplicated"));
  w.kv("rows_failed", job.count("failed"));
  w.kv("processing_time_s", (job.finished_ms - job.started_ms) / 1000);
  if (!job.error.empty()) w.kv("error_reason", job.error);
  w.end_object();
  batch.add(e, job.campaigns.front(), {}, data);
  return std::move(batch.puts());
}

JobOutcome run_batch(Engine& engine, JobContext& ctx, const BatchOptions& options) {
  Job& job = ctx.job();
  boost::system::error_code ec;
  json::value v = json::parse(job.params, ec);
  if (ec || !v.is_object()) return {false, "the batch's parameters do not parse"};
  const json::object& o = v.as_object();
  const std::string upload_id = param_string(o, "upload_id");
  const CampaignId campaign = param_int(o, "campaign_id");
  const SupplierId supplier = param_int(o, "supplier_id");
  auto up = get_upload(engine.store(), upload_id);
  if (!up.found()) return {false, "the upload " + upload_id + " is gone"};
  std::string err;
  auto reader = RowReader::open(upload_path(options.files_dir, *up.value), up.value->format, err);
  if (!reader) return {false, err};
  // Results: a new file, or (resumed) the one begun, cut back to the last checkpoint.
  job.file = job.id + "-results.csv";
  const std::string results_path = options.files_dir + "/" + job.file;
  const bool resume = job.done > 0 && job.resume_bytes > 0 && std::filesystem::exists(results_path);
  if (resume) {
    std::filesystem::resize_file(results_path, uintmax_t(job.resume_bytes), ec);
  } else {
    job.done = 0;
    job.counts.clear();
  }
  FILE* results = std::fopen(results_path.c_str(), resume ? "ab" : "wb");
  if (results == nullptr) return {false, "cannot write the results file"};
  if (!resume) {
    std::string head;
    append_csv_row(head, std::vector<std::string>{"row", "lead_id", "status", "code", "message"});
    std::fwrite(head.data(), 1, head.size(), results);
  }
  job.total = up.value->rows;
  for (const char* k : {"accepted", "duplicated", "failed"}) job.add_count(k, 0);
  const int64_t skip = job.done;
  if (skip > 0) spdlog::info("batch {}: resuming after row {}", job.id, skip);

  asio::io_context ioc{1};
  std::unique_ptr<buyers::Transport> transport = options.transport(ioc.get_executor());
  BatchRun run(engine, ctx, *reader, results, *transport, ioc, campaign, supplier);
  asio::co_spawn(ioc, run.drive(skip), asio::detached);
  ioc.run();
  run.checkpoint();
  std::fclose(results);
  transport.reset();
  job.download_name = "batch-" + job.id + "-results.csv";
  job.content_type = "text/csv; charset=utf-8";
  if (!run.read_error().empty()) return {false, "reading the upload: " + run.read_error(), true};
  if (ctx.stopping()) return {false, "cancelled", true};
  job.total = job.done;
  return {};
}

}  // namespace pp::engine
