#include "storage/store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/codec.h"

namespace pp::storage {

namespace {

constexpr const char* kLeadsCf = "leads";
constexpr const char* kDebugCf = "debug";

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

    std::vector<rocksdb::ColumnFamilyDescriptor> cfs{
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {kLeadsCf, leads_cf},
        {kDebugCf, debug_cf},
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
    writer_ = std::thread([this] { commit_loop(); });
    return true;
  }

  void save_lead(const Lead& lead, const DebugLog& debug, Done done) override {
    // Encoding happens on the caller's thread; the commit thread only copies bytes into the batch.
    Pending p{lead.id, encode_lead(lead), encode_debug(debug), std::move(done)};
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

  StoreStats stats() const override {
    return StoreStats{commits_.load(), leads_written_.load()};
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
      db_->Flush(fo, {leads_, debug_});
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
    Done done;
  };

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
        merged.Put(debug_, p.key, p.debug);
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
