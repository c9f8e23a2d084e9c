#include "storage/store.h"

#include <pthread.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/cap_keys.h"
#include "core/histogram.h"
#include "core/keys.h"
#include "core/text.h"
#include "storage/codec.h"

namespace pp::storage {

namespace {

constexpr const char* kLeadsCf = "leads";
constexpr const char* kDebugCf = "debug";
constexpr const char* kCountersCf = "counters";
constexpr const char* kDedupCf = "dedup";
constexpr const char* kRequestsCf = "requests";
constexpr const char* kStateCf = "state";
constexpr const char* kRollupsCf = "rollups";
constexpr const char* kIndexCf = "index";
constexpr const char* kConfigCf = "config";
constexpr const char* kListsCf = "lists";
constexpr const char* kOutboxCf = "outbox";

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// 8 bytes, little-endian (values: counters, expiry times, list keys).
void put_le64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = char(v >> (8 * i));
}

std::string encode_i64(int64_t v) {
  std::string s(8, '\0');
  put_le64(s.data(), uint64_t(v));
  return s;
}

int64_t decode_i64(std::string_view s) {
  if (s.size() < 8) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | uint8_t(s[size_t(i)]);
  return int64_t(v);
}

// Cap counters: values are 8-byte little-endian int64; merges add.
class AddOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    int64_t base = existing ? decode_i64(std::string_view(existing->data(), existing->size())) : 0;
    *new_value = encode_i64(base + decode_i64(std::string_view(value.data(), value.size())));
    return true;
  }
  const char* Name() const override { return "pingpost.Int64Add"; }
};

// Rollup rows: zig-zag varints, one per metric; merges add element-wise (missing ones are 0).
void put_varint(std::string& out, int64_t v) {
  uint64_t z = (uint64_t(v) << 1) ^ uint64_t(v >> 63);
  while (z >= 0x80) {
    out.push_back(char(uint8_t(z) | 0x80));
    z >>= 7;
  }
  out.push_back(char(uint8_t(z)));
}

void decode_values(std::string_view in, rollup::Values& out) {
  out.clear();
  uint64_t z = 0;
  int shift = 0;
  for (char ch : in) {
    uint8_t c = uint8_t(ch);
    if (shift < 64) z |= uint64_t(c & 0x7f) << shift;
    shift += 7;
    if ((c & 0x80) == 0) {
      out.push_back(int64_t(z >> 1) ^ -int64_t(z & 1));
      z = 0;
      shift = 0;
    }
  }
}

std::string encode_values(const rollup::Values& v) {
  std::string out;
  out.reserve(v.size() * 2);
  for (int64_t x : v) put_varint(out, x);
  return out;
}

// Adds every operand in one pass (one decode per operand, one encode per merge): a busy row
// collects one operand per lead until compaction folds them.
class VectorAddOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    rollup::Values sum, v;
    if (in.existing_value)
      decode_values(std::string_view(in.existing_value->data(), in.existing_value->size()), sum);
    for (const rocksdb::Slice& op : in.operand_list) add(sum, op, v);
    out->new_value = encode_values(sum);
    return true;
  }
  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger*) const override {
    rollup::Values sum, v;
    for (const rocksdb::Slice& op : operands) add(sum, op, v);
    *new_value = encode_values(sum);
    return true;
  }
  const char* Name() const override { return "pingpost.VectorAdd"; }

 private:
  static void add(rollup::Values& sum, const rocksdb::Slice& op, rollup::Values& scratch) {
    decode_values(std::string_view(op.data(), op.size()), scratch);
    rollup::add_values(sum, scratch);
  }
};

// Debug logs are keyed by lead id, whose first characters are its creation time.
class DebugRetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit DebugRetentionFilter(int days) : keep_ms_(int64_t(days) * 86400000) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*,
              bool*) const override {
    // A lead's debug log, or the checks recorded after it ("<lead id>/c"): by the lead's time.
    int64_t t = lead_id_time(std::string_view(key.data(), std::min<size_t>(key.size(), 20)));
    return t >= 0 && t + keep_ms_ < now_ms();
  }
  const char* Name() const override { return "pingpost.DebugRetention"; }

 private:
  int64_t keep_ms_;
};

// Finished outbox deliveries ('d' + id, first value byte not kPending) older than the retention.
class OutboxRetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit OutboxRetentionFilter(int days) : keep_ms_(int64_t(days) * 86400000) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    if (key.size() < 2 || key[0] != 'd' || value.empty() ||
        uint8_t(value[0]) == uint8_t(DeliveryStatus::kPending))
      return false;
    int64_t t = delivery_id_time(std::string_view(key.data() + 1, key.size() - 1));
    return t >= 0 && t + keep_ms_ < now_ms();
  }
  const char* Name() const override { return "pingpost.OutboxRetention"; }

 private:
  int64_t keep_ms_;
};

// Lead index keys (E2), ordered by campaign, then time, then id:
//   'T' campaign created id                      -> status, flags, supplier
//   'F' campaign name-length name value-length value created id   -> ""
std::string time_prefix(CampaignId campaign) {
  std::string k(1, 'T');
  put_ordered_i64(k, campaign);
  return k;
}

std::string field_prefix(CampaignId campaign, std::string_view name, std::string_view value) {
  std::string k(1, 'F');
  put_ordered_i64(k, campaign);
  k.push_back(char(uint8_t(name.size())));
  k.append(name);
  k.push_back(char(uint8_t(value.size() >> 8)));
  k.push_back(char(uint8_t(value.size())));
  k.append(value);
  return k;
}

// The index family's prefixes, 'T' + campaign (a campaign's leads by time) and 'F' + campaign +
// field name + value (the leads with that value), as the memtable's insert hints (issue 16):
// a new entry of a prefix lands right after the previous one (its time is later), so the
// memtable remembers where each prefix's last insert went and starts there instead of
// descending the whole skip list — a campaign's time entry and every repeated field value (state,
// sub ids, names, URLs) insert in constant time. Reads do not use it.
class IndexPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "pingpost.IndexPrefix.1"; }
  static size_t prefix_size(const rocksdb::Slice& k) {
    if (k.size() >= 9 && k[0] == 'T') return 9;
    if (k.size() < 10 || k[0] != 'F') return 0;
    size_t n = 10 + uint8_t(k[9]);  // 'F', campaign, name length, name
    if (k.size() < n + 2) return 0;
    n += 2 + ((size_t(uint8_t(k[n])) << 8) | uint8_t(k[n + 1]));  // value length, value
    return k.size() >= n ? n : 0;
  }
  rocksdb::Slice Transform(const rocksdb::Slice& k) const override {
    return rocksdb::Slice(k.data(), prefix_size(k));
  }
  bool InDomain(const rocksdb::Slice& k) const override { return prefix_size(k) > 0; }
};

// Statistics rows (a put of the row's sum) and cap counters (a merge operand) are written once
// per group per key: a key's new entry lands right next to its previous ones, so each key's last
// insert position is the hint for the next (a few hundred live keys; each hint is one small map
// entry in the memtable).
class WholeKey final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "pingpost.WholeKey.1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& k) const override { return k; }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

enum : uint8_t { kFlagReturned = 1, kFlagTest = 2, kFlagRepost = 4 };

std::string index_value(const Lead& lead) {
  const LeadIndexEntry e = index_entry_of(lead);
  std::string v;
  v.push_back(char(e.status));
  uint8_t flags = 0;
  if (e.returned) flags |= kFlagReturned;
  if (e.test) flags |= kFlagTest;
  if (e.repost) flags |= kFlagRepost;
  v.push_back(char(flags));
  put_ordered_i64(v, e.supplier);
  return v;
}

