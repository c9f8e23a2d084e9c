// Suppression-list entries (issue 17): /admin/lists/{id}/entries. A list's identity (name, kind)
// is a configuration entity (/admin/lists, api/admin_config.cpp); its entries are data:
//   GET    .../entries             how many, and what they cost in memory
//   PUT    .../entries             CSV streamed: replaces every entry   (?column=, a header name
//   POST   .../entries             CSV streamed: adds to them             or a 1-based number)
//   GET    .../entries/{value}     whether a value is on the list
//   PUT    .../entries/{value}     adds one;   DELETE .../entries/{value} removes one
// Lists are the account's: tokens limited to campaigns see none; read tokens only read.
#include <spdlog/spdlog.h>

#include <chrono>

#include "api/auth.h"
#include "api/router.h"
#include "checks/list_csv.h"
#include "checks/list_key.h"
#include "core/json_writer.h"
#include "core/text.h"

namespace pp::api {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kLists = "/admin/lists/";

// "/admin/lists/{id}/entries[/{value}]": the list id and the value (empty for the collection).
struct EntriesPath {
  int64_t list = 0;
  std::string value;
  bool one = false;
};

std::optional<EntriesPath> entries_path(std::string_view p) {
  if (p.rfind(kLists, 0) != 0) return std::nullopt;
  std::string_view rest = p.substr(kLists.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto id = parse_int(rest.substr(0, slash));
  rest.remove_prefix(slash + 1);
  constexpr std::string_view kEntries = "entries";
  if (!id || *id <= 0 || rest.rfind(kEntries, 0) != 0) return std::nullopt;
  rest.remove_prefix(kEntries.size());
  EntriesPath out;
  out.list = *id;
  if (rest.empty()) return out;
  if (rest.front() != '/' || rest.size() < 2) return std::nullopt;
  auto v = url_decode(rest.substr(1));
  if (!v) return std::nullopt;
  out.value = std::move(*v);
  out.one = true;
  return out;
}

// The refusals every list route shares; the list's configuration when the caller may go on.
const ListConfig* list_access(const Config& cfg, const ApiTokenConfig* token, int64_t list,
                              bool write, Response& refused) {
  if (token == nullptr) {
    refused = error_response(401, "Unauthenticated");
    return nullptr;
  }
  if (!token->campaigns.empty()) {
    refused = error_response(403, "Forbidden: this token is limited to some campaigns");
    return nullptr;
  }
  if (write && !token->may_change()) {
    refused = error_response(403, "Forbidden: this token cannot change the configuration");
    return nullptr;
  }
  const ListConfig* l = cfg.find_list(list);
  if (l == nullptr) refused = error_response(404, "List " + std::to_string(list) + " not found");
  return l;
}

// The upload's sink: CSV read as it arrives.
class ListUpload final : public BodySink {
 public:
  ListUpload(int64_t list, ListKind kind, bool replace, std::string column, size_t expected_bytes)
      : list_(list), replace_(replace), reader_(kind, std::move(column)) {
    // ~12 bytes a row for phones, more for emails: a reservation (at most 2^24 keys, 128 MB: an
    // announced length is not trusted further), not a limit.
    if (expected_bytes > 0) reader_.reserve(std::min<size_t>(expected_bytes / 11 + 16, 1u << 24));
  }
  bool write(std::string_view bytes) override { return reader_.feed(bytes); }

  int64_t list_;
  bool replace_;
  checks::ListCsvReader reader_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

void write_summary(JsonWriter& w, int64_t list, const engine::SuppressionLists::Info& info) {
  w.kv("list", list);
  w.kv("entries", int64_t(info.entries));
  w.kv("changes_since_upload", int64_t(info.changes));
  w.kv("memory_bytes", int64_t(info.memory_bytes));
}

}  // namespace

std::optional<Router::StreamStart> Router::open_stream(const Request& head) {
  if (is_upload(head)) return open_upload(head);
  if (head.method != "PUT" && head.method != "POST") return std::nullopt;
  auto path = entries_path(head.path);
  if (!path || path->one) return std::nullopt;
  StreamStart start;
  auto snap = engine_.snapshot();
  const ApiTokenConfig* token = authenticate(head, snap->config(), engine_.clock().now_ms());
  const ListConfig* list = list_access(snap->config(), token, path->list, true, start.refused);
  if (list == nullptr) return start;
  if (auto limited = token_rate_limited(*token, snap->config())) {
    start.refused = *limited;
    return start;
  }
  note_token_use(*token);
  size_t expected = 0;
  if (auto len = parse_int(head.header("Content-Length")); len && *len > 0) expected = size_t(*len);
  start.sink = std::make_unique<ListUpload>(list->id, list->kind, head.method == "PUT",
                                            head.query_param("column"), expected);
  return start;
}

asio::awaitable<Response> Router::finish_stream(const Request& head, std::unique_ptr<BodySink> sink,
                                                UploadEnd end) {
  if (is_upload(head))  // a lead file (api/batches.cpp): converted and counted off the I/O thread
    co_return co_await on_report_thread([&] { return finish_upload(std::move(sink), end); });
  auto* up = dynamic_cast<ListUpload*>(sink.get());
  if (up == nullptr) co_return error_response(500, "Internal error");
  if (end == UploadEnd::kTooLarge)
    co_return error_response(413, "Upload larger than server.upload_limit_bytes");
  if (end != UploadEnd::kComplete || !up->reader_.finish()) {
    const std::string& why = up->reader_.stop_reason();
    co_return error_response(400, "Upload refused: " + (why.empty() ? "incomplete" : why));
  }
  // Sorting and writing 10^8 entries takes seconds: off the I/O thread.
  co_return co_await on_report_thread([&]() -> Response {
    checks::ListCsvReader& r = up->reader_;
    const size_t accepted = r.keys().size();
    const size_t rows = r.rows(), invalid = r.invalid();
    const auto parsed = std::chrono::steady_clock::now();
    storage::Status st = up->replace_ ? engine_.lists().replace(up->list_, std::move(r.keys()))
                                      : engine_.lists().append(up->list_, std::move(r.keys()));
    if (!st.ok()) {
      spdlog::error("list {}: upload not stored: {}", up->list_, st.message);
      return storage_error();
    }
    const auto done = std::chrono::steady_clock::now();
    auto ms = [](auto d) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    spdlog::info("list {}: {} rows uploaded ({} invalid), {} in {} ms", up->list_, rows, invalid,
                 up->replace_ ? "replaced" : "added", ms(done - up->started_));
    std::string body;
    JsonWriter w(body);
    w.begin_object();
    w.kv("status", "ok");
    w.kv("mode", up->replace_ ? "replace" : "append");
    w.kv("rows", int64_t(rows));
    w.kv("accepted", int64_t(accepted));
    w.kv("invalid", int64_t(invalid));
    w.kv("header", r.had_header());
    w.key("errors").begin_array();
    for (const auto& [row, why] : r.errors()) {
      w.begin_object();
      w.kv("row", int64_t(row));
      w.kv("error", why);
      w.end_object();
    }
    w.end_array();
    w.kv("read_ms", int64_t(ms(parsed - up->started_)));
    w.kv("stored_ms", int64_t(ms(done - parsed)));
    write_summary(w, up->list_, engine_.lists().info(up->list_));
    w.end_object();
    return json_response(200, std::move(body));
  });
}

Response Router::admin_list_entries(const Request& req, const ApiTokenConfig& token) {
  auto path = entries_path(req.path);
  if (!path) return error_response(404, "Not found");
  const bool write = req.method != "GET";
  auto snap = engine_.snapshot();
  Response refused;
  const ListConfig* list = list_access(snap->config(), &token, path->list, write, refused);
  if (list == nullptr) return refused;
  if (!path->one) {
    if (req.method != "GET") return error_response(405, "Use GET, or PUT/POST with a CSV body");
    std::string body;
    JsonWriter w(body);
    w.begin_object();
    w.kv("name", list->name);
    w.kv("kind", to_string(list->kind));
    write_summary(w, list->id, engine_.lists().info(list->id));
    w.kv("available", engine_.lists().available());
    w.end_object();
    return json_response(200, std::move(body));
  }
  std::string why;
  auto key = checks::entry_key(list->kind, path->value, why);
  if (!key)
    return error_response(400, "Not a " + std::string(to_string(list->kind)) + " entry: " + why);
  if (req.method == "GET") {
    std::string body;
    JsonWriter w(body);
    w.begin_object();
    w.kv("list", list->id);
    w.kv("listed", engine_.lists().contains(list->id, *key));
    w.end_object();
    return json_response(200, std::move(body));
  }
  if (req.method != "PUT" && req.method != "DELETE")
    return error_response(405, "Use GET, PUT or DELETE");
  storage::Status st = engine_.lists().change(list->id, *key, req.method == "PUT");
  if (!st.ok()) return storage_error();
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.kv("status", "ok");
  w.kv("listed", req.method == "PUT");
  write_summary(w, list->id, engine_.lists().info(list->id));
  w.end_object();
  return json_response(200, std::move(body));
}

}  // namespace pp::api
