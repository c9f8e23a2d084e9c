#pragma once
// The buyer test tool (C7, issue 14): a buyer's ping and post rendered exactly as a lead of its
// campaign would render them — the same compiled templates, the same lead context, the ping's
// answer and cookies passed to the post — for a sample lead, sent unless it is a dry run, and read
// with the buyer's own answer mapping. Nothing is stored as a lead, counted in caps or statistics,
// or held; the buyer's circuit breaker does not see these calls.
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "buyers/response.h"
#include "buyers/transport.h"
#include "core/config.h"
#include "core/lead.h"
#include "engine/snapshot.h"

namespace pp::engine {

struct BuyerTestStep {
  buyers::OutboundRequest request;
  std::optional<buyers::HttpResult> response;     // absent: a dry run
  std::optional<buyers::MappedResponse> outcome;  // how the buyer's mapping reads it
};

struct BuyerTestResult {
  FieldList lead;  // the sample lead's fields, as the templates saw them
  bool dry_run = true;
  std::optional<BuyerTestStep> ping;  // ping_post buyers
  std::optional<BuyerTestStep> post;  // absent when the ping did not bid (then `note` says so)
  std::string note;
};

// The sample lead: `given` fields validated by the campaign's field specs (each problem into
// `problems` as field -> why), every campaign field not given filled with an example value.
FieldList sample_lead(const CampaignConfig& campaign, const FieldList& given,
                      std::vector<std::pair<std::string, std::string>>& problems);

// Runs the test. `buyer` must belong to `snap` (a snapshot of the saved configuration, or of a
// trial one holding an unsaved buyer).
boost::asio::awaitable<BuyerTestResult> test_buyer(SnapshotPtr snap, const CampaignConfig& campaign,
                                                   const CompiledBuyer& buyer, FieldList lead,
                                                   bool dry_run, buyers::Transport& transport,
                                                   UnixMs now);

}  // namespace pp::engine
