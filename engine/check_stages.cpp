// The campaign's compliance and quality checks as one stage (issue 17), after every free rule and
// the supplier's caps (a paid check is not bought for a lead that would be refused anyway). Each
// check runs in its configured mode: sync checks in order, the lead stopping at the first that
// fails it (code 1015, the check's provider and reason recorded); async checks are kept for after
// the answer (Engine::run_late_checks); off and sampled-out checks are recorded as skipped.
#include "core/text.h"
#include "engine/checks.h"
#include "engine/engine_state.h"
#include "engine/pipeline.h"
#include "engine/snapshot.h"
#include "engine/stages.h"

namespace pp::engine::stages {

namespace asio = boost::asio;

namespace {

// A check not run, and why (`buyer`: whose check it is, 0 for the campaign's or supplier's).
CheckRecord skipped(const CheckConfig& c, std::string reason, bool async = false,
                    BuyerId buyer = 0) {
  CheckRecord r;
  r.name = c.name;
  r.provider = c.provider;
  r.type = std::string(to_string(c.type));
  r.status = CheckStatus::kSkipped;
  r.reason = std::move(reason);
  r.async = async;
  r.buyer_id = buyer;
  return r;
}

CheckRecord sampled_out(const CheckConfig& c, uint32_t percent, bool async, BuyerId buyer = 0) {
  return skipped(c, "not in the " + std::to_string(percent) + "% sample", async, buyer);
}

class ChecksStage final : public Stage {
 public:
  std::string_view name() const override { return kStageChecks; }
  bool waits() const override { return true; }
  asio::awaitable<StageOutcome> run_async(LeadRun& r) const override {
    // The campaign's checks, then the supplier's own.
    std::vector<const CompiledCheck*> checks;
    for (const CompiledCheck& cc : r.snap->campaign_checks(r.campaign->id)) checks.push_back(&cc);
    for (const CompiledCheck& cc : r.snap->supplier_checks(r.supplier->id)) checks.push_back(&cc);
    CheckEnv env{r.engine.lists, r.engine.check_cache, r.transport, r.snap->config(), r.now};
    std::string summary;  // the stage's line in the timeline: "phone pass, tf error (passed)"
    auto say = [&](std::string text) {
      if (!summary.empty()) summary += ", ";
      summary += text;
    };
    auto note = [&](const CheckRecord& rec) {
      std::string text = rec.name + " " + std::string(to_string(rec.status));
      if (rec.cached) text += " (cached)";
      if (rec.status == CheckStatus::kError) text += rec.error_passed ? " (passed)" : " (failed)";
      say(std::move(text));
    };
    for (const CompiledCheck* ccp : checks) {
      const CompiledCheck& cc = *ccp;
      const CheckConfig& c = *cc.config;
      const CheckMode mode = effective_mode(c, r.supplier);
      if (mode == CheckMode::kOff) {
        r.debug.checks.push_back(skipped(c, "off for this supplier"));
        note(r.debug.checks.back());
        continue;
      }
      const uint32_t sample = effective_sample(c, r.supplier);
      if (!in_sample(r.lead.id, c.name, sample)) {
        r.debug.checks.push_back(sampled_out(c, sample, mode == CheckMode::kAsync));
        note(r.debug.checks.back());
        continue;
      }
      if (mode == CheckMode::kAsync) {
        r.async_checks.emplace_back(&cc, 0);
        say(c.name + " after the answer");
        continue;
      }
      env.now_ms = r.engine.clock.now_ms();
      CheckRecord rec = co_await run_check(cc, r.lead, *r.campaign, env, r.delivery_deadline());
      add_check_fields(r.lead, rec);
      note(rec);
      const bool failed = check_failed(rec);
      const std::string provider = rec.provider, reason = rec.reason;
      r.debug.checks.push_back(std::move(rec));
      if (failed) {
        r.lead.validation_error_provider = provider;
        r.lead.validation_error_description = reason;
        co_return StageOutcome::stop(Code::kFailedValidation, "Error: lead failed validation");
      }
    }
    co_return StageOutcome::next(std::move(summary));
  }
};

}  // namespace

const Stage& checks() { return instance<ChecksStage>(); }

}  // namespace pp::engine::stages

namespace pp::engine {

boost::asio::awaitable<void> run_buyer_checks(LeadRun& r) {
  CheckEnv env{r.engine.lists, r.engine.check_cache, r.transport, r.snap->config(), r.now};
  for (const BuyerConfig& b : r.campaign->buyers) {
    if (b.checks.empty() || b.archived || b.paused) continue;
    for (const CompiledCheck& cc : r.snap->buyer_checks(b.id)) {
      const CheckConfig& c = *cc.config;
      if (c.mode == CheckMode::kOff) continue;
      if (!in_sample(r.lead.id, std::to_string(b.id) + "/" + c.name, c.sample_percent)) {
        r.debug.checks.push_back(stages::sampled_out(c, c.sample_percent, false, b.id));
        continue;
      }
      if (c.mode == CheckMode::kAsync) {
        r.async_checks.emplace_back(&cc, b.id);
        continue;
      }
      env.now_ms = r.engine.clock.now_ms();
      CheckRecord rec =
          co_await run_check(cc, r.lead, *r.campaign, env, r.delivery_deadline(), b.id);
      const bool failed = check_failed(rec);
      if (failed) r.buyer_check_failures[b.id] = "Skipped: " + rec.provider;
      r.debug.checks.push_back(std::move(rec));
      if (failed) break;  // this buyer is out: its other checks are not bought
    }
  }
}

}  // namespace pp::engine