bool indexable_field(std::string_view name, std::string_view value) {
  return !name.empty() && name.size() <= 255 && !value.empty() &&
         value.size() <= kMaxIndexedValueBytes;
}

// Expiring values start with their 8-byte expiry (UTC ms).
class ExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    return value.size() >= 8 && decode_i64(std::string_view(value.data(), 8)) < now_ms();
  }
  const char* Name() const override { return "pingpost.Expiry"; }
};

// Cap counters of past periods: "<owner>/<id>/<l|b>/<type>/<period start ms>".
// Counters are written as merge operands, so both the merged values and the operands are checked.
class CounterExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*,
              bool*) const override {
    return expired(key);
  }
  bool FilterMergeOperand(int, const rocksdb::Slice& key, const rocksdb::Slice&) const override {
    return expired(key);
  }

 private:
  static bool expired(const rocksdb::Slice& key) {
    std::string_view k(key.data(), key.size());
    size_t last = k.rfind('/');
    if (last == std::string_view::npos) return false;
    size_t prev = k.rfind('/', last - 1);
    if (prev == std::string_view::npos) return false;
    int64_t keep = cap_counter_retention_ms(k.substr(prev + 1, last - prev - 1));
    if (keep < 0) return false;
    int64_t start = 0;
    for (char c : k.substr(last + 1)) {
      if (c < '0' || c > '9') return false;
      start = start * 10 + (c - '0');
    }
    return start + keep < now_ms();
  }
  const char* Name() const override { return "pingpost.CounterExpiry"; }
};

class RocksStore final : public Store {
 public:
  RocksStore(const StoreOptions& o) : opts_(o) {}
  ~RocksStore() override { close(); }

  bool open(const std::string& dir, std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      error = "cannot create " + dir + ": " + ec.message();
      return false;
    }
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.max_background_jobs = 2;  // this machine has 2 cores
    options.bytes_per_sync = 1 << 20;
    options.keep_log_file_num = 5;

