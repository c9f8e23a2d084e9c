#pragma once
// The read endpoints of seed 000 that take query parameters: GET /public/stats,
// /public/stats/supplier, /public/accounting and /public/leads. Each checks every parameter
// (answering the seed's error shape with one entry per problem in "details"), reads through the
// engine's reports and renders the seed's keys, order and types.
//
// These calls scan RocksDB (bounded, but milliseconds): the router runs them on its report
// workers, not on the I/O threads.
#include "api/http_types.h"
#include "engine/engine.h"
#include "engine/reports.h"

namespace pp::api {

Response stats_endpoint(engine::Engine& engine, const Request& req);
Response supplier_stats_endpoint(engine::Engine& engine, const Request& req);
Response accounting_endpoint(engine::Engine& engine, const Request& req);
// The same over `scope`: the caller's campaigns (an API token limited to some).
Response scoped_accounting_endpoint(engine::Engine& engine, const Request& req,
                                    const std::vector<CampaignId>& scope);
Response leads_endpoint(engine::Engine& engine, const Request& req);

// GET /public/leads's parameters checked (the lead export reads them too): the campaign, the
// search and the zone its dates were read in; or nullopt and the 400 answer in `error`.
struct LeadQuery {
  const CampaignConfig* campaign = nullptr;
  engine::LeadSearch search;
  TimeZone tz;
};
std::optional<LeadQuery> parse_lead_query(const Config& cfg, const Request& req, Response& error);

// Limits (documented in the README).
inline constexpr int kMaxReportDays = 400;   // stats and accounting date ranges
inline constexpr int kMaxHourGroupDays = 7;  // group=hour

}  // namespace pp::api
