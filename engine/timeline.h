#pragma once
// The lead's timeline (issue 13): the named stages a lead goes through, in order, each with its
// verdict, a short reason and its duration. Stored with the lead's debug log and served by
// GET /admin/leads/{id}/timeline.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lead.h"

namespace pp::engine {

// Stage names, in the order a lead meets them (a post of a ping adds ping_record).
inline constexpr std::string_view kStageAuthenticate = "authenticate";
inline constexpr std::string_view kStageRateLimit = "rate_limit";
inline constexpr std::string_view kStageRequestGuard = "request_guard";
inline constexpr std::string_view kStagePingRecord = "ping_record";
inline constexpr std::string_view kStageFields = "fields";
inline constexpr std::string_view kStageSupplierPaused = "supplier_paused";
inline constexpr std::string_view kStageComputedFields = "computed_fields";
inline constexpr std::string_view kStageFilters = "filters";
inline constexpr std::string_view kStageDuplicates = "duplicates";
inline constexpr std::string_view kStageSupplierCaps = "supplier_caps";
inline constexpr std::string_view kStageDelivery = "delivery";
inline constexpr std::string_view kStageSettlement = "settlement";

// Times consecutive stages: each mark closes the stage that ran since the previous mark.
// Tests only: called at the end of every stage with its name; it may throw to fail the lead there.
using StageFault = std::function<void(std::string_view stage)>;

class StageTimer {
 public:
  using Clock = std::chrono::steady_clock;
  StageTimer(std::vector<StageRecord>& out, Clock::time_point start,
             const StageFault* fault = nullptr)
      : out_(out), last_(start), fault_(fault) {}

  void mark(std::string_view stage, StageVerdict verdict = StageVerdict::kContinue,
            std::string reason = {}) {
    if (fault_ && *fault_) (*fault_)(stage);
    const auto now = Clock::now();
    out_.push_back({std::string(stage), verdict, std::move(reason),
                    std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count()});
    last_ = now;
  }

 private:
  std::vector<StageRecord>& out_;
  Clock::time_point last_;
  const StageFault* fault_;
};

}  // namespace pp::engine