    rocksdb::BlockBasedTableOptions leads_table;
    leads_table.block_cache = rocksdb::NewLRUCache(opts_.block_cache_bytes);
    leads_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions leads_cf;
    leads_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(leads_table));
    leads_cf.compression = rocksdb::kLZ4Compression;

    rocksdb::ColumnFamilyOptions debug_cf;
    // Debug logs are large raw payloads, read rarely: compress harder.
    debug_cf.compression = rocksdb::kZSTD;

    // Duplicate and request lookups almost always miss: bloom filters make misses cheap.
    rocksdb::BlockBasedTableOptions expiring_table;
    expiring_table.block_cache = leads_table.block_cache;
    expiring_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions expiring_cf;
    expiring_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(expiring_table));
    expiring_cf.compaction_filter = &expiry_filter_;
    expiring_cf.periodic_compaction_seconds = 86400;  // expiry happens even without new writes
    // ... and in the memtable too (issue 16): a miss there was a full skip-list descent per key.
    expiring_cf.memtable_whole_key_filtering = true;
    expiring_cf.memtable_prefix_bloom_size_ratio = 0.02;

    rocksdb::ColumnFamilyOptions counters_cf;
    counters_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(expiring_table));
    counters_cf.merge_operator = std::make_shared<AddOperator>();
    counters_cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<WholeKey>();
    counters_cf.compaction_filter = &counter_filter_;
    counters_cf.periodic_compaction_seconds = 86400;

    rocksdb::ColumnFamilyOptions rollups_cf;
    rollups_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(leads_table));
    rollups_cf.merge_operator = std::make_shared<VectorAddOperator>();
    rollups_cf.compression = rocksdb::kLZ4Compression;
    // A busy row gets one operand per lead: fold them in the memtable so reads stay cheap.
    rollups_cf.max_successive_merges = 16;
    rollups_cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<WholeKey>();
    // A row the commit thread has not kept is read once before its first write; new rows (one per
    // lead when a sub id carries a click id) miss: the memtable's bloom filter answers those.
    rollups_cf.memtable_whole_key_filtering = true;
    rollups_cf.memtable_prefix_bloom_size_ratio = 0.02;

    rocksdb::ColumnFamilyOptions index_cf;
    index_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(leads_table));
    index_cf.compression = rocksdb::kLZ4Compression;
    index_cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<IndexPrefix>();

    debug_cf.compaction_filter = &debug_filter_;
    debug_cf.periodic_compaction_seconds = 86400;

    // Configuration documents: large, similar, rarely written.
    rocksdb::ColumnFamilyOptions config_cf;
    config_cf.compression = rocksdb::kZSTD;

    // Suppression lists: chunks of 64-bit keys (hashes: nothing to compress), read at start only.
    rocksdb::ColumnFamilyOptions lists_cf;
    lists_cf.compression = rocksdb::kNoCompression;

    // The outbox: a queue (schedule entries are deleted as they are sent): files full of
    // deletions are compacted early so that scans do not wade through tombstones.
    rocksdb::ColumnFamilyOptions outbox_cf;
    outbox_cf.compression = rocksdb::kLZ4Compression;
    outbox_cf.compaction_filter = &outbox_filter_;
    outbox_cf.periodic_compaction_seconds = 86400;
    outbox_cf.table_properties_collector_factories.emplace_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(1024, 256));

    std::vector<rocksdb::ColumnFamilyDescriptor> cfs{
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {kLeadsCf, leads_cf},
        {kDebugCf, debug_cf},
        {kCountersCf, counters_cf},
        {kDedupCf, expiring_cf},
        {kRequestsCf, expiring_cf},
        {kStateCf, rocksdb::ColumnFamilyOptions()},
        {kRollupsCf, rollups_cf},
        {kIndexCf, index_cf},
        {kConfigCf, config_cf},
        {kListsCf, lists_cf},
        {kOutboxCf, outbox_cf},
    };
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, cfs, &handles, &db);
    if (!s.ok()) {
      error = "cannot open RocksDB in " + dir + ": " + s.ToString();
      return false;
    }
    db_.reset(db);
    handles_ = handles;
    leads_ = handles[1];
    debug_ = handles[2];
    counters_ = handles[3];
    dedup_ = handles[4];
    requests_ = handles[5];
    state_ = handles[6];
    rollups_ = handles[7];
    index_ = handles[8];
    config_ = handles[9];
    lists_ = handles[10];
    outbox_ = handles[11];
    pull_position_ = last_pull_position();
    {
      auto seq = read_counter(kLedgerSeq);
      if (seq.failed()) {
        error = "cannot read the ledger's position";
        return false;
      }
      ledger_position_ = uint64_t(seq.value.value_or(0));
    }
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "pp-commit");
      commit_loop();
    });
    return true;
  }

  void save_lead(const Lead& lead, const DebugLog& debug, LeadExtras extras, Done done) override {
    // Encoding happens on the caller's thread; the commit thread only copies bytes into the batch.
    Pending p{lead.id, encode_lead(lead), encode_debug(debug), std::move(extras), std::move(done)};
    index_entries(lead, p.extras.index_fields, p.index);
    p.extras.index_fields = nullptr;  // the caller's: not kept past this call
    enqueue(std::move(p));
  }

  Read<Lead> read_lead(std::string_view id, bool fill_cache) override {
    return read(
        leads_, id, [](std::string_view v) { return decode_lead(v); }, fill_cache);
  }

  Read<DebugLog> read_debug(std::string_view id) override {
    Read<DebugLog> d = read(debug_, id, [](std::string_view v) { return decode_debug(v); });
    if (!d.found()) return d;
    // Checks recorded after the lead was answered (async), kept beside it.
    Read<std::vector<CheckRecord>> late = read(debug_, std::string(id).append(kLateChecksSuffix),
                                               [](std::string_view v) { return decode_checks(v); });
    if (late.failed()) {
      d.value.reset();
      d.status = late.status;
    } else if (late.found()) {
      for (auto& c : *late.value) d.value->checks.push_back(std::move(c));
    }
    return d;
  }

  static constexpr std::string_view kLateChecksSuffix = "/c";

  void save_late_checks(std::string_view lead_id, const std::vector<CheckRecord>& checks,
                        Done done) override {
    Pending p;
    p.debug_puts.emplace_back(std::string(lead_id) + std::string(kLateChecksSuffix),
                              encode_checks(checks));
    p.done = std::move(done);
    enqueue(std::move(p));
  }

  template <class Decode>
  auto read(rocksdb::ColumnFamilyHandle* cf, std::string_view id, Decode decode,
            bool fill_cache = true)
      -> Read<typename decltype(decode(std::string_view()))::value_type> {
    Read<typename decltype(decode(std::string_view()))::value_type> out;
    std::string v;
    rocksdb::ReadOptions ro;
    ro.fill_cache = fill_cache;
    auto s = db_->Get(ro, cf, rocksdb::Slice(id.data(), id.size()), &v);
    if (s.IsNotFound()) return out;
    if (!s.ok()) {
      out.status = Status{Status::Code::kIoError, s.ToString()};
      return out;
    }
    out.value = decode(v);
    if (!out.value) out.status = Status{Status::Code::kCorrupt, "record does not decode"};
    return out;
  }

  void update_lead(const Lead& lead, std::vector<rollup::Delta> rollups,
                   std::vector<OutboxPut> outbox, std::vector<Posting> postings,
                   Done done) override {
    if (!sums_to_zero(postings)) {
      done({Status::Code::kCorrupt, "postings do not sum to zero"});
      return;
    }
    Pending p{lead.id, encode_lead(lead), {}, {}, std::move(done)};
    p.extras.rollups = std::move(rollups);
    p.extras.outbox = std::move(outbox);
    p.extras.postings = std::move(postings);
    index_entries(lead, nullptr, p.index, false);
    enqueue(std::move(p));
  }

  void put_state_later(std::string_view key, std::string_view value) override {
    Pending p;
    p.state.emplace_back(std::string(key), std::string(value));
    p.done = [](Status) {};
    enqueue(std::move(p));
  }

  void add_rollups(std::vector<rollup::Delta> deltas) override {
    if (deltas.empty()) return;
    Pending p;
    p.extras.rollups = std::move(deltas);
    p.done = [](Status) {};
    enqueue(std::move(p));
  }

  void scan_rollups(
      std::string_view begin, std::string_view end,
      const std::function<void(std::string_view, const rollup::Values&)>& fn) override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end.data(), end.size());
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, rollups_));
    rollup::Values values;
    for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
      decode_values(std::string_view(it->value().data(), it->value().size()), values);
      fn(std::string_view(it->key().data(), it->key().size()), values);
    }
  }

  bool any_rollup(std::string_view begin, std::string_view end) override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end.data(), end.size());
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, rollups_));
    it->Seek(rocksdb::Slice(begin.data(), begin.size()));
    return it->Valid();
  }

  void scan_campaign_leads(CampaignId campaign, UnixMs from_ms, UnixMs to_ms,
                           const std::optional<LeadCursor>& after,
                           const std::function<bool(const LeadIndexEntry&)>& fn) override {
    const std::string prefix = time_prefix(campaign);
    scan_desc(prefix, from_ms, to_ms, after, [&](std::string_view key, std::string_view value) {
      if (value.size() < 10) return true;
      LeadIndexEntry e;
      e.created_ms = read_ordered_i64(key.substr(prefix.size()));
      e.id = key.substr(prefix.size() + 8);
      e.status = LeadStatus(uint8_t(value[0]));
      uint8_t flags = uint8_t(value[1]);
      e.returned = flags & kFlagReturned;
      e.test = flags & kFlagTest;
      e.repost = flags & kFlagRepost;
      e.supplier = read_ordered_i64(value.substr(2));
      return fn(e);
    });
  }

  void scan_field_leads(CampaignId campaign, std::string_view name, std::string_view value,
                        UnixMs from_ms, UnixMs to_ms, const std::optional<LeadCursor>& after,
                        const std::function<bool(UnixMs, std::string_view)>& fn) override {
    if (!indexable_field(name, value)) return;  // never indexed: nothing to find
    const std::string prefix = field_prefix(campaign, name, value);
    scan_desc(prefix, from_ms, to_ms, after, [&](std::string_view key, std::string_view) {
      UnixMs t = read_ordered_i64(key.substr(prefix.size()));
      return fn(t, key.substr(prefix.size() + 8));
    });
  }

  Read<int64_t> read_counter(std::string_view key) override {
    Read<int64_t> out;
    std::string v;
    auto s =
        db_->Get(rocksdb::ReadOptions(), counters_, rocksdb::Slice(key.data(), key.size()), &v);
    if (s.IsNotFound()) {
      out.value = 0;  // never written (or expired): nothing used
    } else if (!s.ok()) {
      out.status = Status{Status::Code::kIoError, s.ToString()};
    } else {
      out.value = decode_i64(v);
    }
    return out;
  }

  std::optional<std::string> get_expiring(Space space, std::string_view key, int64_t now) override {
    std::string v;
    auto* cf = space == Space::kDedup ? dedup_ : requests_;
    auto s = db_->Get(rocksdb::ReadOptions(), cf, rocksdb::Slice(key.data(), key.size()), &v);
    if (!s.ok() || v.size() < 8 || decode_i64(std::string_view(v).substr(0, 8)) < now)
      return std::nullopt;
    return v.substr(8);
  }

  static Status io(const rocksdb::Status& s) {
    return s.ok() ? Status{} : Status{Status::Code::kIoError, s.ToString()};
  }
  // Writes that are durable before they return (not through the commit queue).
  static rocksdb::WriteOptions synced() {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return wo;
  }

  // Pull queues: 'P' + buyer + position (8 bytes each, big-endian) -> lead id, in the index family.
  static std::string pull_key(BuyerId buyer, uint64_t position) {
    return "P" + be_bytes(uint64_t(buyer), 8) + be_bytes(position, 8);
  }
  // The highest position of any buyer (the last key of each buyer's range).
  uint64_t last_pull_position() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
    uint64_t last = 0;
    it->Seek("P");
    while (it->Valid() && it->key().starts_with("P") && it->key().size() == 17) {
      const uint64_t buyer = be_of(std::string_view(it->key().data() + 1, 8), 8);
      const std::string end = "P" + be_bytes(buyer, 8) + std::string(8, char(0xff));
      it->SeekForPrev(end);
      if (!it->Valid()) break;
      last = std::max(last, be_of(std::string_view(it->key().data() + 9, 8), 8));
      if (buyer == UINT64_MAX) break;
      it->Seek("P" + be_bytes(buyer + 1, 8));
    }
    return last;
  }

  // The ledger: 'G' + account + '\0' + position (8 bytes, big-endian) -> time, amount, kind, ref.
  static constexpr const char* kLedgerSeq = "ledger/seq";
  static std::string ledger_key(std::string_view account, uint64_t position) {
    std::string k = "G";
    k.append(account);
    k.push_back('\0');
    return k + be_bytes(position, 8);
  }
  static std::string ledger_value(const Posting& p) {
    return be_bytes(uint64_t(p.at_ms), 8) + be_bytes(uint64_t(p.amount), 8) + p.kind + '\0' +
           p.ref + '\0' + p.memo;
  }
  static bool sums_to_zero(const std::vector<Posting>& ps) {
    int64_t sum = 0;
    for (const auto& p : ps) sum += p.amount;
    return sum == 0;
  }

  Status post_ledger(std::vector<Posting> postings, std::vector<OutboxPut> outbox,
                     std::vector<std::pair<std::string, std::string>> state) override {
    if (!sums_to_zero(postings)) return {Status::Code::kCorrupt, "postings do not sum to zero"};
    std::promise<Status> written;
    auto done = written.get_future();
    Pending p;
    p.extras.postings = std::move(postings);
    p.extras.outbox = std::move(outbox);
    p.state = std::move(state);
    p.done = [&written](Status st) { written.set_value(st); };
    enqueue(std::move(p));
    return done.get();
  }

  Status scan_ledger(std::string_view account, uint64_t before,
                     const std::function<bool(const LedgerEntry&)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
    std::string prefix = "G";
    if (!account.empty()) {
      prefix.append(account);
      prefix.push_back('\0');
    }
    std::string v;
    auto visit = [&](const std::string& key) -> std::optional<Status> {
      const size_t nul = key.find('\0', 1);
      if (nul == std::string::npos || key.size() != nul + 9)
        return Status{Status::Code::kCorrupt, "ledger key of the wrong shape"};
      auto s = db_->Get(rocksdb::ReadOptions(), index_, key, &v);
      if (s.IsNotFound()) return std::nullopt;
      if (!s.ok()) return io(s);
      if (v.size() < 17) return Status{Status::Code::kCorrupt, "ledger entry too short"};
      LedgerEntry e;
      e.position = be_of(std::string_view(key).substr(nul + 1), 8);
      e.posting.account = key.substr(1, nul - 1);
      e.posting.at_ms = int64_t(be_of(std::string_view(v).substr(0, 8), 8));
      e.posting.amount = int64_t(be_of(std::string_view(v).substr(8, 8), 8));
      const size_t sep = v.find('\0', 16);
      e.posting.kind = v.substr(16, sep == std::string::npos ? std::string::npos : sep - 16);
      if (sep != std::string::npos) {
        const size_t sep2 = v.find('\0', sep + 1);
        e.posting.ref =
            v.substr(sep + 1, sep2 == std::string::npos ? std::string::npos : sep2 - sep - 1);
        if (sep2 != std::string::npos) e.posting.memo = v.substr(sep2 + 1);
      }
      if (!fn(e)) return Status{};
      return std::nullopt;
    };
    if (account.empty()) {  // every account, ascending
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
        if (auto st = visit(it->key().ToString())) return *st;
      return io(it->status());
    }
    it->SeekForPrev(before == 0 ? prefix + std::string(8, char(0xff))
                                : ledger_key(account, before - 1));
    for (; it->Valid() && it->key().starts_with(prefix); it->Prev())
      if (auto st = visit(it->key().ToString())) return *st;
    return io(it->status());
  }

  Status scan_pull(BuyerId buyer, uint64_t after,
                   const std::function<bool(uint64_t, std::string_view)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
    const std::string prefix = "P" + be_bytes(uint64_t(buyer), 8);
    std::string v;
    for (it->Seek(pull_key(buyer, after + 1)); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      // The value by Get (see scan_state): the lead id, written by the commit thread.
      const std::string key = it->key().ToString();
      if (key.size() != 17) return {Status::Code::kCorrupt, "pull key of the wrong size"};
      auto s = db_->Get(rocksdb::ReadOptions(), index_, key, &v);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return io(s);
      if (!fn(be_of(std::string_view(key).substr(9), 8), v)) break;
    }
    return io(it->status());
  }

  Status put_state(std::string_view key, std::string_view value) override {
    return io(db_->Put(synced(), state_, rocksdb::Slice(key.data(), key.size()),
                       rocksdb::Slice(value.data(), value.size())));
  }
  Status put_state(std::string_view key, std::string_view value,
                   const std::vector<OutboxPut>& outbox) override {
    rocksdb::WriteBatch batch;
    batch.Put(state_, rocksdb::Slice(key.data(), key.size()),
              rocksdb::Slice(value.data(), value.size()));
    for (const auto& o : outbox) add_delivery(batch, o);
    Status st = io(db_->Write(synced(), &batch));
    if (st.ok()) notify_outbox(outbox);
    return st;
  }

  Status write_state(const std::vector<StateWrite>& writes,
                     const std::vector<OutboxPut>& outbox) override {
    rocksdb::WriteBatch batch;
    for (const auto& w : writes) {
      const rocksdb::Slice key(w.key.data(), w.key.size());
      if (w.value)
        batch.Put(state_, key, rocksdb::Slice(w.value->data(), w.value->size()));
      else
        batch.Delete(state_, key);
    }
    for (const auto& o : outbox) add_delivery(batch, o);
    Status st = io(db_->Write(synced(), &batch));
    if (st.ok()) notify_outbox(outbox);
    return st;
  }

  // Big-endian integers in keys (so that they sort as numbers).
  static std::string be_bytes(uint64_t v, int n) {
    std::string b(size_t(n), '\0');
    for (int i = n - 1; i >= 0; --i, v >>= 8) b[size_t(i)] = char(v & 0xff);
    return b;
  }
  static uint64_t be_of(std::string_view b, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < b.size(); ++i) v = (v << 8) | uint8_t(b[i]);
    return v;
  }
  // Config CF keys: "head" -> 8-byte big-endian version + document; "c" + 8-byte version -> change.
  static std::string version_bytes(uint64_t v) { return be_bytes(v, 8); }
  static uint64_t version_of(std::string_view b) { return be_of(b, 8); }

  Status put_config(uint64_t version, std::string_view document, std::string_view change,
                    const std::vector<OutboxPut>& outbox) override {
    rocksdb::WriteBatch batch;
    for (const auto& o : outbox) add_delivery(batch, o);
    std::string head = version_bytes(version);
    head.append(document);
    batch.Put(config_, "head", head);
    batch.Put(config_, "c" + version_bytes(version), rocksdb::Slice(change.data(), change.size()));
    Status st = io(db_->Write(synced(), &batch));
    if (st.ok()) notify_outbox(outbox);
    return st;
  }

  // ---- the outbox ---------------------------------------------------------------------------
  // Outbox family keys:
  //   'd' id                          -> the delivery (encode_delivery)
  //   's' destination(8) due(8) id    -> "" while the delivery waits
  static std::string schedule_key(uint64_t destination, int64_t due_ms, std::string_view id) {
    std::string k(1, 's');
    k += be_bytes(destination, 8);
    k += be_bytes(uint64_t(std::max<int64_t>(due_ms, 0)), 8);
    k.append(id);
    return k;
  }
  static std::string delivery_key(std::string_view id) { return std::string(1, 'd').append(id); }
  void add_delivery(rocksdb::WriteBatch& batch, const OutboxPut& o) {
    batch.Put(outbox_, delivery_key(o.id), o.record);
    batch.Put(outbox_, schedule_key(o.destination, o.due_ms, o.id), rocksdb::Slice());
  }
  void notify_outbox(const std::vector<OutboxPut>& outbox) {
    if (outbox.empty()) return;
    OutboxListener* l = outbox_listener_.get();
    if (l == nullptr) return;
    for (const auto& o : outbox) (*l)(o.destination, o.due_ms);
  }

  void add_deliveries(std::vector<OutboxPut> puts) override {
    if (puts.empty()) return;
    Pending p;
    p.extras.outbox = std::move(puts);
    p.done = [](Status) {};
    enqueue(std::move(p));
  }

  void set_outbox_listener(OutboxListener fn) override {
    outbox_listener_ = std::make_unique<OutboxListener>(std::move(fn));
  }

  Status put_deliveries(const std::vector<OutboxPut>& puts) override {
    rocksdb::WriteBatch batch;
    for (const auto& o : puts) add_delivery(batch, o);
    Status st = io(db_->Write(synced(), &batch));
    if (st.ok()) notify_outbox(puts);
    return st;
  }

  Status scan_destinations(const std::function<void(uint64_t, int64_t)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), outbox_));
    it->Seek("s");
    while (it->Valid() && it->key().starts_with("s")) {
      rocksdb::Slice k = it->key();
      if (k.size() < 17) return {Status::Code::kCorrupt, "outbox schedule key of the wrong size"};
      const uint64_t dest = be_of(std::string_view(k.data() + 1, 8), 8);
      fn(dest, int64_t(be_of(std::string_view(k.data() + 9, 8), 8)));
      if (dest == UINT64_MAX) break;
      it->Seek("s" + be_bytes(dest + 1, 8));  // the next destination's first entry
    }
    return io(it->status());
  }

  Status scan_due(uint64_t destination, int64_t from_due, std::string_view from_id,
                  const std::function<bool(int64_t, std::string_view)>& fn) override {
    const std::string prefix = schedule_key(destination, from_due, from_id);
    const std::string end = destination == UINT64_MAX ? "t" : "s" + be_bytes(destination + 1, 8);
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, outbox_));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() < 17) return {Status::Code::kCorrupt, "outbox schedule key of the wrong size"};
      if (!fn(int64_t(be_of(std::string_view(k.data() + 9, 8), 8)),
              std::string_view(k.data() + 17, k.size() - 17)))
        break;
    }
    return io(it->status());
  }

  Read<OutboxDelivery> read_delivery(std::string_view id) override {
    return read(outbox_, delivery_key(id), [](std::string_view v) { return decode_delivery(v); });
  }

  Status update_delivery(const OutboxDelivery& d, int64_t old_due_ms) override {
    rocksdb::WriteBatch batch;
    batch.Put(outbox_, delivery_key(d.id), encode_delivery(d));
    const std::string old_key =
        old_due_ms >= 0 ? schedule_key(d.destination, old_due_ms, d.id) : std::string();
    const std::string new_key = d.status == DeliveryStatus::kPending
                                    ? schedule_key(d.destination, d.next_attempt_ms, d.id)
                                    : std::string();
    if (!old_key.empty() && old_key != new_key) batch.Delete(outbox_, old_key);
    if (!new_key.empty() && old_key != new_key) batch.Put(outbox_, new_key, rocksdb::Slice());
    return io(db_->Write(rocksdb::WriteOptions(), &batch));
  }

  // Alert records: 'a' + time (8, big-endian) + a sequence (8) -> JSON. The cursor is the key's
  // 16 bytes as 32 hex digits.
  Status put_alert(int64_t at_ms, std::string_view record,
                   const std::vector<OutboxPut>& outbox) override {
    rocksdb::WriteBatch batch;
    const std::string key = "a" + be_bytes(uint64_t(std::max<int64_t>(at_ms, 0)), 8) +
                            be_bytes(alert_seq_.fetch_add(1) + 1, 8);
    batch.Put(outbox_, key, rocksdb::Slice(record.data(), record.size()));
    for (const auto& o : outbox) add_delivery(batch, o);
    Status st = io(db_->Write(synced(), &batch));
    if (st.ok()) notify_outbox(outbox);
    return st;
  }

  Status scan_alerts(std::string_view before,
                     const std::function<bool(std::string_view, std::string_view)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), outbox_));
    std::string from = "b";
    if (!before.empty()) {
      std::string raw;
      if (before.size() != 32 || !hex_decode(before, raw))
        return {Status::Code::kCorrupt, "not an alert cursor"};
      from = "a" + raw;
    }
    it->SeekForPrev(from);
    if (it->Valid() && it->key() == rocksdb::Slice(from)) it->Prev();
    for (; it->Valid() && it->key().starts_with("a"); it->Prev()) {
      rocksdb::Slice k = it->key();
      if (k.size() != 17) return {Status::Code::kCorrupt, "alert key of the wrong size"};
      const std::string cursor = hex_encode(std::string_view(k.data() + 1, 16));
      std::string value;  // through Get (see scan_deliveries)
      auto gs = db_->Get(rocksdb::ReadOptions(), outbox_, k, &value);
      if (gs.IsNotFound()) continue;
      if (!gs.ok()) return io(gs);
      if (!fn(cursor, value)) break;
    }
    return io(it->status());
  }

  Status scan_deliveries(std::string_view before,
                         const std::function<bool(const OutboxDelivery&)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), outbox_));
    if (before.empty()) {
      it->SeekForPrev("e");
    } else {
      const std::string from = delivery_key(before);
      it->SeekForPrev(from);
      if (it->Valid() && it->key() == rocksdb::Slice(from)) it->Prev();
    }
    std::string value;
    for (; it->Valid() && it->key().starts_with("d"); it->Prev()) {
      // The value through Get, copied by RocksDB: an iterator's value points into the memtable,
      // which the sender's thread writes with atomics ThreadSanitizer cannot see in the Debian
      // library (the copy is RocksDB's own, and its suppression covers it).
      auto gs = db_->Get(rocksdb::ReadOptions(), outbox_, it->key(), &value);
      if (gs.IsNotFound()) continue;  // dropped since the iterator was made
      if (!gs.ok()) return io(gs);
      auto d = decode_delivery(value);
      if (!d) return {Status::Code::kCorrupt, "outbox delivery does not decode"};
      if (!fn(*d)) break;
    }
    return io(it->status());
  }

  Read<ConfigRecord> read_config() override {
    Read<ConfigRecord> r;
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), config_, "head", &v);
    if (s.IsNotFound()) return r;
    if (!s.ok()) {
      r.status = {Status::Code::kIoError, s.ToString()};
      return r;
    }
    if (v.size() < 8) {
      r.status = {Status::Code::kCorrupt, "configuration head record too short"};
      return r;
    }
    r.value = ConfigRecord{version_of(v), v.substr(8)};
    return r;
  }

  Status scan_changes(uint64_t after, bool newest_first,
                      const std::function<bool(uint64_t, std::string_view)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), config_));
    auto visit = [&]() {
      rocksdb::Slice k = it->key();
      if (k.size() != 9 || k[0] != 'c') return false;
      return fn(version_of(std::string_view(k.data() + 1, 8)),
                std::string_view(it->value().data(), it->value().size()));
    };
    if (newest_first) {
      if (after == 0)
        it->SeekForPrev("d");
      else
        it->SeekForPrev("c" + version_bytes(after - 1));
      for (; it->Valid() && visit(); it->Prev()) {
      }
    } else {
      for (it->Seek("c" + version_bytes(after + 1)); it->Valid() && visit(); it->Next()) {
      }
    }
    if (!it->status().ok()) return {Status::Code::kIoError, it->status().ToString()};
    return {};
  }

  // ---- suppression lists -------------------------------------------------------------------
  // Lists family keys (ids and generations big-endian, so a list's records are contiguous):
  //   'm' id            -> generation (4) + entry count (8)
  //   'c' id gen chunk  -> up to kListChunk keys, 8 bytes each, little-endian
  //   'd' id key        -> 1 (added) or 0 (removed) since the generation was written
  static constexpr size_t kListChunk = 65536;
  static std::string list_key(char tag, int64_t id) {
    std::string k(1, tag);
    k += version_bytes(uint64_t(id));
    return k;
  }
  static std::string be32(uint32_t v) { return be_bytes(v, 4); }
  static uint32_t be32_of(std::string_view b) { return uint32_t(be_of(b, 4)); }

  // The list's current generation (0: none written).
  uint32_t list_generation(int64_t id) {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), lists_, list_key('m', id), &v);
    return s.ok() && v.size() >= 4 ? be32_of(v) : 0;
  }

  Status write_list(int64_t id, const std::vector<uint64_t>& keys) override {
    std::lock_guard lock(lists_mu_);
    const uint32_t gen = list_generation(id) + 1;
    const std::string prefix = list_key('c', id) + be32(gen);
    rocksdb::WriteOptions unsynced;  // in the WAL: the synced head write below syncs them too
    rocksdb::WriteBatch batch;
    std::string value;
    for (size_t i = 0, chunk = 0; i < keys.size(); i += kListChunk, ++chunk) {
      const size_t n = std::min(kListChunk, keys.size() - i);
      value.resize(n * 8);
      for (size_t k = 0; k < n; ++k) put_le64(value.data() + k * 8, keys[i + k]);
      batch.Put(lists_, prefix + be32(uint32_t(chunk)), value);
      if (batch.GetDataSize() >= (8u << 20)) {
        if (auto st = io(db_->Write(unsynced, &batch)); !st.ok()) return st;
        batch.Clear();
      }
    }
    std::string head = be32(gen) + version_bytes(keys.size());
    batch.Put(lists_, list_key('m', id), head);
    batch.DeleteRange(lists_, list_key('c', id), list_key('c', id) + be32(gen));
    batch.DeleteRange(lists_, list_key('d', id), list_key('d', id + 1));
    return io(db_->Write(synced(), &batch));
  }

  Status put_list_change(int64_t id, uint64_t key, bool present) override {
    std::lock_guard lock(lists_mu_);
    rocksdb::WriteBatch batch;
    if (list_generation(id) == 0) batch.Put(lists_, list_key('m', id), be32(0) + version_bytes(0));
    batch.Put(lists_, list_key('d', id) + version_bytes(key),
              present ? "\1" : std::string(1, '\0'));
    return io(db_->Write(synced(), &batch));
  }

  Status drop_list(int64_t id) override {
    std::lock_guard lock(lists_mu_);
    rocksdb::WriteBatch batch;
    batch.Delete(lists_, list_key('m', id));
    batch.DeleteRange(lists_, list_key('c', id), list_key('c', id + 1));
    batch.DeleteRange(lists_, list_key('d', id), list_key('d', id + 1));
    return io(db_->Write(synced(), &batch));
  }

  Status load_lists(const std::function<void(ListImage&&)>& fn) override {
    std::lock_guard lock(lists_mu_);
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // read once
    std::unique_ptr<rocksdb::Iterator> heads(db_->NewIterator(ro, lists_));
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, lists_));
    rocksdb::WriteBatch garbage;
    std::vector<int64_t> ids;
    for (heads->Seek("m"); heads->Valid() && heads->key().starts_with("m"); heads->Next()) {
      rocksdb::Slice k = heads->key(), v = heads->value();
      if (k.size() != 9 || v.size() != 12)
        return {Status::Code::kCorrupt, "list head record of the wrong size"};
      const int64_t id = int64_t(version_of(std::string_view(k.data() + 1, 8)));
      const uint32_t gen = be32_of(std::string_view(v.data(), 4));
      const uint64_t count = version_of(std::string_view(v.data() + 4, 8));
      ids.push_back(id);
      ListImage img;
      img.id = id;
      img.keys.reserve(count);
      const std::string prefix = list_key('c', id) + be32(gen);
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        rocksdb::Slice c = it->value();
        if (c.size() % 8 != 0) return {Status::Code::kCorrupt, "list chunk of the wrong size"};
        for (size_t i = 0; i < c.size(); i += 8)
          img.keys.push_back(uint64_t(decode_i64(std::string_view(c.data() + i, 8))));
      }
      if (img.keys.size() != count)
        return {Status::Code::kCorrupt, "list " + std::to_string(id) + " has " +
                                            std::to_string(img.keys.size()) + " of its " +
                                            std::to_string(count) + " entries"};
      // A later generation an interrupted write_list left behind.
      garbage.DeleteRange(lists_, list_key('c', id) + be32(gen + 1), list_key('c', id + 1));
      const std::string dprefix = list_key('d', id);
      for (it->Seek(dprefix); it->Valid() && it->key().starts_with(dprefix); it->Next()) {
        if (it->key().size() != 17)
          return {Status::Code::kCorrupt, "list change of the wrong size"};
        img.changes.emplace_back(version_of(std::string_view(it->key().data() + 9, 8)),
                                 !it->value().empty() && it->value()[0] == 1);
      }
      fn(std::move(img));
    }
    if (!heads->status().ok()) return io(heads->status());
    // Chunks of lists without a head: a first write_list interrupted, or a list dropped.
    for (it->Seek("c"); it->Valid() && it->key().starts_with("c");) {
      if (it->key().size() < 9) break;
      const int64_t id = int64_t(version_of(std::string_view(it->key().data() + 1, 8)));
      if (std::find(ids.begin(), ids.end(), id) == ids.end())
        garbage.DeleteRange(lists_, list_key('c', id), list_key('c', id + 1));
      it->Seek(list_key('c', id + 1));
    }
    if (garbage.Count() == 0) return {};
    return io(db_->Write(rocksdb::WriteOptions(), &garbage));
  }

  Status scan_state(std::string_view prefix, bool reverse,
                    const std::function<bool(std::string_view, std::string_view)>& fn) override {
    // Keys from the iterator, values by Get (a value read through an iterator from a memtable
    // another thread wrote is a report under TSan; a Get is not).
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), state_));
    const rocksdb::Slice p(prefix.data(), prefix.size());
    if (!reverse) {
      it->Seek(p);
    } else {
      std::string end(prefix);
      while (!end.empty() && uint8_t(end.back()) == 0xff) end.pop_back();
      if (end.empty()) {
        it->SeekToLast();
      } else {
        end.back() = char(uint8_t(end.back()) + 1);
        it->SeekForPrev(end);
        if (it->Valid() && it->key() == rocksdb::Slice(end)) it->Prev();
      }
    }
    std::string v;
    for (; it->Valid() && it->key().starts_with(p); reverse ? it->Prev() : it->Next()) {
      const std::string key = it->key().ToString();
      auto s = db_->Get(rocksdb::ReadOptions(), state_, key, &v);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return io(s);
      if (!fn(key, v)) return {};
    }
    return io(it->status());
  }
  Status delete_state(std::string_view key) override {
    return io(db_->Delete(synced(), state_, rocksdb::Slice(key.data(), key.size())));
  }

  std::optional<std::string> get_state(std::string_view key) override {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), state_, rocksdb::Slice(key.data(), key.size()), &v);
    if (!s.ok()) return std::nullopt;
    return v;
  }

  size_t count_entries(Space space) override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), space == Space::kDedup ? dedup_ : requests_));
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    return n;
  }

  void compact_expiring() override { compact({dedup_, requests_, counters_, debug_, rollups_}); }
  void compact_all() override { compact(handles_); }
  void compact(const std::vector<rocksdb::ColumnFamilyHandle*>& families) {
    rocksdb::CompactRangeOptions o;
    o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (auto* cf : families) db_->CompactRange(o, cf, nullptr, nullptr);
  }

  // Walks keys `prefix + time(8) + id` with time in [from, to), newest first.
  template <typename Fn>
  void scan_desc(const std::string& prefix, UnixMs from_ms, UnixMs to_ms,
                 const std::optional<LeadCursor>& after, Fn&& fn) {
    if (to_ms <= from_ms) return;
    std::string lower = prefix, upper = prefix;
    put_ordered_i64(lower, from_ms);
    std::string start;  // empty: from the newest (no cursor, or one newer than the range)
    if (after && after->created_ms < to_ms) {
      start = prefix;
      put_ordered_i64(start, after->created_ms);
      start += after->id;
    }
    put_ordered_i64(upper, to_ms);  // exclusive
    rocksdb::ReadOptions ro;
    rocksdb::Slice lo(lower);
    rocksdb::Slice hi(upper);
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &hi;
    // Searches and exports walk many index blocks once: they do not push the lead path's blocks
    // (dedup, leads) out of the shared block cache (issue 19).
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, index_));
    if (!start.empty()) {
      it->SeekForPrev(start);
      if (it->Valid() && it->key() == rocksdb::Slice(start)) it->Prev();  // strictly after
    } else {
      it->SeekToLast();
    }
    for (; it->Valid(); it->Prev()) {
      std::string_view key(it->key().data(), it->key().size());
      if (key.size() < prefix.size() + 8 || key.compare(0, prefix.size(), prefix) != 0) break;
      if (!fn(key, std::string_view(it->value().data(), it->value().size()))) break;
    }
  }

  // Index entries of a lead: the time entry always, field entries on first save only, for the
  // fields in `only` (every field when null).
  static void index_entries(const Lead& lead, const std::vector<std::string>* only,
                            std::vector<std::pair<std::string, std::string>>& out,
                            bool with_fields = true) {
    std::string t = time_prefix(lead.campaign_id);
    put_ordered_i64(t, lead.created_ms);
    t += lead.id;
    out.emplace_back(std::move(t), index_value(lead));
    if (!with_fields) return;
    size_t n = 0;
    for (const auto& [name, value] : lead.fields) {
      if (!indexable_field(name, value)) continue;
      if (only && std::find(only->begin(), only->end(), name) == only->end()) continue;
      if (++n > kMaxIndexedFields) break;
      std::string k = field_prefix(lead.campaign_id, name, value);
      put_ordered_i64(k, lead.created_ms);
      k += lead.id;
      out.emplace_back(std::move(k), std::string());
    }
  }

  StoreStats stats() const override {
    return StoreStats{commits_.load(), leads_written_.load(), writes_.load(), group_waits_.load()};
  }

  void render_metrics(std::string& out) const override {
    const StoreStats st = stats();
    auto counter = [&](const char* name, const char* help, uint64_t v) {
      render_metric(out, name, "counter", help, int64_t(v));
    };
    counter("pingpost_storage_commits_total", "Group commits (one synced write each).", st.commits);
    counter("pingpost_storage_writes_total", "Writes committed (leads, lead updates, rollups).",
            st.writes);
    counter("pingpost_storage_group_waits_total",
            "Groups whose first write waited briefly for others to share its fsync.",
            st.group_waits);
    render_metric_header(out, "pingpost_storage_queue_wait_seconds", "histogram",
                         "Time a write waited before its group's write began.");
    queue_wait_.render(out, "pingpost_storage_queue_wait_seconds", "");
    render_metric_header(out, "pingpost_storage_commit_seconds", "histogram",
                         "A group's write: WAL, fsync and memtables.");
    commit_time_.render(out, "pingpost_storage_commit_seconds", "");
  }

  void close() override {
    {
      std::lock_guard lk(mu_);
      if (closed_) return;
      closed_ = true;
      cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    if (db_) {
      db_->FlushWAL(true);
      rocksdb::FlushOptions fo;
      db_->Flush(fo, {leads_, debug_, counters_, dedup_, requests_, state_, rollups_, index_});
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
      handles_.clear();
      db_->Close();
      db_.reset();
    }
  }

 private:
  using Clock = std::chrono::steady_clock;

  struct Pending {
    std::string key;
    std::string lead;
    std::string debug;
    LeadExtras extras;
    Done done;
    std::vector<std::pair<std::string, std::string>> index;
    std::vector<std::pair<std::string, std::string>> state;       // put_state_later
    std::vector<std::pair<std::string, std::string>> debug_puts;  // save_late_checks
    Clock::time_point queued{};
  };

  void enqueue(Pending p) {
    const auto now = Clock::now();
    {
      std::lock_guard lk(mu_);
      if (!closed_) {
        p.queued = now;
        // Moving average (1/8) of the gaps between writes, for the group wait.
        const int64_t gap =
            std::chrono::duration_cast<std::chrono::microseconds>(now - last_enqueue_).count();
        last_enqueue_ = now;
        gap_avg_us_ += (std::min<int64_t>(gap, 1'000'000) - gap_avg_us_) / 8;
        // Did this write overlap another (one still queued, or a group being written)? A lone
        // client sends its next lead after the previous answer, which comes after its group's
        // write ended, so its writes never overlap.
        const int64_t overlap = (writing_ || !queue_.empty()) ? 1024 : 0;
        overlap_avg_ += (overlap - overlap_avg_) / 8;
        queue_.push_back(std::move(p));
        // The commit thread needs a wake-up only when idle, or when a group it gathers is full;
        // while it writes it takes what queued when it comes back.
        if (writer_idle_ || queue_.size() >= opts_.max_group) cv_.notify_one();
        return;
      }
    }
    p.done(Status{Status::Code::kShutdown, "storage is closed"});
  }

  // Whether the first write of a group should wait for company (see StoreOptions::group_wait_us):
  // the group is short and writes arrive often enough that others will come within the wait.
  // A lone client that sends its next lead after the previous answer never finds company, so the
  // wait also needs writes that overlapped lately (more than one in eight of the recent ones).
  bool should_gather() const {
    return opts_.group_wait_us > 0 && !closed_ && queue_.size() < opts_.max_group &&
           gap_avg_us_ < opts_.group_wait_us && overlap_avg_ > 128;
  }

  void commit_loop() {
    std::vector<Pending> group;
    for (;;) {
      {
        std::unique_lock lk(mu_);
        writer_idle_ = true;
        cv_.wait(lk, [this] { return closed_ || !queue_.empty(); });
        writer_idle_ = false;
        if (queue_.empty() && closed_) return;
        if (should_gather()) {
          // Bounded from the first write's arrival: a write that queued during the previous
          // group's write has already waited, and does not wait again.
          const auto until = queue_.front().queued + std::chrono::microseconds(opts_.group_wait_us);
          if (until > Clock::now()) {
            group_waits_.fetch_add(1, std::memory_order_relaxed);
            cv_.wait_until(lk, until,
                           [this] { return closed_ || queue_.size() >= opts_.max_group; });
          }
        }
        size_t n = std::min(queue_.size(), opts_.max_group);
        writing_ = true;
        group.clear();
        for (size_t i = 0; i < n; ++i) {
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      rocksdb::WriteBatch merged;
      // Counter and rollup deltas of the whole group are summed per key first: leads of one
      // quarter hour share their supplier and buyer rows, so a group of n leads writes one
      // operand per row instead of n (fewer memtable inserts, cheaper reads). The batch is
      // atomic either way, so each lead's effects still land with it or not at all.
      counter_sum_.clear();
      rollup_sum_.clear();
      if (rollup_rows_.size() > kRollupRowsKept) rollup_rows_.clear();
      for (auto& p : group) {
        if (!p.key.empty()) merged.Put(leads_, p.key, p.lead);     // empty: rollups only
        if (!p.debug.empty()) merged.Put(debug_, p.key, p.debug);  // empty: a lead update
        for (const auto& [k, d] : p.extras.counter_deltas) counter_sum_[k] += d;
        for (const auto& e : p.extras.dedup)
          merged.Put(dedup_, e.key, encode_i64(e.expires_ms) + e.value);
        for (const auto& e : p.extras.requests)
          merged.Put(requests_, e.key, encode_i64(e.expires_ms) + e.value);
        for (const auto& d : p.extras.rollups) rollup::add_values(rollup_sum_[d.key], d.add);
        for (auto& e : p.index) index_sorted_.push_back(&e);
        for (const auto& [k, v] : p.state) merged.Put(state_, k, v);
        for (const auto& [k, v] : p.debug_puts) merged.Put(debug_, k, v);
        for (const auto& o : p.extras.outbox) add_delivery(merged, o);
        for (const Posting& g : p.extras.postings) {
          merged.Put(index_, ledger_key(g.account, ++ledger_position_), ledger_value(g));
          counter_sum_[balance_key(g.account)] += g.amount;
          counter_sum_[kLedgerSeq] += 1;
        }
        for (BuyerId b : p.extras.pull_buyers) {
          // The next position, in the order writes become visible (this thread writes them all).
          merged.Put(index_, pull_key(b, ++pull_position_), p.key);
          counter_sum_[pull_counter_key(b)] += 1;
        }
      }
      // Index entries in key order: the memtable's skip list keeps the last insert position, so
      // sorted inserts of the group search less than one full descent each.
      std::sort(index_sorted_.begin(), index_sorted_.end(),
                [](const auto* a, const auto* b) { return a->first < b->first; });
      for (const auto* e : index_sorted_) merged.Put(index_, e->first, e->second);
      index_sorted_.clear();
      for (const auto& [k, d] : counter_sum_) merged.Merge(counters_, k, encode_i64(d));
      // Statistics rows are written whole: the commit thread is their only writer, so it keeps
      // the rows it wrote lately and puts each row's new sum instead of a merge operand. A merge
      // costs a memtable search for the row's earlier operands (RocksDB folds every 16) on top of
      // the insert; a put is the insert alone, and a report reads one value instead of adding
      // operands up. Rows written before (operands or values) are read once, then kept.
      for (const auto& [k, v] : rollup_sum_) {
        auto it = rollup_rows_.find(k);
        if (it == rollup_rows_.end()) {
          rollup::Values current;
          std::string stored;
          rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), rollups_, k, &stored);
          if (rs.ok()) {
            decode_values(stored, current);
          } else if (!rs.IsNotFound()) {
            // Unreadable: add this group's sums as an operand, which stays correct without it.
            merged.Merge(rollups_, k, encode_values(v));
            continue;
          }
          it = rollup_rows_.emplace(k, std::move(current)).first;
        }
        rollup::add_values(it->second, v);
        merged.Put(rollups_, k, encode_values(it->second));
      }
      rocksdb::WriteOptions wo;
      wo.sync = opts_.sync;
      const auto began = Clock::now();
      for (const auto& p : group)
        queue_wait_.observe(
            std::chrono::duration_cast<std::chrono::microseconds>(began - p.queued).count());
      rocksdb::Status s = db_->Write(wo, &merged);
      commit_time_.observe(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - began).count());
      commits_.fetch_add(1, std::memory_order_relaxed);
      writes_.fetch_add(group.size(), std::memory_order_relaxed);
      Status st;
      if (!s.ok()) {
        st = Status{Status::Code::kIoError, s.ToString()};
        rollup_rows_.clear();  // they may hold sums that were not written: read them again
      } else {
        size_t leads = 0;
        for (const auto& p : group) leads += p.key.empty() ? 0 : 1;
        leads_written_.fetch_add(leads, std::memory_order_relaxed);
        for (const auto& p : group) notify_outbox(p.extras.outbox);
      }
      {
        std::lock_guard lk(mu_);
        writing_ = false;  // before the answers: a write they cause does not overlap this group
      }
      for (auto& p : group) p.done(st);
    }
  }

  StoreOptions opts_;
  // Commit thread only: per-group sums of counter and rollup deltas, in key order (see
  // commit_loop: sorted inserts are cheaper for the memtable).
  std::map<std::string, int64_t> counter_sum_;
  std::map<std::string, rollup::Values> rollup_sum_;
  // Commit thread only: the statistics rows as last written (see commit_loop), dropped whole
  // when they pass kRollupRowsKept (rows are quarter hours: old ones are rarely touched again).
  std::unordered_map<std::string, rollup::Values> rollup_rows_;
  static constexpr size_t kRollupRowsKept = 50'000;
  std::vector<const std::pair<std::string, std::string>*> index_sorted_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* leads_ = nullptr;
  rocksdb::ColumnFamilyHandle* debug_ = nullptr;
  rocksdb::ColumnFamilyHandle* counters_ = nullptr;
  uint64_t ledger_position_ = 0;  // the last ledger position given (commit thread; read at open)
  uint64_t pull_position_ = 0;    // the last pull position given (commit thread; read at open)
  rocksdb::ColumnFamilyHandle* dedup_ = nullptr;
  rocksdb::ColumnFamilyHandle* requests_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_ = nullptr;
  rocksdb::ColumnFamilyHandle* rollups_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* config_ = nullptr;
  rocksdb::ColumnFamilyHandle* lists_ = nullptr;
  rocksdb::ColumnFamilyHandle* outbox_ = nullptr;
  std::unique_ptr<OutboxListener> outbox_listener_;
  // Alert keys' sequence: unique within a millisecond (started from the clock: unique across
  // restarts too).
  std::atomic<uint64_t> alert_seq_{uint64_t(
      std::chrono::system_clock::now().time_since_epoch().count())};  // set before traffic, read by
                                                                      // any thread
  OutboxRetentionFilter outbox_filter_{opts_.outbox_retention_days};
  ExpiryFilter expiry_filter_;
  DebugRetentionFilter debug_filter_{opts_.debug_retention_days};
  CounterExpiryFilter counter_filter_;

  std::mutex lists_mu_;  // list writes read the head then write: one at a time
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool closed_ = false;
  bool writer_idle_ = false;          // the commit thread waits for work (mu_)
  bool writing_ = false;              // mu_: a group is being written
  int64_t overlap_avg_ = 0;           // mu_: moving average, 1024 = every write overlapped another
  Clock::time_point last_enqueue_{};  // mu_
  int64_t gap_avg_us_ = 1'000'000;    // mu_: moving average of the gaps between writes
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> group_waits_{0};
  Histogram queue_wait_;   // enqueue -> its group's write began
  Histogram commit_time_;  // a group's write (WAL, fsync, memtables)
  std::thread writer_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> leads_written_{0};
};

}  // namespace

LeadIndexEntry index_entry_of(const Lead& lead) {
  LeadIndexEntry e;
  e.created_ms = lead.created_ms;
  e.id = lead.id;
  e.supplier = lead.supplier_id;
  e.status = lead.status;
  e.returned = lead.returned;
  e.test = lead.test;
  e.repost = std::find(lead.tags.begin(), lead.tags.end(), "repost") != lead.tags.end();
  return e;
}

OutboxPut outbox_put(const OutboxDelivery& d) {
  return OutboxPut{d.id, d.destination, d.next_attempt_ms, encode_delivery(d)};
}

std::unique_ptr<Store> Store::open(const std::string& dir, const StoreOptions& options,
                                   std::string& error) {
  auto s = std::make_unique<RocksStore>(options);
  if (!s->open(dir, error)) return nullptr;
  return s;
}

}  // namespace pp::storage
