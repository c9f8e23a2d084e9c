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
#include "core/outbox.h"
#include "core/rollup.h"

namespace pp::storage {

struct Status {
  enum class Code : uint8_t { kOk, kIoError, kShutdown, kCorrupt };
  Code code = Code::kOk;
  std::string message;
  bool ok() const { return code == Code::kOk; }
  static Status ok_status() { return {}; }
};

// A point read: the value; or not found (ok status, no value); or a failure — an I/O error or a
// record that does not decode — never mistaken for "not found" (RocksDB's IsNotFound vs IOError).
template <class T>
struct Read {
  std::optional<T> value;
  Status status;
  bool found() const { return value.has_value(); }
  bool failed() const { return !status.ok(); }
};

// How long debug logs are kept by default (seed 000: "older than 90 days" cannot be retrieved).
constexpr int kDebugRetentionDays = 90;

struct StoreOptions {
  // Upper bound on leads merged into one synced write. Default 512.
  size_t max_group = 512;
  // fsync the WAL on every group commit. Default true; false only for benchmarks that say so.
  bool sync = true;
  // Group commit that waits briefly for company: when leads arrive closer together than this
  // (a moving average of the gaps), the first lead of a short group waits up to this long for
  // others to share its fsync; the wait ends as soon as max_group leads are queued. A lead waits
  // at most this much beyond the write in progress, and never when leads arrive further apart
  // (a quiet campaign pays nothing). 0 turns the wait off. Default 500 µs (2-3 fsyncs here).
  int64_t group_wait_us = 500;
  // RocksDB block cache for point lookups. Default 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  // Debug logs (raw buyer requests and responses) older than this are dropped by compaction.
  int debug_retention_days = kDebugRetentionDays;
  // Finished outbox deliveries (delivered, failed, cancelled) older than this are dropped by
  // compaction; waiting ones never are.
  int outbox_retention_days = 30;
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

// A delivery of the outbox (issue 18), written in the same batch as what caused it: its record and
// its entry in its destination's schedule.
struct OutboxPut {
  std::string id;
  uint64_t destination = 0;
  int64_t due_ms = 0;
  std::string record;  // encode_delivery
};
OutboxPut outbox_put(const OutboxDelivery& d);

// Everything written atomically with a lead (one WriteBatch, one fsync).
// A movement of money in the ledger (issue 20, C8): `amount` (1/10,000 of the currency unit,
// signed) to `account` ("client:<id>" for a prepaid balance, "revenue", "cash", "fees"). The
// postings of one transaction sum to zero; an account's balance is the sum of its postings.
struct Posting {
  std::string account;
  int64_t amount = 0;
  std::string kind;  // "sale", "deposit", "fee", "return", "adjustment"
  std::string ref;   // what caused it: the lead id, the deposit id
  UnixMs at_ms = 0;
  std::string memo;  // a person's note (a deposit's), at most 255 bytes
};
// A posting as stored, with the position the commit thread gave it (ascending over the ledger).
struct LedgerEntry {
  uint64_t position = 0;
  Posting posting;
};

struct LeadExtras {
  std::vector<std::pair<std::string, int64_t>> counter_deltas;  // added to cap counters
  std::vector<ExpiringPut> dedup;                               // duplicate-check keys
  std::vector<ExpiringPut> requests;                            // remembered answers (A7)
  std::vector<rollup::Delta> rollups;                           // statistics (E4)
  // The fields whose values the lead search index keeps (the campaign's indexed_fields; must
  // outlive save_lead's call, which reads it before returning). Null: every field.
  const std::vector<std::string>* index_fields = nullptr;
  std::vector<OutboxPut> outbox;  // notifications the lead causes (issue 18)
  // The lead_store buyers that bought the lead: it joins each one's pull queue (issue 19).
  std::vector<BuyerId> pull_buyers;
  // The money the lead moves (a sale to a prepaid client's buyer: its balance charged).
  std::vector<Posting> postings;
};

// One entry of the campaign-and-time lead index (E2): enough to filter without reading the lead.
struct LeadIndexEntry {
  UnixMs created_ms = 0;
  std::string_view id;
  SupplierId supplier = 0;
  LeadStatus status = LeadStatus::kError;
  bool returned = false;
  bool test = false;
  bool repost = false;
};

// What the index keeps of a lead (`id` points into the lead).
LeadIndexEntry index_entry_of(const Lead& lead);

// A position in an index scan: leads strictly older than (created_ms, id) come next.
struct LeadCursor {
  UnixMs created_ms = 0;
  std::string id;
};

// Field values longer than this are not indexed (not searchable by value).
constexpr size_t kMaxIndexedValueBytes = 256;
// At most this many fields of one lead are indexed, in the lead's order.
constexpr size_t kMaxIndexedFields = 64;

// The configuration as stored (issue 14): the whole current document and its version.
struct ConfigRecord {
  uint64_t version = 0;
  std::string document;  // the configuration file's JSON, secrets hashed
};

struct StoreStats {
  uint64_t commits = 0;  // synced writes issued
  uint64_t leads_written = 0;
  uint64_t writes = 0;       // queued writes committed (leads, updates, rollups)
  uint64_t group_waits = 0;  // groups whose first write waited for company
};

// A suppression list as stored (issue 17): its entries as 64-bit keys (checks/list_key.h), sorted,
// and the single entries added (true) or removed (false) since they were last written whole.
struct ListImage {
  int64_t id = 0;
  std::vector<uint64_t> keys;
  std::vector<std::pair<uint64_t, bool>> changes;
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

