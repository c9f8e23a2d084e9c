#include "engine/metrics.h"

#include <algorithm>

#include "core/codes.h"
#include "engine/timeline.h"

namespace pp::engine {

namespace {

// The stages a timeline can hold, in order (their histograms' slots).
constexpr std::array<std::string_view, 16> kStages = {
    kStageAuthenticate, kStageRateLimit,      kStageRequestGuard,   kStagePingRecord,
    kStageFields,       kStageSupplierPaused, kStageComputedFields, kStageFilters,
    kStageDuplicates,   kStageSupplierCaps,   kStageChecks,         kStageDelivery,
    kStageSettlement,   kStageAuction,        kStagePreping,        kStageStorage};
static_assert(kStages.size() <= 16, "EngineMetrics holds 16 stage slots");

size_t stage_slot(std::string_view stage) {
  for (size_t i = 0; i < kStages.size(); ++i) {
    if (kStages[i] == stage) return i;
  }
  return kStages.size();
}

}  // namespace

std::vector<EngineMetrics::BuyerSummary> EngineMetrics::buyer_summaries() const {
  std::map<std::pair<CampaignId, BuyerId>, BuyerSummary> by;
  std::lock_guard lk(mu_);
  for (const auto& [key, h] : calls_) {
    const auto& [campaign, buyer, kind] = key;
    BuyerSummary& s = by[{campaign, buyer}];
    CallSummary& c = kind == "ping" ? s.ping : s.post;
    c.count = h->count();
    c.p50_us = h->quantile_us(0.50);
    c.p95_us = h->quantile_us(0.95);
  }
  for (const auto& [key, n] : outcomes_) {
    const auto& [campaign, buyer, kind] = key;
    by[{campaign, buyer}].outcomes[kind] = n;
  }
  std::vector<BuyerSummary> out;
  out.reserve(by.size());
  for (auto& [key, s] : by) {
    s.campaign = key.first;
    s.buyer = key.second;
    out.push_back(std::move(s));
  }
  return out;
}

void EngineMetrics::observe_stages(const std::vector<StageRecord>& stages) {
  for (const auto& s : stages) {
    if (s.verdict != StageVerdict::kRefuse) observe_stage(s.stage, s.duration_us);
  }
}

void EngineMetrics::observe_stage(std::string_view stage, int64_t us) {
  const size_t i = stage_slot(stage);
  if (i == kStages.size()) return;
  stages_[i].observe(us);
  stage_seen_[i].store(true, std::memory_order_relaxed);
}

void EngineMetrics::count_refusal(std::string_view stage) {
  const size_t i = stage_slot(stage);
  if (i < kStages.size()) refusals_[i].fetch_add(1, std::memory_order_relaxed);
}

void EngineMetrics::observe_buyer_call(CampaignId campaign, BuyerId buyer, bool ping, int64_t us) {
  Histogram* h;
  {
    std::lock_guard lk(mu_);
    auto& slot = calls_[Key{campaign, buyer, ping ? "ping" : "post"}];
    if (!slot) slot = std::make_unique<Histogram>();
    h = slot.get();  // stable: histograms are never removed
  }
  h->observe(us);
}

void EngineMetrics::count_outcome(CampaignId campaign, BuyerId buyer, std::string_view kind) {
  std::lock_guard lk(mu_);
  ++outcomes_[Key{campaign, buyer, std::string(kind)}];
}

void EngineMetrics::count_lead(CampaignId campaign, SupplierId supplier, LeadStatus status) {
  std::lock_guard lk(mu_);
  ++leads_[{campaign, supplier, status}];
}

std::string_view EngineMetrics::outcome_kind(const BuyerOutcome& o, const BuyerDebug* d) {
  const int c = o.error_code;
  switch (o.status) {
    case BuyerStatus::kAccepted:
      return "accepted";
    case BuyerStatus::kDuplicated:
      return c == code_int(Code::kDuplicated) ? "skipped_duplicate" : "duplicate";
    case BuyerStatus::kOutbid:
      return "outbid";
    case BuyerStatus::kPinged:
      return "not_posted";
    case BuyerStatus::kError:
      if (c == code_int(Code::kPingTimeout) || c == code_int(Code::kBuyerTimeout)) return "timeout";
      if (d && d->ping && !d->post) return "no_bid";  // declined, or failed, at the ping
      if (c == code_int(Code::kRejectedByBuyer)) return "rejected";
      return "error";
    case BuyerStatus::kSkipped:
      if (c == code_int(Code::kFiltered)) return "skipped_filter";
      if (c == code_int(Code::kBuyerCapReached)) return "skipped_cap";
      if (c == code_int(Code::kBuyerPaused)) return "skipped_paused";
      if (c == code_int(Code::kBuyerCircuitOpen)) return "skipped_circuit_open";
      if (c == code_int(Code::kBuyerBalanceLow)) return "skipped_balance";
      if (c == code_int(Code::kBuyerTimeout) || c == code_int(Code::kPingTimeout))
        return "skipped_no_time";
      if (c == code_int(Code::kBuyerNotConfigured))
        return o.error_message == "Buyer removed since the ping" ? "skipped_removed"
                                                                 : "skipped_not_configured";
      return "skipped_other";
  }
  return "error";
}

void EngineMetrics::render(std::string& out) const {
  out +=
      "# HELP pingpost_stage_duration_seconds Time a lead or a ping spent in each stage.\n"
      "# TYPE pingpost_stage_duration_seconds histogram\n";
  for (size_t i = 0; i < kStages.size(); ++i) {
    if (!stage_seen_[i].load(std::memory_order_relaxed)) continue;
    stages_[i].render(out, "pingpost_stage_duration_seconds",
                      "stage=\"" + std::string(kStages[i]) + "\"");
  }
  out +=
      "# HELP pingpost_stage_refusals_total Requests a stage refused without storing them.\n"
      "# TYPE pingpost_stage_refusals_total counter\n";
  for (size_t i = 0; i < kStages.size(); ++i) {
    const uint64_t n = refusals_[i].load(std::memory_order_relaxed);
    if (n != 0)
      out += "pingpost_stage_refusals_total{stage=\"" + std::string(kStages[i]) + "\"} " +
             std::to_string(n) + "\n";
  }
  std::lock_guard lk(mu_);
  out +=
      "# HELP pingpost_buyer_request_duration_seconds Buyer ping and post latency.\n"
      "# TYPE pingpost_buyer_request_duration_seconds histogram\n";
  for (const auto& [key, h] : calls_) {
    const auto& [campaign, buyer, kind] = key;
    h->render(out, "pingpost_buyer_request_duration_seconds",
              "campaign=\"" + std::to_string(campaign) + "\",buyer=\"" + std::to_string(buyer) +
                  "\",request=\"" + kind + "\"");
  }
  out +=
      "# HELP pingpost_leads_total Stored leads by campaign, supplier and status.\n"
      "# TYPE pingpost_leads_total counter\n";
  for (const auto& [key, n] : leads_) {
    const auto& [campaign, supplier, status] = key;
    std::string st(to_string(status));
    for (char& c : st) c = char(std::tolower(static_cast<unsigned char>(c)));
    out += "pingpost_leads_total{campaign=\"" + std::to_string(campaign) + "\",supplier=\"" +
           std::to_string(supplier) + "\",status=\"" + st + "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP pingpost_buyer_outcomes_total Buyer outcomes of stored leads, by kind.\n"
      "# TYPE pingpost_buyer_outcomes_total counter\n";
  for (const auto& [key, n] : outcomes_) {
    const auto& [campaign, buyer, kind] = key;
    out += "pingpost_buyer_outcomes_total{campaign=\"" + std::to_string(campaign) + "\",buyer=\"" +
           std::to_string(buyer) + "\",outcome=\"" + kind + "\"} " + std::to_string(n) + "\n";
  }
}

}  // namespace pp::engine
