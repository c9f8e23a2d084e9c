// Batch intake (issue 19, A8; seed 004's shapes): uploads and batches.
//   POST   /admin/uploads             a CSV or JSON file (multipart/form-data, or the raw body with
//                                     ?filename=), streamed to disk -> 201 {filename, upload_id,
//                                     size, rows_detected, format, columns, created_at}
//   GET    /admin/uploads[/{id}]      DELETE /admin/uploads/{id}
//   POST   /admin/batches             {"filename" or "upload_id", "campaign_id", "supplier_id"}
//                                     -> 202 {batch_id, status: "queued", rows_total, created_at}
//                                     (422 with missing_columns when the file lacks the
//                                     campaign's required fields)
//   GET    /admin/batches?limit&offset&sort&order  -> {items, total, limit, offset, has_more}
//   GET    /admin/batches/{id}        GET /admin/batches/{id}/results (per-row CSV)
//   DELETE /admin/batches/{id}        cancels it (rows already sent stay sent)
// Uploads and batches change data: editor and admin tokens; a token limited to some campaigns
// runs batches into those only and sees only its own uploads.
#include "engine/batches.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>

#include "api/auth.h"
#include "api/exports.h"
#include "api/multipart.h"
#include "api/router.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "engine/returns.h"

namespace pp::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// An upload's body on its way to disk.
class FileUpload final : public BodySink {
 public:
  FileUpload(engine::Upload u, std::string raw_path, std::optional<std::string> boundary,
             std::string content_type)
      : upload_(std::move(u)), raw_path_(std::move(raw_path)), type_(std::move(content_type)) {
    f_ = std::fopen(raw_path_.c_str(), "wb");
    if (boundary)
      mp_ =
          std::make_unique<MultipartFile>(*boundary, [this](std::string_view b) { return put(b); });
  }
  ~FileUpload() override {
    if (f_ != nullptr) std::fclose(f_);
    std::error_code ec;
    if (!kept_) std::filesystem::remove(raw_path_, ec);
  }
  bool write(std::string_view bytes) override {
    if (f_ == nullptr) return false;
    return mp_ ? mp_->feed(bytes) : put(bytes);
  }
  bool put(std::string_view b) {
    if (first_ == 0)
      for (char c : b)
        if (!std::isspace(static_cast<unsigned char>(c))) {
          first_ = c;
          break;
        }
    upload_.size += int64_t(b.size());
    return std::fwrite(b.data(), 1, b.size(), f_) == b.size();
  }
  // After the body: the file closed; false (and why) when it is not whole.
  bool close(std::string& why) {
    if (f_ == nullptr) {
      why = "cannot store the upload";
      return false;
    }
    bool ok = std::fclose(f_) == 0;
    f_ = nullptr;
    if (mp_ && !mp_->finish()) {
      why = mp_->error().empty() ? "malformed multipart body" : mp_->error();
      return false;
    }
    if (!ok) why = "could not write the upload (disk full?)";
    return ok;
  }
  // csv or json: by the file's name, then its declared type, then its first character.
  std::string format() const {
    std::string name = to_lower(upload_.filename);
    if (name.ends_with(".csv")) return "csv";
    if (name.ends_with(".json") || name.ends_with(".ndjson") || name.ends_with(".jsonl"))
      return "json";
    std::string type = to_lower(mp_ ? mp_->part_type() : type_);
    if (type.find("json") != std::string::npos) return "json";
    if (type.find("csv") != std::string::npos) return "csv";
    return first_ == '[' || first_ == '{' ? "json" : "csv";
  }

  engine::Upload upload_;
  std::string raw_path_;
  std::string type_;
  std::unique_ptr<MultipartFile> mp_;
  FILE* f_ = nullptr;
  char first_ = 0;
  bool kept_ = false;
};

