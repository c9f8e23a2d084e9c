#pragma once
// Batch intake (issue 19, A8): a file of leads uploaded once (CSV, or JSON: an array of objects
// or one object per line), then run as a job through the whole pipeline as one supplier's
// leads of one campaign — paced (jobs.batch_rows_per_s, at most jobs.batch_concurrency at once)
// so that live traffic keeps its latency. Each row's outcome goes to a results file in row order
// (row, lead id, status, code, message); the job counts accepted, duplicated and failed rows
// (accepted + duplicated + failed = rows). A restart resumes after the last recorded row: the
// rows in flight then are sent again, and the request guard (keyed by batch and row) answers
// those it stored with their first lead.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "buyers/transport.h"
#include "core/lead.h"
#include "engine/engine.h"
#include "engine/jobs.h"
#include "storage/store.h"

namespace boost::asio {
class any_io_executor;
}

namespace pp::engine {

// An uploaded file (state "upload/<id>"; the file is files/<id>.csv or .ndjson).
struct Upload {
  std::string id;        // "upl_" + a sortable id
  std::string filename;  // as the client named it (path and control characters removed)
  std::string format;    // "csv" or "ndjson" (JSON uploads are kept one object per line)
  int64_t size = 0;      // bytes received
  int64_t rows = 0;      // data rows (CSV: after the header)
  std::vector<std::string> columns;
  UnixMs created_ms = 0;
  std::string actor;
};
std::string encode_upload(const Upload& u);
std::optional<Upload> decode_upload(std::string_view json);
storage::Status put_upload(storage::Store& store, const Upload& u);
storage::Read<Upload> get_upload(storage::Store& store, std::string_view id);
// The newest upload called `filename` (what POST /admin/batches names), if any.
std::optional<Upload> find_upload_named(storage::Store& store, std::string_view filename);
// Uploads newest first until fn returns false.
storage::Status list_uploads(storage::Store& store, const std::function<bool(const Upload&)>& fn);
std::string upload_path(const std::string& files_dir, const Upload& u);
// A client's file name made safe to show and store: the last path part, no control characters,
// at most 200 bytes; "upload" when nothing is left.
std::string clean_filename(std::string_view name);

// An uploaded file's rows as name/value pairs (CSV: by the header's names; JSON: an object's
// members, numbers and booleans as their text, nested values as their JSON).
class RowReader {
 public:
  static std::unique_ptr<RowReader> open(const std::string& path, std::string_view format,
                                         std::string& error);
  virtual ~RowReader() = default;
  // The next data row (1-based `row`); false at the end or on an error (error() not empty).
  virtual bool next(FieldList& fields, int64_t& row) = 0;
  virtual const std::string& error() const = 0;
  virtual const std::vector<std::string>& columns() const = 0;
};

// Turns a whole JSON upload (an array of objects, or objects one per line) into one object per
// line in `ndjson_path`, counting rows and collecting column names (of the first 1,000 rows).
// False and `error` for a file that is not such JSON.
bool normalize_json_upload(const std::string& raw_path, const std::string& ndjson_path,
                           int64_t& rows, std::vector<std::string>& columns, std::string& error);

// The names the campaign requires (FieldSpec::required) that `columns` lacks.
std::vector<std::string> missing_columns(const CampaignConfig& c,
                                         const std::vector<std::string>& columns);

struct BatchOptions {
  // The batch's own outbound client (for buyers), on the job's executor.
  std::function<std::unique_ptr<buyers::Transport>(boost::asio::any_io_executor)> transport;
  std::string files_dir;
};

// The notifications of a finished batch: batch.completed or batch.failed (a cancelled batch:
// batch.failed with error "cancelled") to the webhooks that want them, for the job's final write.
std::vector<storage::OutboxPut> batch_events(const Config& cfg, UnixMs now, const Job& job);

// A batch job's work: params {"upload_id", "campaign_id", "supplier_id"}.
JobOutcome run_batch(Engine& engine, JobContext& ctx, const BatchOptions& options);

}  // namespace pp::engine