  // Rewrites a stored lead (a return, say) and its index entry, with the statistics deltas that
  // go with the change, durably, through the same commit queue; the debug log is left as it is.
  // The lead's id, campaign, creation time and fields must not have changed.
  // `postings`: the money the change moves (a return credits a prepaid client, issue 20).
  virtual void update_lead(const Lead& lead, std::vector<rollup::Delta> rollups,
                           std::vector<OutboxPut> outbox, std::vector<Posting> postings,
                           Done done) = 0;
  void update_lead(const Lead& lead, std::vector<rollup::Delta> rollups, Done done) {
    update_lead(lead, std::move(rollups), {}, {}, std::move(done));
  }
  void update_lead(const Lead& lead, Done done) { update_lead(lead, {}, {}, {}, std::move(done)); }

  // Statistics that belong to no lead (supplier pings): written with the next group commit; not
  // waited for, so a crash may lose the last few milliseconds of them.
  virtual void add_rollups(std::vector<rollup::Delta> deltas) = 0;
  // Visits every rollup row with a key in [begin, end), in key order.
  virtual void scan_rollups(
      std::string_view begin, std::string_view end,
      const std::function<void(std::string_view key, const rollup::Values& values)>& fn) = 0;
  // Whether any rollup row has a key in [begin, end) (one seek).
  virtual bool any_rollup(std::string_view begin, std::string_view end) = 0;

  // Leads of `campaign` created in [from_ms, to_ms), newest first (ties by id, descending),
  // strictly after `after` in that order when given. `fn` returns false to stop.
  virtual void scan_campaign_leads(CampaignId campaign, UnixMs from_ms, UnixMs to_ms,
                                   const std::optional<LeadCursor>& after,
                                   const std::function<bool(const LeadIndexEntry&)>& fn) = 0;
  // The same order, for the leads whose field `name` holds exactly `value`.
  virtual void scan_field_leads(
      CampaignId campaign, std::string_view name, std::string_view value, UnixMs from_ms,
      UnixMs to_ms, const std::optional<LeadCursor>& after,
      const std::function<bool(UnixMs created_ms, std::string_view id)>& fn) = 0;

  // Cap counters (sum of every delta written); 0 when never written or expired.
  virtual Read<int64_t> read_counter(std::string_view key) = 0;
  int64_t get_counter(std::string_view key) { return read_counter(key).value.value_or(0); }
  // An expiring value, unless absent or expired at `now_ms`.
  virtual std::optional<std::string> get_expiring(Space space, std::string_view key,
                                                  int64_t now_ms) = 0;
  // Small durable settings (e.g. live buyer pause flags). put_state is synchronous and synced.
  virtual Status put_state(std::string_view key, std::string_view value) = 0;
  // The same with the notifications it causes (a job that finished, issue 19), in one synced write.
  virtual Status put_state(std::string_view key, std::string_view value,
                           const std::vector<OutboxPut>& outbox) = 0;
  // The same, queued with the next group commit and never waited for: for bookkeeping an I/O
  // thread must not block on (an fsync takes milliseconds), such as when a token was last used.
  virtual void put_state_later(std::string_view key, std::string_view value) {
    (void)put_state(key, value);
  }
  virtual std::optional<std::string> get_state(std::string_view key) = 0;
  // Several settings put (a value) or removed (nullopt) at once, with the notifications they
  // cause, in one synced write: a portal request and its notice, a password reset and the removal
  // of its link (issue 20).
  struct StateWrite {
    std::string key;
    std::optional<std::string> value;
  };
  virtual Status write_state(const std::vector<StateWrite>& writes,
                             const std::vector<OutboxPut>& outbox) = 0;
  // Settings whose keys start with `prefix`, in key order (descending with `reverse`), until `fn`
  // returns false; and one removed (synced). Jobs and uploads (issue 19) are kept this way.
  virtual Status scan_state(
      std::string_view prefix, bool reverse,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) = 0;
  virtual Status delete_state(std::string_view key) = 0;