void write_upload(JsonWriter& w, const engine::Upload& u) {
  w.begin_object();
  w.kv("filename", u.filename);
  w.kv("upload_id", u.id);
  w.kv("size", u.size);
  w.kv("rows_detected", u.rows);
  w.kv("format", u.format == "csv" ? "csv" : "json");
  w.key("columns").begin_array();
  for (const auto& c : u.columns) w.value(c);
  w.end_array();
  w.kv("created_at", format_iso_utc(u.created_ms));
  w.kv("actor", u.actor);
  w.end_object();
}

bool sees_upload(const ApiTokenConfig& token, const engine::Upload& u) {
  return token.campaigns.empty() || u.actor == token.name;
}

std::string param_str(const engine::Job& j, std::string_view key) {
  boost::system::error_code ec;
  json::value v = json::parse(j.params, ec);
  if (ec || !v.is_object()) return {};
  const json::value* x = v.as_object().if_contains(key);
  if (x == nullptr) return {};
  return x->is_string()  ? std::string(x->as_string())
         : x->is_int64() ? std::to_string(x->as_int64())
                         : std::string();
}

// The upload a request names: its id, else the newest upload of that file name (404 when the
// token does not see it).
std::optional<engine::Upload> named_upload(storage::Store& store, const std::string& id,
                                           const std::string& filename, const ApiTokenConfig& token,
                                           Response& refused) {
  std::optional<engine::Upload> u;
  if (!id.empty()) {
    auto r = engine::get_upload(store, id);
    if (r.failed()) {
      refused = storage_error();
      return std::nullopt;
    }
    u = std::move(r.value);
  } else if (!filename.empty()) {
    u = engine::find_upload_named(store, filename);
  }
  if (!u || !sees_upload(token, *u)) {
    refused = error_response(404, "Upload not found");
    return std::nullopt;
  }
  return u;
}

// A job that reads an upload for one campaign; `params` gain the upload's and campaign's ids.
engine::Job job_on_upload(engine::JobKind kind, std::string type, const ApiTokenConfig& token,
                          CampaignId campaign, const engine::Upload& u, json::object params) {
  engine::Job job;
  job.kind = kind;
  job.type = std::move(type);
  job.actor = token.name;
  job.campaigns = {campaign};
  job.total = u.rows;
  params["upload_id"] = u.id;
  params["filename"] = u.filename;
  params["campaign_id"] = campaign;
  job.params = json::serialize(params);
  return job;
}

// A batch as seed 004 shows one, with our counts.
void write_batch(JsonWriter& w, const engine::Job& j) {
  w.begin_object();
  w.kv("batch_id", j.id);
  w.kv("status", to_string(j.status));
  w.kv("filename", param_str(j, "filename"));
  w.kv("upload_id", param_str(j, "upload_id"));
  w.kv("campaign_id", parse_int(param_str(j, "campaign_id")).value_or(0));
  w.kv("supplier_id", parse_int(param_str(j, "supplier_id")).value_or(0));
  w.kv("rows_total", j.total);
  w.kv("rows_done", j.done);
  w.kv("rows_accepted", j.count("accepted"));
  w.kv("rows_duplicated", j.count("duplicated"));
  w.kv("rows_failed", j.count("failed"));
  write_job_times(w, j);
  w.key("results_url");
  if (!j.file.empty() &&
      (j.status == engine::JobStatus::kCompleted || j.status == engine::JobStatus::kFailed ||
       j.status == engine::JobStatus::kCancelled))
    w.value("/admin/batches/" + j.id + "/results");
  else
    w.null();
  write_text_or_null(w, "error", j.error);
  w.kv("actor", j.actor);
  w.end_object();
}

Response batch_response(int status, const engine::Job& j) {
  std::string out;
  JsonWriter w(out);
  write_batch(w, j);
  return json_response(status, std::move(out));
}

}  // namespace

bool Router::is_upload(const Request& head) {
  return head.method == "POST" && head.path == "/admin/uploads";
}

