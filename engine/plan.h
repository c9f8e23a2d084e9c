#pragma once
// A lead's path as a plan of named stages (issue 13; Envoy's filter chain and Prebid Server's hook
// plans are the models). Each stage is one small stateless object with a name and one decision:
// let the lead go on, stop it with a stored outcome and a code, or refuse the request without
// storing anything. The plan for a campaign and a mode is built once with the configuration
// snapshot (engine/stages.cpp), so /direct_post, /post and /ping all walk the same stages in one
// order. Adding a stage is one class in its own file and one line in RulePlan::build.
//
// Most stages decide at once (run); the few that wait on the network or a timer (the request
// guard, delivery, the auction) say so with waits() and override run_async — a coroutine frame
// only where a stage really suspends.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/codes.h"
#include "core/config.h"
#include "core/lead.h"
#include "engine/intake.h"

namespace pp::engine {

struct LeadRun;  // engine/pipeline.h

// A direct post (including a full lead to an exchange campaign), the post of a supplier's ping,
// or a supplier's ping (its ping fields only; nothing is stored).
enum class LeadMode : uint8_t { kDirect = 0, kPost = 1, kPing = 2 };
inline constexpr size_t kLeadModes = 3;

struct StageOutcome {
  StageVerdict verdict = StageVerdict::kContinue;
  int code = 0;
  // continue: a note for the timeline; stop: the stored outcome's message; refuse: why.
  std::string message;
  LeadStatus status = LeadStatus::kError;  // stop: the lead's status
  std::optional<IntakeResult> answer;      // refuse: what the supplier is answered

  static StageOutcome next(std::string note = {}) {
    StageOutcome o;
    o.message = std::move(note);
    return o;
  }
  static StageOutcome stop(Code code, std::string message, LeadStatus status = LeadStatus::kError) {
    return stop(code_int(code), std::move(message), status);
  }
  static StageOutcome stop(int code, std::string message, LeadStatus status) {
    StageOutcome o;
    o.verdict = StageVerdict::kStop;
    o.code = code;
    o.message = std::move(message);
    o.status = status;
    return o;
  }
  static StageOutcome refuse(IntakeResult answer) {
    StageOutcome o;
    o.verdict = StageVerdict::kRefuse;
    o.code = answer.code;
    o.message = answer.message;
    o.answer = std::move(answer);
    return o;
  }
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  // True for a stage that suspends (it overrides run_async instead of run).
  virtual bool waits() const { return false; }
  virtual StageOutcome run(LeadRun&) const { return StageOutcome::next(); }
  virtual boost::asio::awaitable<StageOutcome> run_async(LeadRun& r) const;
};

// The ordered stages of a campaign in one mode.
class RulePlan {
 public:
  static RulePlan build(const CampaignConfig& campaign, LeadMode mode);
  const std::vector<const Stage*>& stages() const { return stages_; }
  std::vector<std::string_view> names() const;

 private:
  std::vector<const Stage*> stages_;  // stateless stages, shared by every plan
};

}  // namespace pp::engine
