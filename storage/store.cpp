#include "storage/store.h"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "core/cap_keys.h"
#include "storage/codec.h"

namespace pp::storage {

namespace {

constexpr const char* kLeadsCf = "leads";
constexpr const char* kDebugCf = "debug";
constexpr const char* kCountersCf = "counters";
constexpr const char* kDedupCf = "dedup";
constexpr const char* kRequestsCf = "requests";
constexpr const char* kStateCf = "state";

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string encode_i64(int64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[size_t(i)] = char(uint64_t(v) >> (8 * i));
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

    rocksdb::ColumnFamilyOptions counters_cf;
    counters_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(expiring_table));
    counters_cf.merge_operator = std::make_shared<AddOperator>();
    counters_cf.compaction_filter = &counter_filter_;
    counters_cf.periodic_compaction_seconds = 86400;

    std::vector<rocksdb::ColumnFamilyDescriptor> cfs{
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {kLeadsCf, leads_cf},
        {kDebugCf, debug_cf},
        {kCountersCf, counters_cf},
        {kDedupCf, expiring_cf},
        {kRequestsCf, expiring_cf},
        {kStateCf, rocksdb::ColumnFamilyOptions()},
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
    writer_ = std::thread([this] { commit_loop(); });
    return true;
  }

  void save_lead(const Lead& lead, const DebugLog& debug, LeadExtras extras, Done done) override {
    // Encoding happens on the caller's thread; the commit thread only copies bytes into the batch.
    enqueue(Pending{lead.id, encode_lead(lead), encode_debug(debug), std::move(extras),
                    std::move(done)});
  }

  std::optional<Lead> get_lead(std::string_view id) override {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), leads_, rocksdb::Slice(id.data(), id.size()), &v);
    if (!s.ok()) return std::nullopt;
    return decode_lead(v);
  }

  std::optional<DebugLog> get_debug(std::string_view id) override {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), debug_, rocksdb::Slice(id.data(), id.size()), &v);
    if (!s.ok()) return std::nullopt;
    return decode_debug(v);
  }

  void update_lead(const Lead& lead, Done done) override {
    enqueue(Pending{lead.id, encode_lead(lead), {}, {}, std::move(done)});
  }

  int64_t get_counter(std::string_view key) override {
    std::string v;
    auto s =
        db_->Get(rocksdb::ReadOptions(), counters_, rocksdb::Slice(key.data(), key.size()), &v);
    return s.ok() ? decode_i64(v) : 0;
  }

  std::optional<std::string> get_expiring(Space space, std::string_view key, int64_t now) override {
    std::string v;
    auto* cf = space == Space::kDedup ? dedup_ : requests_;
    auto s = db_->Get(rocksdb::ReadOptions(), cf, rocksdb::Slice(key.data(), key.size()), &v);
    if (!s.ok() || v.size() < 8 || decode_i64(std::string_view(v).substr(0, 8)) < now)
      return std::nullopt;
    return v.substr(8);
  }

  Status put_state(std::string_view key, std::string_view value) override {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Put(wo, state_, rocksdb::Slice(key.data(), key.size()),
                      rocksdb::Slice(value.data(), value.size()));
    return s.ok() ? Status{} : Status{Status::Code::kIoError, s.ToString()};
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

  void compact_expiring() override {
    rocksdb::CompactRangeOptions o;
    o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (auto* cf : {dedup_, requests_, counters_}) db_->CompactRange(o, cf, nullptr, nullptr);
  }

  StoreStats stats() const override { return StoreStats{commits_.load(), leads_written_.load()}; }

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
      db_->Flush(fo, {leads_, debug_, counters_, dedup_, requests_, state_});
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
      handles_.clear();
      db_->Close();
      db_.reset();
    }
  }

 private:
  struct Pending {
    std::string key;
    std::string lead;
    std::string debug;
    LeadExtras extras;
    Done done;
  };

  void enqueue(Pending p) {
    {
      std::lock_guard lk(mu_);
      if (!closed_) {
        queue_.push_back(std::move(p));
        cv_.notify_one();
        return;
      }
    }
    p.done(Status{Status::Code::kShutdown, "storage is closed"});
  }

  void commit_loop() {
    std::vector<Pending> group;
    for (;;) {
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return closed_ || !queue_.empty(); });
        if (queue_.empty() && closed_) return;
        size_t n = std::min(queue_.size(), opts_.max_group);
        group.clear();
        for (size_t i = 0; i < n; ++i) {
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      rocksdb::WriteBatch merged;
      for (auto& p : group) {
        merged.Put(leads_, p.key, p.lead);
        if (!p.debug.empty()) merged.Put(debug_, p.key, p.debug);  // empty: a lead update
        for (const auto& [k, d] : p.extras.counter_deltas)
          merged.Merge(counters_, k, encode_i64(d));
        for (const auto& e : p.extras.dedup)
          merged.Put(dedup_, e.key, encode_i64(e.expires_ms) + e.value);
        for (const auto& e : p.extras.requests)
          merged.Put(requests_, e.key, encode_i64(e.expires_ms) + e.value);
      }
      rocksdb::WriteOptions wo;
      wo.sync = opts_.sync;
      rocksdb::Status s = db_->Write(wo, &merged);
      commits_.fetch_add(1, std::memory_order_relaxed);
      Status st;
      if (!s.ok()) {
        st = Status{Status::Code::kIoError, s.ToString()};
      } else {
        leads_written_.fetch_add(group.size(), std::memory_order_relaxed);
      }
      for (auto& p : group) p.done(st);
    }
  }

  StoreOptions opts_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* leads_ = nullptr;
  rocksdb::ColumnFamilyHandle* debug_ = nullptr;
  rocksdb::ColumnFamilyHandle* counters_ = nullptr;
  rocksdb::ColumnFamilyHandle* dedup_ = nullptr;
  rocksdb::ColumnFamilyHandle* requests_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_ = nullptr;
  ExpiryFilter expiry_filter_;
  CounterExpiryFilter counter_filter_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool closed_ = false;
  std::thread writer_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> leads_written_{0};
};

}  // namespace

std::unique_ptr<Store> Store::open(const std::string& dir, const StoreOptions& options,
                                   std::string& error) {
  auto s = std::make_unique<RocksStore>(options);
  if (!s->open(dir, error)) return nullptr;
  return s;
}

}  // namespace pp::storage