std::optional<Router::StreamStart> Router::open_upload(const Request& head) {
  StreamStart start;
  auto snap = engine_.snapshot();
  const ApiTokenConfig* token = authenticate(head, snap->config(), engine_.clock().now_ms());
  if (token == nullptr) {
    start.refused = error_response(401, "Unauthenticated");
    return start;
  }
  if (!token->may_change()) {
    start.refused = error_response(403, "Forbidden: this token cannot upload");
    return start;
  }
  if (jobs_ == nullptr) {
    start.refused = error_response(404, "Not found");
    return start;
  }
  if (auto limited = token_rate_limited(*token, snap->config())) {
    start.refused = *limited;
    return start;
  }
  note_token_use(*token);
  engine::Upload u;
  u.created_ms = engine_.clock().now_ms();
  u.id = "upl_" + thread_id_generator().lead_id(u.created_ms);
  u.actor = token->name;
  const std::string type(head.header("Content-Type"));
  auto boundary = multipart_boundary(type);
  if (!boundary && type.find("multipart") != std::string::npos) {
    start.refused = error_response(400, "multipart/form-data needs a boundary");
    return start;
  }
  u.filename = engine::clean_filename(head.query_param("filename"));
  auto sink =
      std::make_unique<FileUpload>(u, jobs_->files_dir() + "/" + u.id + ".upload", boundary, type);
  if (sink->f_ == nullptr) {
    start.refused = error_response(503, "Cannot store uploads now");
    return start;
  }
  start.sink = std::move(sink);
  return start;
}

Response Router::finish_upload(std::unique_ptr<BodySink> body, UploadEnd end) {
  auto* up = dynamic_cast<FileUpload*>(body.get());
  if (up == nullptr) return error_response(500, "Internal error");
  if (end == UploadEnd::kTooLarge)
    return error_response(413, "Upload larger than server.upload_limit_bytes");
  std::string why;
  if (end != UploadEnd::kComplete || !up->close(why))
    return error_response(400, "Upload refused: " + (why.empty() ? "incomplete" : why));
  engine::Upload& u = up->upload_;
  if (up->mp_ && !up->mp_->filename().empty())
    u.filename = engine::clean_filename(up->mp_->filename());
  const std::string format = up->format();
  u.format = format == "csv" ? "csv" : "ndjson";
  const std::string path = engine::upload_path(jobs_->files_dir(), u);
  std::string err;
  if (format == "json") {
    if (!engine::normalize_json_upload(up->raw_path_, path, u.rows, u.columns, err)) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      return error_response(422, "Not a file of leads: " + err);
    }
  } else {
    std::error_code ec;
    std::filesystem::rename(up->raw_path_, path, ec);
    if (ec) return error_response(503, "Cannot store the upload");
    up->kept_ = true;
    auto reader = engine::RowReader::open(path, u.format, err);
    FieldList fields;
    int64_t row = 0;
    while (reader && reader->next(fields, row)) u.rows = row;
    if (!reader || !reader->error().empty()) {
      std::filesystem::remove(path, ec);
      return error_response(422, "Not a CSV file of leads: " + (reader ? reader->error() : err));
    }
    u.columns = reader->columns();
  }
  if (u.columns.empty() || u.rows == 0) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return error_response(422, "The file holds no rows of leads (a header row and data rows)");
  }
  if (!engine::put_upload(engine_.store(), u).ok()) return storage_error();
  spdlog::info("upload {}: {} rows, {} bytes ({})", u.id, u.rows, u.size, u.format);
  std::string out;
  JsonWriter w(out);
  write_upload(w, u);
  return json_response(201, std::move(out));
}

