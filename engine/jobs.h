#pragma once
// Long jobs (issue 19): exports, batch intake and bulk returns. A job is a record in storage
// (state "job/<id>", JSON) with its status, progress, counts and result file; workers run queued
// jobs one at a time each; a job's result file lives in the data directory's `files/` until its
// download window ends (then the file goes and the record says "expired"; the record itself goes
// 30 days later). After a restart, jobs that were queued or running are queued again: each kind
// says how it resumes (exports start over; a batch goes on after its last recorded row).
#include <atomic>
#include <boost/json/object.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "core/time.h"
#include "storage/store.h"

namespace pp::engine {

// A member of a JSON object (a job's parameters, a stored record) by name: "" or 0 when absent or
// of another type; param_id also reads a number written as a string, and is nullopt when there is
// none.
std::string param_string(const boost::json::object& o, std::string_view key);
int64_t param_int(const boost::json::object& o, std::string_view key);
std::optional<int64_t> param_id(const boost::json::object& o, std::string_view key);

enum class JobKind : uint8_t { kExport, kBatch, kReturns };
std::string_view to_string(JobKind k);  // "export", "batch", "returns"
enum class JobStatus : uint8_t { kQueued, kRunning, kCompleted, kFailed, kCancelled, kExpired };
std::string_view to_string(JobStatus s);  // "queued", "running", ...
bool parse_job_status(std::string_view s, JobStatus& out);
inline bool is_finished(JobStatus s) { return s != JobStatus::kQueued && s != JobStatus::kRunning; }

struct Job {
  std::string id;  // "exp_" / "batch_" / "ret_" + a 20-character sortable id
  JobKind kind = JobKind::kExport;
  JobStatus status = JobStatus::kQueued;
  std::string type;                // what it does within its kind ("leads", "stats", ...)
  std::string actor;               // the token (or user) that asked for it
  std::vector<int64_t> campaigns;  // the campaigns it reads or changes (scope checks)
  std::string params;              // the request, JSON (re-read when the job runs)
  UnixMs created_ms = 0, started_ms = 0, finished_ms = 0, expires_ms = 0;
  int64_t done = 0, total = 0;  // progress: rows or leads (total 0: not known yet)
  std::vector<std::pair<std::string, int64_t>> counts;  // accepted, duplicated, failed, ...
  std::string file;           // the result's file name under files/ (empty: none)
  std::string download_name;  // the name a browser saves it as
  std::string content_type;
  int64_t file_bytes = 0;
  std::string error;
  // Where a resumed job goes on (a batch: bytes of its results file behind `done`).
  int64_t resume_bytes = 0;

  int64_t count(std::string_view name) const;
  void add_count(std::string_view name, int64_t n);
};

std::string encode_job(const Job& j);
std::optional<Job> decode_job(std::string_view json);

// What a job's work sees.
class JobContext {
 public:
  JobContext(Job& job, const std::string& files_dir, std::atomic<bool>& cancelled,
             std::function<void(const Job&)> save)
      : job_(job), files_dir_(files_dir), cancelled_(cancelled), save_(std::move(save)) {}
  Job& job() { return job_; }
  // Whether the job was cancelled or the runner is stopping (the work returns soon after).
  bool stopping() const { return cancelled_.load(std::memory_order_relaxed); }
  // Records progress; written to storage at most once a second (and at the end).
  void progress(int64_t done, int64_t total);
  // Writes the job's record now (counts and progress a resume starts from).
  void checkpoint() { save_(job_); }
  // A path for a file of this job under files/ (`suffix` such as ".csv", "-master.csv").
  std::string path(std::string_view suffix) const;

 private:
  Job& job_;
  const std::string& files_dir_;
  std::atomic<bool>& cancelled_;
  std::function<void(const Job&)> save_;
  std::chrono::steady_clock::time_point last_save_{};
};

// The outcome of a job's work: done (its result file set on the job), or failed with a reason.
struct JobOutcome {
  bool ok = true;
  std::string error;
  bool keep_file = false;  // failed or cancelled, but its file holds what was done (a batch)
};

class JobRunner {
 public:
  struct Options {
    std::string files_dir;  // created when missing
    size_t threads = 2;
    int64_t download_window_ms = 7LL * 86400000;
    int64_t history_ms = 30LL * 86400000;  // records kept this long after the window
    // The notifications a finished job causes (batch.completed, ...): written with its final
    // record in one synced write (invariant 9).
    std::function<std::vector<storage::OutboxPut>(const Job&)> on_finish;
  };
  using Work = std::function<JobOutcome(JobContext&)>;

  JobRunner(storage::Store& store, const Clock& clock, Options options);
  ~JobRunner();

  void set_work(JobKind kind, Work work) { work_[size_t(kind)] = std::move(work); }
  // Queues the jobs a previous process left queued or running, then starts the workers.
  void start();
  void stop();

  // A new job (status queued; id, times set here), stored synced, then queued. Nullopt when it
  // cannot be stored.
  std::optional<Job> submit(Job job);
  storage::Read<Job> get(std::string_view id);
  // Jobs of `kind` newest first, until fn returns false.
  storage::Status list(JobKind kind, const std::function<bool(const Job&)>& fn);
  // Cancels a queued or running job; false when it had finished.
  bool cancel(std::string_view id);
  // Removes expired result files (runs every minute; tests call it).
  void sweep();
  const std::string& files_dir() const { return opts_.files_dir; }
  std::string file_path(const Job& j) const { return opts_.files_dir + "/" + j.file; }

  static std::string id_prefix(JobKind k);

 private:
  void worker();
  void save(const Job& j, const std::vector<storage::OutboxPut>& outbox = {});
  void run(Job job);

  storage::Store& store_;
  const Clock& clock_;
  Options opts_;
  Work work_[3];
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::map<std::string, std::unique_ptr<std::atomic<bool>>> running_;  // id -> cancel flag
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::atomic<bool> all_cancelled_{false};
};

}  // namespace pp::engine
