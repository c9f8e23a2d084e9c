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
inline constexpr std::string_view kStageChecks = "checks";  // compliance checks (issue 17)
inline constexpr std::string_view kStageDelivery = "delivery";
inline constexpr std::string_view kStageSettlement = "settlement";
// A supplier's ping: the auction (its delivery), or a direct-post campaign's pre-ping check.
inline constexpr std::string_view kStageAuction = "auction";
inline constexpr std::string_view kStagePreping = "preping";
// After the timeline is written: the durable store (in metrics only).
inline constexpr std::string_view kStageStorage = "storage";

// Tests only: called as every stage starts (kAt) and as it ends (kAfter), with the stage's name;
// it may throw to fail the lead there.
enum class FaultPoint : uint8_t { kAt, kAfter };
using StageFault = std::function<void(std::string_view stage, FaultPoint at)>;

// Times consecutive stages: each mark closes the stage that ran since the previous mark.
class StageTimer {
 public:
  using Clock = std::chrono::steady_clock;
  StageTimer(std::vector<StageRecord>& out, Clock::time_point start,
             const StageFault* fault = nullptr)
      : out_(out), last_(start), fault_(fault) {}

  void enter(std::string_view stage) {
    if (fault_ && *fault_) (*fault_)(stage, FaultPoint::kAt);
  }
  void mark(std::string_view stage, StageVerdict verdict = StageVerdict::kContinue,
            std::string reason = {}) {
    if (fault_ && *fault_) (*fault_)(stage, FaultPoint::kAfter);
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