Response Router::admin_uploads(const Request& req, const ApiTokenConfig& token) {
  if (jobs_ == nullptr) return error_response(404, "Not found");
  storage::Store& store = engine_.store();
  if (req.path == "/admin/uploads") {
    if (req.method == "POST") return error_response(422, "The file is empty");  // (not streamed)
    if (req.method != "GET") return error_response(405, "Use GET, or POST a file");
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    size_t n = 0;
    storage::Status st = engine::list_uploads(store, [&](const engine::Upload& u) {
      if (sees_upload(token, u)) write_upload(w, u);
      return ++n < 1000;
    });
    if (!st.ok()) return storage_error();
    w.end_array().end_object();
    return json_response(200, std::move(out));
  }
  std::string_view id =
      std::string_view(req.path).substr(std::string_view("/admin/uploads/").size());
  auto u = engine::get_upload(store, id);
  if (u.failed()) return storage_error();
  if (!u.found() || !sees_upload(token, *u.value)) return error_response(404, "Upload not found");
  if (req.method == "GET") {
    std::string out;
    JsonWriter w(out);
    write_upload(w, *u.value);
    return json_response(200, std::move(out));
  }
  if (req.method != "DELETE") return error_response(405, "Use GET or DELETE");
  if (!token.may_change())
    return error_response(403, "Forbidden: this token cannot delete uploads");
  std::error_code ec;
  std::filesystem::remove(engine::upload_path(jobs_->files_dir(), *u.value), ec);
  if (!store.delete_state("upload/" + u.value->id).ok()) return storage_error();
  return json_response(200, R"({"status":"success"})");
}