  // The configuration's history (issue 14). put_config writes the document at `version` (which
  // becomes the current one) and its change-log entry (JSON text, opaque here) in one synced
  // write: after a crash the configuration is one whole version and the log ends at it.
  // `outbox`: the notifications the change causes (config.changed), in the same write.
  virtual Status put_config(uint64_t version, std::string_view document, std::string_view change,
                            const std::vector<OutboxPut>& outbox) = 0;
  Status put_config(uint64_t version, std::string_view document, std::string_view change) {
    return put_config(version, document, change, {});
  }
  // The current configuration; not found for a data directory never configured.
  virtual Read<ConfigRecord> read_config() = 0;
  // Change-log entries with a version above `after`, ascending (descending with `newest_first`,
  // below `after` unless it is 0), until `fn` returns false.
  virtual Status scan_changes(uint64_t after, bool newest_first,
                              const std::function<bool(uint64_t, std::string_view)>& fn) = 0;

  // Suppression lists (issue 17), in their own family: a list's keys in chunks of 64k under a
  // generation number, and a head record naming the current generation. write_list writes a new
  // generation (unsynced, in batches) and then, in one synced batch, the head, the removal of the
  // older generations and of the single changes: after a crash a list is its old or its new
  // entries, never a mix. `keys` must be sorted and unique.
  virtual Status write_list(int64_t list, const std::vector<uint64_t>& keys) = 0;
  // One entry added or removed (synced).
  virtual Status put_list_change(int64_t list, uint64_t key, bool present) = 0;
  // Removes a list's entries (synced).
  virtual Status drop_list(int64_t list) = 0;
  // Every list, as last written (generations an interrupted write_list left are deleted).
  virtual Status load_lists(const std::function<void(ListImage&&)>& fn) = 0;

  // Checks that ran after a lead was stored and answered (async checks, issue 17), kept beside
  // its debug log (read_debug returns them after the others), through the commit queue. A later
  // call for the same lead replaces them.
  virtual void save_late_checks(std::string_view lead_id, const std::vector<CheckRecord>& checks,
                                Done done) = 0;

  // The outbox (issue 18), in its own family: each delivery's record ('d' + id) and, while it
  // waits, an entry in its destination's schedule ('s' + destination + due time + id). The sender
  // keeps in memory only its destinations and what it has in flight: waiting deliveries stay here.
  //
  // Runs on the commit thread after every write that added deliveries, once per delivery (the
  // sender wakes for it). Set once, before traffic; must not block.
  using OutboxListener = std::function<void(uint64_t destination, int64_t due_ms)>;
  virtual void set_outbox_listener(OutboxListener fn) = 0;
  // Deliveries caused by something only in memory (a buyer's circuit opening): written with the
  // next group commit, not waited for (like add_rollups).
  virtual void add_deliveries(std::vector<OutboxPut> puts) = 0;
  // Deliveries caused by nothing else stored (an alert, a replay): written and synced now.
  virtual Status put_deliveries(const std::vector<OutboxPut>& puts) = 0;
  // Every destination with a delivery waiting, with its earliest due time.
  virtual Status scan_destinations(const std::function<void(uint64_t, int64_t)>& fn) = 0;
  // The deliveries waiting for `destination`, earliest first, from (`from_due`, `from_id`) on,
  // until `fn` returns false. A sender resumes where it stopped: the schedule's head is a run of
  // deleted entries until compaction, which a scan from the start would step over each time.
  virtual Status scan_due(uint64_t destination, int64_t from_due, std::string_view from_id,
                          const std::function<bool(int64_t due_ms, std::string_view id)>& fn) = 0;
  Status scan_due(uint64_t destination,
                  const std::function<bool(int64_t due_ms, std::string_view id)>& fn) {
    return scan_due(destination, 0, {}, fn);
  }
  virtual Read<OutboxDelivery> read_delivery(std::string_view id) = 0;
  // Writes a delivery after an attempt (or a replay): its record, and its schedule entry moved
  // from `old_due_ms` (-1: it had none) to its next_attempt_ms, or removed once it is finished.
  // In the write-ahead log but not synced: a crash may forget the last attempts' outcomes, and
  // then their deliveries are sent again (at least once, with the same webhook-id).
  virtual Status update_delivery(const OutboxDelivery& d, int64_t old_due_ms) = 0;
  // Deliveries newest first, strictly older than the delivery `before` when it is not empty,
  // until `fn` returns false.
  virtual Status scan_deliveries(std::string_view before,
                                 const std::function<bool(const OutboxDelivery&)>& fn) = 0;

