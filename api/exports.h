#pragma once
// Exports (issue 19, G6): leads, statistics, accounting and ping/post logs as CSV or XLSX files,
// made by a job (engine/jobs.h) and downloaded from /admin/exports/{id}/file.
//   POST   /admin/exports            {"type", "format", "params": {...}} -> the job (202)
//   GET    /admin/exports            newest first (?status=&limit=&cursor=)
//   GET    /admin/exports/{id}       status, progress, counts, file
//   GET    /admin/exports/{id}/file  the file
//   DELETE /admin/exports/{id}       cancels a queued or running export
// `params` are the query parameters of the matching read endpoint (/public/leads, /public/stats,
// /public/accounting); a logs export takes /public/leads's.
#include <map>
#include <set>

#include "api/http_types.h"
#include "core/json_writer.h"
#include "engine/engine.h"
#include "engine/jobs.h"

namespace pp::api {

// The export job's work (registered on the runner by App).
engine::JobOutcome run_export(engine::Engine& engine, engine::JobContext& ctx);

// "key": "2026-11-27T08:12:04.000Z", or null for 0; a job's created_at, started_at, completed_at.
void write_time(JsonWriter& w, std::string_view key, UnixMs t);
void write_job_times(JsonWriter& w, const engine::Job& j);
// "key": "text", or null for "".
void write_text_or_null(JsonWriter& w, std::string_view key, const std::string& s);

// A job as the admin API shows it (exports, batches, returns share it).
void write_job(JsonWriter& w, const engine::Job& j, std::string_view collection);

// Whether a token sees a job: every campaign the job touches is in its scope (a job of the whole
// account, with no campaigns, only for tokens that see every campaign).
bool token_sees_job(const ApiTokenConfig& token, const engine::Job& j);

// /admin/exports[/...] (on a report thread).
Response exports_route(engine::Engine& engine, engine::JobRunner& jobs, const Request& req,
                       const ApiTokenConfig& token);

// A portal user's exports of its own leads (issue 20): /portal/{buyer|supplier}/exports, POST
// {"campaign_id", "start_date", "end_date", "timezone", "format"}, GET (the user's, newest
// first), GET /{id}, GET /{id}/file. Another user's export is "not found".
struct PortalExportScope {
  bool buyer = true;
  std::string actor;                                // "portal:<user id>": the jobs' owner
  std::string collection;                           // "/portal/buyer/exports"
  std::map<CampaignId, std::set<int64_t>> members;  // the user's buyers (suppliers) by campaign
};
Response portal_exports_route(engine::Engine& engine, engine::JobRunner& jobs, const Request& req,
                              const PortalExportScope& scope);

// Cursor paging over a kind's jobs, newest first: ?limit (1-100, default 20) &cursor=<job id>
// &status=. Renders {"items": [...], "next_cursor": ...}.
Response list_jobs(engine::JobRunner& jobs, engine::JobKind kind, const Request& req,
                   const ApiTokenConfig& token, std::string_view collection);

// A job of `kind` by id, or the answer (404 also for one the token may not see).
std::optional<engine::Job> find_job(engine::JobRunner& jobs, engine::JobKind kind,
                                    std::string_view id, const ApiTokenConfig& token,
                                    Response& refused);
// The job's result file (409 before it is done, 410 after its download window).
Response job_file(engine::JobRunner& jobs, const engine::Job& j);
// GET .../{id}, GET .../{id}/file, DELETE .../{id} (cancel) of /admin/<collection>/.
Response job_route(engine::JobRunner& jobs, engine::JobKind kind, const Request& req,
                   const ApiTokenConfig& token, std::string_view collection);

}  // namespace pp::api