Response Router::admin_batches(const Request& req, const ApiTokenConfig& token) {
  if (jobs_ == nullptr) return error_response(404, "Not found");
  if (req.path == "/admin/batches" && req.method == "POST") {
    if (!token.may_change()) return error_response(403, "Forbidden: this token cannot run batches");
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec || !body.is_object()) return error_response(400, "The body must be a JSON object");
    const json::object& o = body.as_object();
    auto str = [&](std::string_view k) { return engine::param_string(o, k); };
    auto num = [&](std::string_view k) { return engine::param_id(o, k); };
    auto cid = num("campaign_id");
    auto sid = num("supplier_id");
    const std::string upload_id = str("upload_id"), filename = str("filename");
    if (!cid || !sid || (upload_id.empty() && filename.empty()))
      return error_response(400,
                            "filename (or upload_id), campaign_id and supplier_id are required");
    auto snap = engine_.snapshot();
    const CampaignConfig* c = snap->config().find_campaign(*cid);
    if (c == nullptr || c->archived || !token.sees(c->id))
      return error_response(404, "Campaign not found");
    const SupplierConfig* s = c->find_supplier(*sid);
    if (s == nullptr || s->archived)
      return error_response(404, "Supplier not found in the campaign");
    Response refused;
    auto u = named_upload(engine_.store(), upload_id, filename, token, refused);
    if (!u) return refused;
    auto missing = engine::missing_columns(*c, u->columns);
    if (!missing.empty()) {
      std::string out, names;
      for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
      JsonWriter w(out);
      w.begin_object();
      w.kv("status", "error");
      w.kv("message", "The file lacks the campaign's required columns: " + names);
      w.key("missing_columns").begin_array();
      for (const auto& m : missing) w.value(m);
      w.end_array();
      w.end_object();
      return json_response(422, std::move(out));
    }
    json::object params;
    params["supplier_id"] = s->id;
    engine::Job job = job_on_upload(engine::JobKind::kBatch, "leads", token, c->id, *u, params);
    auto made = jobs_->submit(std::move(job));
    if (!made) return error_response(503, "Could not store the batch; retry");
    Response r = batch_response(202, *made);
    r.headers.emplace_back("Location", "/admin/batches/" + made->id);
    return r;
  }
  if (req.path == "/admin/batches") {
    if (req.method != "GET") return error_response(405, "Use GET or POST");
    // seed 004's paging: limit (1-100, default 20), offset, sort (created_at, status,
    // rows_total), order (asc, desc).
    int64_t limit = 20, offset = 0;
    if (auto l = req.query_param("limit"); !l.empty()) {
      auto n = parse_int(l);
      if (!n || *n < 1 || *n > 100) return error_response(400, "limit must be 1 to 100");
      limit = *n;
    }
    if (auto l = req.query_param("offset"); !l.empty()) {
      auto n = parse_int(l);
      if (!n || *n < 0) return error_response(400, "offset must be 0 or more");
      offset = *n;
    }
    std::string sort = req.query_param("sort"), order = req.query_param("order");
    if (sort.empty()) sort = "created_at";
    if (order.empty()) order = "desc";
    if (sort != "created_at" && sort != "status" && sort != "rows_total")
      return error_response(400, "sort must be created_at, status or rows_total");
    if (order != "asc" && order != "desc") return error_response(400, "order must be asc or desc");
    std::vector<engine::Job> all;
    storage::Status st = jobs_->list(engine::JobKind::kBatch, [&](const engine::Job& j) {
      if (token_sees_job(token, j)) all.push_back(j);
      return true;
    });
    if (!st.ok()) return storage_error();
    // Newest first already; a stable sort keeps that order among equals.
    auto key_less = [&](const engine::Job& a, const engine::Job& b) {
      if (sort == "status") return to_string(a.status) < to_string(b.status);
      if (sort == "rows_total") return a.total < b.total;
      return a.id < b.id;
    };
    std::stable_sort(all.begin(), all.end(), [&](const engine::Job& a, const engine::Job& b) {
      return order == "asc" ? key_less(a, b) : key_less(b, a);
    });
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    for (int64_t i = offset; i < int64_t(all.size()) && i < offset + limit; ++i)
      write_batch(w, all[size_t(i)]);
    w.end_array();
    w.kv("total", int64_t(all.size()));
    w.kv("limit", limit);
    w.kv("offset", offset);
    w.kv("has_more", offset + limit < int64_t(all.size()));
    w.end_object();
    return json_response(200, std::move(out));
  }
  // /admin/batches/{id}[/results]
  std::string_view rest =
      std::string_view(req.path).substr(std::string_view("/admin/batches/").size());
  const bool results = rest.ends_with("/results");
  if (results) rest.remove_suffix(8);
  if (rest.empty() || rest.find('/') != std::string_view::npos)
    return error_response(404, "Not found");
  Response refused;
  auto j = find_job(*jobs_, engine::JobKind::kBatch, rest, token, refused);
  if (!j) return refused;
  if (results) {
    if (req.method != "GET") return error_response(405, "Use GET");
    return job_file(*jobs_, *j);
  }
  if (req.method == "GET") return batch_response(200, *j);
  if (req.method != "DELETE") return error_response(405, "Use GET or DELETE");
  if (!token.may_change())
    return error_response(403, "Forbidden: this token cannot cancel batches");
  if (!jobs_->cancel(j->id))
    return error_response(409, "The batch has ended: " + std::string(to_string(j->status)));
  auto now = jobs_->get(j->id);
  return batch_response(200, now.found() ? *now.value : *j);
}