  // Alert history (issue 18): one record per firing or resolution (JSON, opaque here), ordered by
  // time, written with the notifications it causes in one synced write.
  virtual Status put_alert(int64_t at_ms, std::string_view record,
                           const std::vector<OutboxPut>& outbox) = 0;
  // Records newest first, strictly before (at_ms, seq) `before` when given, until fn is false.
  // The key passed to fn is the record's cursor.
  virtual Status scan_alerts(
      std::string_view before,
      const std::function<bool(std::string_view cursor, std::string_view record)>& fn) = 0;

  // A lead_store buyer's pull queue (issue 19, GET /v1/leads): the leads it bought, each at a
  // position the commit thread gives it as the lead is written. Positions only grow in the order
  // writes become visible, so a reader that goes on after the last position it saw misses no lead
  // and sees none twice, whatever is stored meanwhile. Entries after `after`, ascending, until fn
  // returns false.
  virtual Status scan_pull(
      BuyerId buyer, uint64_t after,
      const std::function<bool(uint64_t position, std::string_view lead_id)>& fn) = 0;
  // How many leads a buyer's pull queue ever received.
  int64_t pull_total(BuyerId buyer) { return get_counter(pull_counter_key(buyer)); }
  static std::string pull_counter_key(BuyerId buyer) { return "pull/" + std::to_string(buyer); }

  // The ledger (issue 20): postings in their own records ('G' + account + position, in the index
  // family) and each account's balance as a counter (balance_key), both written in the batch of
  // what caused them, so after any crash a balance is the sum of its postings. post_ledger writes
  // postings that belong to no lead (a deposit), with the notifications they cause, through the
  // commit queue, and returns once durable. The postings must sum to zero (else kCorrupt, nothing
  // written).
  // `state`: settings written in the same batch (a charge's idempotency record).
  virtual Status post_ledger(std::vector<Posting> postings, std::vector<OutboxPut> outbox,
                             std::vector<std::pair<std::string, std::string>> state) = 0;
  // An account's postings, newest first, strictly before `before` (0: from the newest), until fn
  // returns false; an empty account: every account's, by account then position.
  virtual Status scan_ledger(std::string_view account, uint64_t before,
                             const std::function<bool(const LedgerEntry&)>& fn) = 0;
  static std::string balance_key(std::string_view account) { return "bal/" + std::string(account); }
  int64_t balance(std::string_view account) { return get_counter(balance_key(account)); }

  // `fill_cache` false: a bulk reader (an export of 10^6 leads) that must not push the lead
  // path's hot blocks out of the block cache (issue 19).
  virtual Read<Lead> read_lead(std::string_view id, bool fill_cache) = 0;
  Read<Lead> read_lead(std::string_view id) { return read_lead(id, true); }
  virtual Read<DebugLog> read_debug(std::string_view id) = 0;
  // For callers to whom absent and unreadable are one case (tests, tools): the value or nullopt.
  std::optional<Lead> get_lead(std::string_view id) { return read_lead(id).value; }
  std::optional<DebugLog> get_debug(std::string_view id) { return read_debug(id).value; }

  virtual StoreStats stats() const = 0;
  // Storage's series for /metrics (Prometheus text): commits, writes, how long a write waited in
  // the commit queue before its group's write began, and how long group writes took.
  virtual void render_metrics(std::string& out) const { (void)out; }

  // Raw entries in an expiring keyspace, expired ones included until compaction drops them.
  virtual size_t count_entries(Space space) = 0;
  // Compacts the expiring keyspaces, cap counters and debug logs now, dropping what expired
  // (normally RocksDB does it in the background, and at least daily).
  virtual void compact_expiring() = 0;
  // Compacts every family now (tools: a data directory filled in one burst then looks like one
  // whose data arrived over days, instead of leaving the compactions to the next process).
  virtual void compact_all() = 0;

  // Completes every queued write, stops the commit thread and flushes memtables. Idempotent.
  virtual void close() = 0;
};

}  // namespace pp::storage
