#pragma once
// Lead-path metrics for /metrics (Prometheus text format): stage latency, buyer ping and post
// latency as histograms (`_bucket`, `_sum`, `_count`, in seconds), and buyer outcomes by kind as
// counters, with `campaign` and `buyer` labels. Observing is lock-free for stages (a fixed set)
// and takes one short map lookup under a mutex per buyer series; never across an await.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/histogram.h"
#include "core/ids.h"
#include "core/lead.h"

namespace pp::engine {

class EngineMetrics {
 public:
  // A lead's or a ping's timeline: each stage's duration (refusals are counted, not timed).
  void observe_stages(const std::vector<StageRecord>& stages);
  void observe_stage(std::string_view stage, int64_t us);
  // A request a stage refused without storing it (authenticate's refusals are not counted: they
  // are the HTTP layer's 4xx).
  void count_refusal(std::string_view stage);
  // One buyer exchange's latency (`ping` or post).
  void observe_buyer_call(CampaignId campaign, BuyerId buyer, bool ping, int64_t us);
  // A stored lead, by campaign, supplier and status (pingpost_leads_total: the Prometheus rules in
  // configs/prometheus read error, duplicate and acceptance rates from it).
  void count_lead(CampaignId campaign, SupplierId supplier, LeadStatus status);
  // The outcome of a buyer for a stored lead, by kind (see outcome_kind).
  void count_outcome(CampaignId campaign, BuyerId buyer, std::string_view kind);

  // accepted, rejected, duplicate, no_bid, timeout, error, outbid, not_posted, or
  // skipped_<reason> (filter, cap, paused, circuit_open, no_time, duplicate, not_configured,
  // removed, other).
  static std::string_view outcome_kind(const BuyerOutcome& o, const BuyerDebug* d);

  void render(std::string& out) const;

  // One buyer's figures since the process started (the console's buyer health): calls and their
  // latency quantiles, outcomes by kind.
  struct CallSummary {
    uint64_t count = 0;
    int64_t p50_us = 0, p95_us = 0;
  };
  struct BuyerSummary {
    CampaignId campaign = 0;
    BuyerId buyer = 0;
    CallSummary ping, post;
    std::map<std::string, uint64_t> outcomes;  // kind -> count
  };
  std::vector<BuyerSummary> buyer_summaries() const;

 private:
  using Key = std::tuple<CampaignId, BuyerId, std::string>;
  std::array<Histogram, 16> stages_;
  std::array<std::atomic<bool>, 16> stage_seen_{};
  std::array<std::atomic<uint64_t>, 16> refusals_{};
  mutable std::mutex mu_;
  std::map<Key, std::unique_ptr<Histogram>> calls_;  // (campaign, buyer, "ping"|"post")
  std::map<Key, uint64_t> outcomes_;                 // (campaign, buyer, kind)
  std::map<std::tuple<CampaignId, SupplierId, LeadStatus>, uint64_t> leads_;
};

}  // namespace pp::engine