// Bulk returns (issue 19, G7):
//   POST /admin/returns {"filename" or "upload_id", "campaign_id", "buyer_id" (optional),
//                        "start_date", "end_date" (the campaign's zone, inclusive), "column",
//                        "match_by": "lp_lead_id" | "email" | "phone",
//                        "on_multiple": "all" | "newest" | "skip", "reason", "reason_column"}
//   -> 202 the job; GET /admin/returns[/{id}[/file]]; DELETE /admin/returns/{id}.
Response Router::admin_returns(const Request& req, const ApiTokenConfig& token) {
  if (jobs_ == nullptr) return error_response(404, "Not found");
  if (req.path != "/admin/returns")
    return job_route(*jobs_, engine::JobKind::kReturns, req, token, "returns");
  if (req.method == "GET")
    return list_jobs(*jobs_, engine::JobKind::kReturns, req, token, "returns");
  if (req.method != "POST") return error_response(405, "Use GET or POST");
  if (!token.may_change()) return error_response(403, "Forbidden: this token cannot return leads");
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object()) return error_response(400, "The body must be a JSON object");
  const json::object& o = body.as_object();
  auto str = [&](std::string_view k) { return std::string(trim(engine::param_string(o, k))); };
  auto num = [&](std::string_view k) { return engine::param_id(o, k); };
  std::vector<std::pair<std::string, std::string>> problems;
  auto cid = num("campaign_id");
  if (!cid) problems.emplace_back("campaign_id", "campaign_id is required");
  const std::string column = str("column");
  if (column.empty()) problems.emplace_back("column", "column is required (a header of the file)");
  engine::ReturnMatch by;
  const std::string match_by = str("match_by").empty() ? "lp_lead_id" : str("match_by");
  if (!engine::parse_return_match(match_by, by))
    problems.emplace_back("match_by", "match_by must be lp_lead_id, email or phone");
  engine::OnMultiple multiple;
  const std::string on_multiple = str("on_multiple").empty() ? "all" : str("on_multiple");
  if (!engine::parse_on_multiple(on_multiple, multiple))
    problems.emplace_back("on_multiple", "on_multiple must be all, newest or skip");
  if (str("reason").size() > 255) problems.emplace_back("reason", "reason is over 255 characters");
  if (!problems.empty()) return error_response(400, problems.front().second, problems);
  auto snap = engine_.snapshot();
  const CampaignConfig* c = snap->config().find_campaign(*cid);
  if (c == nullptr || !token.sees(c->id)) return error_response(404, "Campaign not found");
  const int64_t buyer = num("buyer_id").value_or(0);
  if (buyer != 0 && c->find_buyer(buyer) == nullptr)
    return error_response(404, "Buyer not found in the campaign");
  if (by != engine::ReturnMatch::kLeadId && engine::match_field(*c, by) == nullptr)
    return error_response(400, "The campaign has no " + match_by + " field");
  // The range, in the campaign's zone: whole days, end inclusive.
  UnixMs from = 0, to = 0;
  bool date_only = false;
  if (!parse_local_datetime(c->tz, str("start_date"), from, date_only) ||
      !parse_local_datetime(c->tz, str("end_date"), to, date_only))
    return error_response(400, "start_date and end_date are required: YYYY-MM-DD");
  to = date_only ? period_end(c->tz, CalendarPeriod::kDay, to) : to + 1000;
  if (to <= from) return error_response(400, "end_date must not be before start_date");
  if (to - from > 400LL * 86400000) return error_response(400, "the range is over 400 days");
  Response refused;
  auto u = named_upload(engine_.store(), str("upload_id"), str("filename"), token, refused);
  if (!u) return refused;
  for (const std::string& col : {column, str("reason_column")})
    if (!col.empty() && std::find(u->columns.begin(), u->columns.end(), col) == u->columns.end())
      return error_response(422, "The file has no column \"" + col + "\"");
  json::object params;
  params["buyer_id"] = buyer;
  params["from_ms"] = from;
  params["to_ms"] = to;
  params["column"] = column;
  params["match_by"] = match_by;
  params["on_multiple"] = on_multiple;
  params["reason"] = str("reason");
  params["reason_column"] = str("reason_column");
  engine::Job job = job_on_upload(engine::JobKind::kReturns, match_by, token, c->id, *u, params);
  auto made = jobs_->submit(std::move(job));
  if (!made) return error_response(503, "Could not store the job; retry");
  std::string out;
  JsonWriter w(out);
  write_job(w, *made, "returns");
  Response r = json_response(202, std::move(out));
  r.headers.emplace_back("Location", "/admin/returns/" + made->id);
  return r;
}

}  // namespace pp::api
