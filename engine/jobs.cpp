#include "engine/jobs.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "core/text.h"

namespace pp::engine {

namespace json = boost::json;

namespace {

constexpr std::string_view kJobKey = "job/";
constexpr std::string_view kKinds[] = {"export", "batch", "returns"};

std::string job_key(std::string_view id) { return std::string(kJobKey) + std::string(id); }

}  // namespace

std::string param_string(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t param_int(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : 0;
}

std::optional<int64_t> param_id(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_string()) return parse_int(v->as_string());
  return std::nullopt;
}

std::string_view to_string(JobKind k) { return kKinds[size_t(k)]; }

std::string_view to_string(JobStatus s) {
  switch (s) {
    case JobStatus::kQueued:
      return "queued";
    case JobStatus::kRunning:
      return "running";
    case JobStatus::kCompleted:
      return "completed";
    case JobStatus::kFailed:
      return "failed";
    case JobStatus::kCancelled:
      return "cancelled";
    case JobStatus::kExpired:
      return "expired";
  }
  return "failed";
}

bool parse_job_status(std::string_view s, JobStatus& out) {
  for (auto st : {JobStatus::kQueued, JobStatus::kRunning, JobStatus::kCompleted,
                  JobStatus::kFailed, JobStatus::kCancelled, JobStatus::kExpired})
    if (to_string(st) == s) {
      out = st;
      return true;
    }
  return false;
}

int64_t Job::count(std::string_view name) const {
  for (const auto& [k, v] : counts)
    if (k == name) return v;
  return 0;
}

void Job::add_count(std::string_view name, int64_t n) {
  for (auto& [k, v] : counts)
    if (k == name) {
      v += n;
      return;
    }
  counts.emplace_back(std::string(name), n);
}

std::string encode_job(const Job& j) {
  json::object o;
  o["id"] = j.id;
  o["kind"] = to_string(j.kind);
  o["status"] = to_string(j.status);
  o["type"] = j.type;
  o["actor"] = j.actor;
  json::array cs;
  for (int64_t c : j.campaigns) cs.push_back(c);
  o["campaigns"] = std::move(cs);
  o["params"] = j.params;
  o["created_ms"] = j.created_ms;
  o["started_ms"] = j.started_ms;
  o["finished_ms"] = j.finished_ms;
  o["expires_ms"] = j.expires_ms;
  o["done"] = j.done;
  o["total"] = j.total;
  json::array counts;
  for (const auto& [k, v] : j.counts) counts.push_back(json::array{json::string(k), v});
  o["counts"] = std::move(counts);
  o["file"] = j.file;
  o["download_name"] = j.download_name;
  o["content_type"] = j.content_type;
  o["file_bytes"] = j.file_bytes;
  o["error"] = j.error;
  o["resume_bytes"] = j.resume_bytes;
  return json::serialize(o);
}

std::optional<Job> decode_job(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  Job j;
  j.id = param_string(o, "id");
  const std::string kind = param_string(o, "kind");
  bool known = false;
  for (size_t i = 0; i < 3; ++i)
    if (kKinds[i] == kind) {
      j.kind = JobKind(i);
      known = true;
    }
  if (!known || j.id.empty() || !parse_job_status(param_string(o, "status"), j.status))
    return std::nullopt;
  j.type = param_string(o, "type");
  j.actor = param_string(o, "actor");
  if (const auto* cs = o.if_contains("campaigns"); cs && cs->is_array())
    for (const auto& c : cs->as_array())
      if (c.is_int64()) j.campaigns.push_back(c.as_int64());
  j.params = param_string(o, "params");
  j.created_ms = param_int(o, "created_ms");
  j.started_ms = param_int(o, "started_ms");
  j.finished_ms = param_int(o, "finished_ms");
  j.expires_ms = param_int(o, "expires_ms");
  j.done = param_int(o, "done");
  j.total = param_int(o, "total");
  if (const auto* cs = o.if_contains("counts"); cs && cs->is_array())
    for (const auto& c : cs->as_array())
      if (c.is_array() && c.as_array().size() == 2 && c.as_array()[0].is_string() &&
          c.as_array()[1].is_int64())
        j.counts.emplace_back(std::string(c.as_array()[0].as_string()), c.as_array()[1].as_int64());
  j.file = param_string(o, "file");
  j.download_name = param_string(o, "download_name");
  j.content_type = param_string(o, "content_type");
  j.file_bytes = param_int(o, "file_bytes");
  j.error = param_string(o, "error");
  j.resume_bytes = param_int(o, "resume_bytes");
  return j;
}

void JobContext::progress(int64_t done, int64_t total) {
  job_.done = done;
  job_.total = total;
  auto now = std::chrono::steady_clock::now();
  if (now - last_save_ >= std::chrono::seconds(1)) {
    last_save_ = now;
    save_(job_);
  }
}

std::string JobContext::path(std::string_view suffix) const {
  return files_dir_ + "/" + job_.id + std::string(suffix);
}

std::string JobRunner::id_prefix(JobKind k) {
  switch (k) {
    case JobKind::kExport:
      return "exp_";
    case JobKind::kBatch:
      return "batch_";
    case JobKind::kReturns:
      return "ret_";
  }
  return "job_";
}

JobRunner::JobRunner(storage::Store& store, const Clock& clock, Options options)
    : store_(store), clock_(clock), opts_(std::move(options)) {
  std::error_code ec;
  std::filesystem::create_directories(opts_.files_dir, ec);
  if (ec) spdlog::error("jobs: cannot create {}: {}", opts_.files_dir, ec.message());
}

JobRunner::~JobRunner() { stop(); }

void JobRunner::save(const Job& j, const std::vector<storage::OutboxPut>& outbox) {
  storage::Status st = outbox.empty() ? store_.put_state(job_key(j.id), encode_job(j))
                                      : store_.put_state(job_key(j.id), encode_job(j), outbox);
  if (!st.ok()) spdlog::error("job {}: not saved: {}", j.id, st.message);
}

void JobRunner::start() {
  std::vector<std::string> resume;
  (void)store_.scan_state(kJobKey, false, [&](std::string_view, std::string_view v) {
    if (auto j = decode_job(v); j && !is_finished(j->status)) resume.push_back(j->id);
    return true;
  });
  {
    std::lock_guard lk(mu_);
    stopping_ = false;
    for (auto& id : resume) queue_.push_back(std::move(id));
  }
  if (!resume.empty()) spdlog::info("jobs: {} job(s) queued again after a restart", resume.size());
  for (size_t i = 0; i < std::max<size_t>(1, opts_.threads); ++i)
    threads_.emplace_back([this] { worker(); });
}

void JobRunner::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    all_cancelled_ = true;
    for (auto& [id, flag] : running_) flag->store(true);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::optional<Job> JobRunner::submit(Job job) {
  const UnixMs now = clock_.now_ms();
  job.id = id_prefix(job.kind) + thread_id_generator().lead_id(now);
  job.status = JobStatus::kQueued;
  job.created_ms = now;
  if (!store_.put_state(job_key(job.id), encode_job(job)).ok()) return std::nullopt;
  {
    std::lock_guard lk(mu_);
    queue_.push_back(job.id);
  }
  cv_.notify_one();
  return job;
}

storage::Read<Job> JobRunner::get(std::string_view id) {
  storage::Read<Job> out;
  auto v = store_.get_state(job_key(id));
  if (!v) return out;
  out.value = decode_job(*v);
  if (!out.value) out.status = {storage::Status::Code::kCorrupt, "job record does not decode"};
  return out;
}

storage::Status JobRunner::list(JobKind kind, const std::function<bool(const Job&)>& fn) {
  const std::string prefix = std::string(kJobKey) + id_prefix(kind);
  return store_.scan_state(prefix, true, [&](std::string_view, std::string_view v) {
    auto j = decode_job(v);
    return !j || fn(*j);
  });
}

bool JobRunner::cancel(std::string_view id) {
  std::lock_guard lk(mu_);
  if (auto it = running_.find(std::string(id)); it != running_.end()) {
    it->second->store(true);
    return true;
  }
  auto j = get(id);
  if (!j.found() || is_finished(j.value->status)) return false;
  j.value->status = JobStatus::kCancelled;
  j.value->finished_ms = clock_.now_ms();
  save(*j.value);  // a worker that takes it from the queue skips it
  return true;
}

void JobRunner::sweep() {
  const UnixMs now = clock_.now_ms();
  std::vector<Job> changed;
  std::vector<std::string> gone;
  (void)store_.scan_state(kJobKey, false, [&](std::string_view key, std::string_view v) {
    auto j = decode_job(v);
    if (!j) return true;
    if (is_finished(j->status) &&
        j->finished_ms + opts_.download_window_ms + opts_.history_ms < now)
      gone.emplace_back(key);
    else if (j->expires_ms > 0 && j->expires_ms <= now && !j->file.empty())
      changed.push_back(std::move(*j));
    return true;
  });
  for (auto& j : changed) {
    std::error_code ec;
    if (!j.file.empty()) std::filesystem::remove(file_path(j), ec);
    j.status = JobStatus::kExpired;
    j.file.clear();
    j.file_bytes = 0;
    save(j);
  }
  for (const auto& k : gone) (void)store_.delete_state(k);
}

void JobRunner::worker() {
  pthread_setname_np(pthread_self(), "pp-jobs");
  // Jobs run at the lowest normal priority (nice 19): the scheduler gives them a core's time
  // mostly when live traffic leaves it, so an export or a batch (whose leads this thread runs
  // through the pipeline) does not lengthen live leads' latency, yet under a sustained full load
  // they still move (at 15/1024 of a nice-0 thread's share). The idle class (SCHED_IDLE, weight
  // 3) was tried first: with the machine busy it left a one-row batch waiting 14 s. (Storage's
  // commit thread is shared; a batch's writes join the live leads' groups.)
  if (setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), 19) != 0)
    spdlog::warn("jobs: could not lower the job thread's priority (nice 19)");
  auto last_sweep = std::chrono::steady_clock::now();
  for (;;) {
    std::string id;
    {
      std::unique_lock lk(mu_);
      cv_.wait_for(lk, std::chrono::seconds(60), [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      if (!queue_.empty()) {
        id = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (std::chrono::steady_clock::now() - last_sweep >= std::chrono::seconds(60)) {
      last_sweep = std::chrono::steady_clock::now();
      sweep();
    }
    if (id.empty()) continue;
    auto j = get(id);
    if (!j.found() || is_finished(j.value->status)) continue;
    run(std::move(*j.value));
  }
}

void JobRunner::run(Job job) {
  std::atomic<bool>* flag = nullptr;
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    auto& slot = running_[job.id];
    slot = std::make_unique<std::atomic<bool>>(false);
    flag = slot.get();
  }
  job.status = JobStatus::kRunning;
  if (job.started_ms == 0) job.started_ms = clock_.now_ms();
  job.error.clear();
  save(job);
  JobOutcome out;
  const Work& work = work_[size_t(job.kind)];
  JobContext ctx(job, opts_.files_dir, *flag, [this](const Job& j) { save(j); });
  if (!work) {
    out = {false, "no worker for this kind of job"};
  } else {
    try {
      out = work(ctx);
    } catch (const std::exception& e) {
      out = {false, std::string("internal error: ") + e.what()};
    }
  }
  bool interrupted = false;
  {
    std::lock_guard lk(mu_);
    interrupted = all_cancelled_.load();
    running_.erase(job.id);
  }
  if (interrupted && flag != nullptr) {
    save(job);  // still "running": queued again at the next start, resumed from here
    return;
  }
  const bool cancelled = !out.ok && ctx.stopping();
  job.finished_ms = clock_.now_ms();
  if (cancelled) {
    job.status = JobStatus::kCancelled;
  } else if (!out.ok) {
    job.status = JobStatus::kFailed;
    job.error = out.error;
  } else {
    job.status = JobStatus::kCompleted;
    if (!job.file.empty()) {
      std::error_code ec;
      job.file_bytes = int64_t(std::filesystem::file_size(file_path(job), ec));
      job.expires_ms = job.finished_ms + opts_.download_window_ms;
    }
  }
  if (job.status != JobStatus::kCompleted && !job.file.empty() && out.keep_file) {
    std::error_code ec;
    job.file_bytes = int64_t(std::filesystem::file_size(file_path(job), ec));
    job.expires_ms = job.finished_ms + opts_.download_window_ms;
  } else if (job.status != JobStatus::kCompleted && !job.file.empty()) {
    std::error_code ec;
    std::filesystem::remove(file_path(job), ec);
    job.file.clear();
  }
  save(job, opts_.on_finish ? opts_.on_finish(job) : std::vector<storage::OutboxPut>{});
  spdlog::info("job {} ({} {}): {}{}", job.id, to_string(job.kind), job.type, to_string(job.status),
               job.error.empty() ? "" : ": " + job.error);
}

}  // namespace pp::engine
