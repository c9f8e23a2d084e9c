#pragma once
// JSON views of stored data, shaped exactly as seed 000 shows them (keys, order, types).
#include <string>

#include "core/config.h"
#include "core/json_writer.h"
#include "core/lead.h"
#include "engine/engine.h"

namespace pp::api {

// "Single Lead Details": GET /public/lead/{id}.
std::string render_lead(const Lead& lead, const Config& cfg);
// One lead object; `with_date` adds "lead_date_ms" (as a string) after "id", as "Multiple Lead
// Details" (GET /public/leads) shows it.
void write_lead(JsonWriter& w, const Lead& lead, const Config& cfg, bool with_date);

// "Single Campaign Details" / one element of "All Campaign Details": suppliers and buyers with
// live pause state and caps (limit, used in the current period, type), and the field names.
void render_campaign(std::string& out, const CampaignConfig& c, const Config& cfg,
                     engine::Engine& engine);
// Every live campaign, or with `only` not empty those of its ids (a token's scope).
std::string render_campaigns(const Config& cfg, engine::Engine& engine,
                             const std::vector<CampaignId>& only = {});

// One element of "Lead Debug Log"'s `leads` (POST /public/leads/debug), seed 000's shape: statuses
// in title case, lead cost/revenue and bids as strings, exec_time in milliseconds.
void render_debug_lead(JsonWriter& w, const Lead& lead, const DebugLog& debug, const Config& cfg);

// GET /admin/leads/{id}: our own full view of a stored lead (not seed 000's): every buyer with
// its decision, bid, raw ping and post (while the debug log is kept), the buyer's own lead id,
// the values kept from its answers (`buyer_data`) and `price_missing`.
std::string render_admin_lead(const Lead& lead, const DebugLog* debug, const Config& cfg);

// GET /admin/leads/{id}/timeline: the stages the lead went through (verdict, reason, duration),
// the configuration version it ran on, and every buyer of the campaign with its decision: eligible
// or skipped and why, bids (raw, adjusted), rank, ping and post outcome and time.
std::string render_timeline(const Lead& lead, const DebugLog* debug, const Config& cfg);

}  // namespace pp::api
