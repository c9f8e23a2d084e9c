#pragma once
// Running compliance and quality checks (issue 17) on one lead: local ones (phone, email,
// suppression lists) at once, remote ones (TrustedForm, Jornaya, any HTTP validator) through the
// I/O thread's HTTP client under the check's deadline, with a cache window for paid results.
// The stage that runs a campaign's checks is in check_stages.cpp; a buyer's checks run in
// delivery (a failure skips only that buyer).
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "buyers/transport.h"
#include "core/config.h"
#include "core/lead.h"
#include "engine/lists.h"
#include "engine/snapshot.h"

namespace pp::engine {

// Results of remote checks reused within their check's cache_s (keyed by the check and a digest
// of its input, never the input itself). Bounded: at most kMaxEntries results; when full, the
// expired ones go, then everything (a cache miss costs a vendor call, never a wrong answer).
class CheckCache {
 public:
  static constexpr size_t kMaxEntries = 200'000;
  struct Entry {
    CheckStatus status = CheckStatus::kPass;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> values;
    int64_t expires_ms = 0;
  };
  std::optional<Entry> get(const std::string& key, int64_t now_ms) const;
  void put(std::string key, Entry e, int64_t now_ms);
  size_t size() const {
    std::lock_guard lk(mu_);
    return entries_.size();
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

// What a check may use besides the lead.
struct CheckEnv {
  const SuppressionLists& lists;
  CheckCache& cache;
  buyers::Transport& transport;
  const Config& config;  // user agent
  int64_t now_ms = 0;
};

// Whether a lead is in a check's sample: by a digest of the lead id and the check's name, so a
// lead is either checked or not whatever retries, and checks sample independently.
bool in_sample(std::string_view lead_id, std::string_view check, uint32_t percent);

// The mode and sample of a campaign check for the supplier (its override, else the check's).
CheckMode effective_mode(const CheckConfig& c, const SupplierConfig* supplier);
uint32_t effective_sample(const CheckConfig& c, const SupplierConfig* supplier);

// Runs one check on `lead` (sampling and mode are the caller's). Never throws; a remote call ends
// by `deadline` at the latest. `buyer` is the buyer whose check it is (0: the campaign's).
boost::asio::awaitable<CheckRecord> run_check(const CompiledCheck& check, const Lead& lead,
                                              const CampaignConfig& campaign, CheckEnv& env,
                                              std::chrono::steady_clock::time_point deadline,
                                              BuyerId buyer = 0);

// Whether the check's result fails the lead (or the buyer): a failure, or an error where the
// check fails closed.
inline bool check_failed(const CheckRecord& r) {
  return r.status == CheckStatus::kFail || (r.status == CheckStatus::kError && !r.error_passed);
}

struct LeadRun;  // engine/pipeline.h
// The buyers' own checks (before a lead's delivery): each buyer's sync checks run in order (the
// first that fails puts the buyer in run.buyer_check_failures); async ones are kept for after the
// answer. Buyers paused or archived are not checked.
boost::asio::awaitable<void> run_buyer_checks(LeadRun& run);

// The lead fields a check's values become ("<check>_<value>"), usable by buyer filters, prices
// and templates.
void add_check_fields(Lead& lead, const CheckRecord& r);

}  // namespace pp::engine
