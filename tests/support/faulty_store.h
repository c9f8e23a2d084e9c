#pragma once
// A storage::Store that delegates to a real one and fails point reads on demand, the way a disk
// error would (tests that storage errors never pass for "not found").
#include <atomic>
#include <memory>

#include "storage/store.h"

namespace pp::testkit {

class FaultyStore final : public storage::Store {
 public:
  explicit FaultyStore(std::unique_ptr<storage::Store> inner)
      : owned_(std::move(inner)), inner_(*owned_) {}
  std::atomic<bool> fail_reads{false};
  std::atomic<bool> fail_list_writes{false};
  std::atomic<bool> fail_outbox_writes{false};  // update_delivery fails
  static storage::Status io_error() { return {storage::Status::Code::kIoError, "injected"}; }

  void save_lead(const Lead& lead, const DebugLog& debug, storage::LeadExtras extras,
                 Done done) override {
    inner_.save_lead(lead, debug, std::move(extras), std::move(done));
  }
  void update_lead(const Lead& lead, std::vector<rollup::Delta> rollups,
                   std::vector<storage::OutboxPut> outbox, std::vector<storage::Posting> postings,
                   Done done) override {
    inner_.update_lead(lead, std::move(rollups), std::move(outbox), std::move(postings),
                       std::move(done));
  }
  void add_rollups(std::vector<rollup::Delta> deltas) override {
    inner_.add_rollups(std::move(deltas));
  }
  void scan_rollups(
      std::string_view begin, std::string_view end,
      const std::function<void(std::string_view, const rollup::Values&)>& fn) override {
    inner_.scan_rollups(begin, end, fn);
  }
  void compact_all() override { inner_.compact_all(); }
  bool any_rollup(std::string_view begin, std::string_view end) override {
    return inner_.any_rollup(begin, end);
  }
  void scan_campaign_leads(CampaignId campaign, UnixMs from_ms, UnixMs to_ms,
                           const std::optional<storage::LeadCursor>& after,
                           const std::function<bool(const storage::LeadIndexEntry&)>& fn) override {
    inner_.scan_campaign_leads(campaign, from_ms, to_ms, after, fn);
  }
  void scan_field_leads(CampaignId campaign, std::string_view name, std::string_view value,
                        UnixMs from_ms, UnixMs to_ms,
                        const std::optional<storage::LeadCursor>& after,
                        const std::function<bool(UnixMs, std::string_view)>& fn) override {
    inner_.scan_field_leads(campaign, name, value, from_ms, to_ms, after, fn);
  }
  storage::Read<int64_t> read_counter(std::string_view key) override {
    if (fail_reads) return failed<int64_t>();
    return inner_.read_counter(key);
  }
  std::optional<std::string> get_expiring(storage::Space space, std::string_view key,
                                          int64_t now_ms) override {
    return inner_.get_expiring(space, key, now_ms);
  }
  storage::Status put_state(std::string_view key, std::string_view value) override {
    return inner_.put_state(key, value);
  }
  storage::Status put_state(std::string_view key, std::string_view value,
                            const std::vector<storage::OutboxPut>& outbox) override {
    if (fail_outbox_writes && !outbox.empty()) return io_error();
    return inner_.put_state(key, value, outbox);
  }
  storage::Status write_state(const std::vector<StateWrite>& writes,
                              const std::vector<storage::OutboxPut>& outbox) override {
    if (fail_outbox_writes && !outbox.empty()) return io_error();
    return inner_.write_state(writes, outbox);
  }
  std::optional<std::string> get_state(std::string_view key) override {
    return inner_.get_state(key);
  }
  storage::Status scan_state(
      std::string_view prefix, bool reverse,
      const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_.scan_state(prefix, reverse, fn);
  }
  storage::Status delete_state(std::string_view key) override { return inner_.delete_state(key); }
  storage::Status scan_pull(BuyerId buyer, uint64_t after,
                            const std::function<bool(uint64_t, std::string_view)>& fn) override {
    return inner_.scan_pull(buyer, after, fn);
  }
  storage::Status post_ledger(std::vector<storage::Posting> postings,
                              std::vector<storage::OutboxPut> outbox,
                              std::vector<std::pair<std::string, std::string>> state) override {
    return inner_.post_ledger(std::move(postings), std::move(outbox), std::move(state));
  }
  storage::Status scan_ledger(std::string_view account, uint64_t before,
                              const std::function<bool(const storage::LedgerEntry&)>& fn) override {
    return inner_.scan_ledger(account, before, fn);
  }
  storage::Status put_config(uint64_t version, std::string_view document, std::string_view change,
                             const std::vector<storage::OutboxPut>& outbox) override {
    return inner_.put_config(version, document, change, outbox);
  }
  void set_outbox_listener(OutboxListener fn) override {
    inner_.set_outbox_listener(std::move(fn));
  }
  void add_deliveries(std::vector<storage::OutboxPut> puts) override {
    inner_.add_deliveries(std::move(puts));
  }
  storage::Status put_deliveries(const std::vector<storage::OutboxPut>& puts) override {
    return inner_.put_deliveries(puts);
  }
  storage::Status scan_destinations(const std::function<void(uint64_t, int64_t)>& fn) override {
    return inner_.scan_destinations(fn);
  }
  storage::Status scan_due(uint64_t destination, int64_t from_due, std::string_view from_id,
                           const std::function<bool(int64_t, std::string_view)>& fn) override {
    return inner_.scan_due(destination, from_due, from_id, fn);
  }
  storage::Read<OutboxDelivery> read_delivery(std::string_view id) override {
    return inner_.read_delivery(id);
  }
  storage::Status update_delivery(const OutboxDelivery& d, int64_t old_due_ms) override {
    return fail_outbox_writes ? io_error() : inner_.update_delivery(d, old_due_ms);
  }
  storage::Status put_alert(int64_t at_ms, std::string_view record,
                            const std::vector<storage::OutboxPut>& outbox) override {
    return inner_.put_alert(at_ms, record, outbox);
  }
  storage::Status scan_alerts(
      std::string_view before,
      const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_.scan_alerts(before, fn);
  }
  storage::Status scan_deliveries(std::string_view before,
                                  const std::function<bool(const OutboxDelivery&)>& fn) override {
    return inner_.scan_deliveries(before, fn);
  }
  storage::Read<storage::ConfigRecord> read_config() override { return inner_.read_config(); }
  storage::Status scan_changes(uint64_t after, bool newest_first,
                               const std::function<bool(uint64_t, std::string_view)>& fn) override {
    return inner_.scan_changes(after, newest_first, fn);
  }
  storage::Read<Lead> read_lead(std::string_view id, bool fill_cache) override {
    if (fail_reads) return failed<Lead>();
    return inner_.read_lead(id, fill_cache);
  }
  storage::Read<DebugLog> read_debug(std::string_view id) override {
    if (fail_reads) return failed<DebugLog>();
    return inner_.read_debug(id);
  }
  storage::StoreStats stats() const override { return inner_.stats(); }
  size_t count_entries(storage::Space space) override { return inner_.count_entries(space); }
  void compact_expiring() override { inner_.compact_expiring(); }
  storage::Status write_list(int64_t list, const std::vector<uint64_t>& keys) override {
    return fail_list_writes ? io_error() : inner_.write_list(list, keys);
  }
  storage::Status put_list_change(int64_t list, uint64_t key, bool present) override {
    return fail_list_writes ? io_error() : inner_.put_list_change(list, key, present);
  }
  storage::Status drop_list(int64_t list) override { return inner_.drop_list(list); }
  storage::Status load_lists(const std::function<void(storage::ListImage&&)>& fn) override {
    return inner_.load_lists(fn);
  }
  void save_late_checks(std::string_view lead_id, const std::vector<CheckRecord>& checks,
                        Done done) override {
    inner_.save_late_checks(lead_id, checks, std::move(done));
  }
  void close() override { inner_.close(); }

 private:
  template <class T>
  static storage::Read<T> failed() {
    storage::Read<T> r;
    r.status = {storage::Status::Code::kIoError, "IO error: injected"};
    return r;
  }
  std::unique_ptr<storage::Store> owned_;
  storage::Store& inner_;
};

}  // namespace pp::testkit
