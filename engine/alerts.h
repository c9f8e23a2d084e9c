#pragma once
// Monitoring and alerts (G5, issue 18). The monitor keeps, for each campaign, supplier and buyer
// that an alert rule names, one-minute buckets of the last hour (leads by status, buyer calls,
// timeouts, sales, a latency histogram): fed by every stored lead, read by the evaluator. The
// evaluator (its own thread, every few seconds) turns the rules' crossings into alert.fired and
// alert.resolved records, each written durably with its notifications (webhooks, email) in one
// batch, and kept as the history GET /admin/alerts serves.
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/histogram.h"
#include "core/lead.h"
#include "engine/snapshot.h"
#include "storage/store.h"

namespace pp::engine {

class AlertMonitor {
 public:
  // A stored lead (called after its durable write, on the I/O thread; cheap when no rule names
  // its campaign, supplier or buyers).
  void observe(const Config& cfg, const Lead& lead, const DebugLog& debug, UnixMs now);

  // A rule's figure over its window now.
  struct Reading {
    double value = 0;
    uint64_t sample = 0;     // leads or calls in the window (no_leads: 0)
    bool evaluable = false;  // enough sample (always, for no_leads)
  };
  Reading read(const AlertRule& rule, UnixMs now) const;

  // Leads are counted from here on (no_leads counts from the start for a scope never seen).
  void started(UnixMs now) { started_ms_ = now; }

 private:
  struct Bucket {
    int64_t minute = -1;
    uint32_t leads = 0, errors = 0, duplicates = 0, accepted = 0;
    uint32_t calls = 0, timeouts = 0, sold = 0;
    std::array<uint32_t, Histogram::kBoundsUs.size() + 1> latency{};
  };
  struct Series {
    std::array<Bucket, 60> buckets;
    UnixMs last_lead_ms = 0;
    Bucket& at(int64_t minute) {
      Bucket& b = buckets[size_t(minute % 60)];
      if (b.minute != minute) b = Bucket{minute};
      return b;
    }
  };
  using Key = std::pair<AlertRule::Scope, int64_t>;
  static bool watched(const Config& cfg, AlertRule::Scope s, int64_t id);

  mutable std::mutex mu_;
  std::map<Key, Series> series_;
  UnixMs started_ms_ = 0;
};

// The evaluator: a thread that reads the monitor every `interval` and records what changed.
class AlertRunner {
 public:
  struct Options {
    std::function<SnapshotPtr()> snapshot;
    std::chrono::milliseconds interval{5000};
  };
  AlertRunner(AlertMonitor& monitor, storage::Store& store, const Clock& clock, Options o);
  ~AlertRunner();

  // Reads the last state of every rule from the history (a rule firing before a restart is still
  // firing), then evaluates every interval.
  void start();
  void stop();
  // One evaluation now (tests; the thread calls it too). Returns the records written.
  size_t evaluate();

  // The rules' states now, for GET /admin/alerts.
  struct State {
    int64_t rule_id = 0;
    bool firing = false;
    UnixMs since_ms = 0;
    UnixMs last_fired_ms = 0;
    double value = 0;
    uint64_t sample = 0;
  };
  std::vector<State> states() const;

 private:
  void restore();
  AlertMonitor& monitor_;
  storage::Store& store_;
  const Clock& clock_;
  Options opts_;
  mutable std::mutex mu_;  // states_; one evaluation at a time
  std::map<int64_t, State> states_;
  std::thread thread_;
  std::condition_variable cv_;
  std::mutex wait_mu_;
  bool stopping_ = false;
};

// An alert record's JSON (the history, and the data of alert.* events).
std::string alert_record(const AlertRule& rule, bool fired, const AlertMonitor::Reading& r,
                         UnixMs at);

}  // namespace pp::engine
