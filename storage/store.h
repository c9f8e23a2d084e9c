#pragma once
// RocksDB behind a narrow, domain-speaking interface.
//
// Durability (invariant 1): save_lead() completes only after the write is in the WAL and the WAL
// is fsynced. Concurrent saves share one fsync: a single commit thread takes every write waiting
// in the queue, appends them into one WriteBatch and writes it with sync=true (group commit).
//
// Thread safety: every method may be called from any thread. Reads are served directly by RocksDB
// (point lookups, microseconds with the block cache); writes go through the commit thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/lead.h"

namespace pp::storage {

struct Status {
  enum class Code : uint8_t { kOk, kIoError, kShutdown };
  Code code = Code::kOk;
  std::string message;
  bool ok() const { return code == Code::kOk; }
  static Status ok_status() { return {}; }
};

struct StoreOptions {
  // Upper bound on leads merged into one synced write. Default 512.
  size_t max_group = 512;
  // fsync the WAL on every group commit. Default true; false only for benchmarks that say so.
  bool sync = true;
  // RocksDB block cache for point lookups. Default 64 MiB.
  size_t block_cache_bytes = 64 << 20;
};

// A value that storage drops on its own after `expires_ms` (UTC): reads ignore it from then on and
// compaction removes it, so dedup keys and remembered answers never grow without bound.
struct ExpiringPut {
  std::string key;
  std::string value;
  int64_t expires_ms = 0;
};

// Keyspaces for expiring values.
enum class Space : uint8_t { kDedup, kRequests };

// Everything written atomically with a lead (one WriteBatch, one fsync).
struct LeadExtras {
  std::vector<std::pair<std::string, int64_t>> counter_deltas;  // added to cap counters
  std::vector<ExpiringPut> dedup;                               // duplicate-check keys
  std::vector<ExpiringPut> requests;                            // remembered answers (A7)
};

struct StoreStats {
  uint64_t commits = 0;  // synced writes issued
  uint64_t leads_written = 0;
};

class Store {
 public:
  // Opens (creating if missing) the database in `dir`. Returns null and sets `error` on failure.
  static std::unique_ptr<Store> open(const std::string& dir, const StoreOptions& options,
                                     std::string& error);
  virtual ~Store() = default;

  using Done = std::function<void(Status)>;

  // Stores the lead and its debug log atomically. `done` runs on the commit thread once the write
  // is durable (or failed); it must not block. After close(), `done` gets kShutdown at once.
  virtual void save_lead(const Lead& lead, const DebugLog& debug, LeadExtras extras, Done done) = 0;
  void save_lead(const Lead& lead, const DebugLog& debug, Done done) {
    save_lead(lead, debug, LeadExtras{}, std::move(done));
  }

  // Rewrites a stored lead (a return, say), durably, through the same commit queue; the debug log
  // is left as it is.
  virtual void update_lead(const Lead& lead, Done done) = 0;

  // Cap counters (sum of every delta written); 0 when never written or expired.
  virtual int64_t get_counter(std::string_view key) = 0;
  // An expiring value, unless absent or expired at `now_ms`.
  virtual std::optional<std::string> get_expiring(Space space, std::string_view key,
                                                  int64_t now_ms) = 0;
  // Small durable settings (e.g. live buyer pause flags). put_state is synchronous and synced.
  virtual Status put_state(std::string_view key, std::string_view value) = 0;
  virtual std::optional<std::string> get_state(std::string_view key) = 0;

  virtual std::optional<Lead> get_lead(std::string_view id) = 0;
  virtual std::optional<DebugLog> get_debug(std::string_view id) = 0;

  virtual StoreStats stats() const = 0;

  // Raw entries in an expiring keyspace, expired ones included until compaction drops them.
  virtual size_t count_entries(Space space) = 0;
  // Compacts the expiring keyspaces and cap counters now (normally RocksDB does it in the
  // background, and at least daily).
  virtual void compact_expiring() = 0;

  // Completes every queued write, stops the commit thread and flushes memtables. Idempotent.
  virtual void close() = 0;
};

}  // namespace pp::storage
