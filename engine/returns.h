#pragma once
// Bulk returns (issue 19, G7): a CSV of leads a buyer sends back (an upload, engine/batches.h),
// matched to stored leads of one campaign (and optionally one buyer) created in a date range,
// by one column holding the lead id, the email or the phone; each match returned as
// POST /public/lead/return would (statistics and accounting follow in the same write). Per-row
// results in all.csv, and one file per supplier of the matched leads (what each supplier is told),
// zipped. When a value matches several leads: return them all, only the newest, or none
// ("ambiguous"). A job interrupted by a restart runs again from its first row (rows it had
// returned then say already_returned).
#include <string>

#include "engine/engine.h"
#include "engine/jobs.h"

namespace pp::engine {

enum class ReturnMatch : uint8_t { kLeadId, kEmail, kPhone };
bool parse_return_match(std::string_view s, ReturnMatch& out);  // lp_lead_id, email, phone
enum class OnMultiple : uint8_t { kAll, kNewest, kSkip };
bool parse_on_multiple(std::string_view s, OnMultiple& out);  // all, newest, skip

// The campaign field a match by email or phone reads (the first of that type, else the field
// named "email"/"phone"); null when the campaign has none.
const FieldSpec* match_field(const CampaignConfig& c, ReturnMatch by);

// params: {"upload_id", "campaign_id", "buyer_id" (0: any), "from_ms", "to_ms", "column",
// "match_by", "on_multiple", "reason", "reason_column"}.
JobOutcome run_returns(Engine& engine, JobContext& ctx, const std::string& files_dir);

}  // namespace pp::engine
