#include "api/routes.h"

namespace pp::api {

namespace {

// The intake routes come first: the lead path matches on its first entry.
constexpr RouteSpec kRoutes[] = {
    {"POST", "/direct_post"},
    {"POST", "/ping"},
    {"POST", "/post"},
    // The reference's read API (seed 000).
    {"GET", "/public/campaigns"},
    {"GET", "/public/campaigns/{campaign_id}"},
    {"GET", "/public/campaigns/{campaign_id}/pause_buyer/{buyer_id}"},
    {"GET", "/public/campaigns/{campaign_id}/resume_buyer/{buyer_id}"},
    {"GET", "/public/stats"},
    {"GET", "/public/stats/supplier"},
    {"GET", "/public/accounting"},
    {"GET", "/public/leads"},
    {"GET", "/public/lead/{lead_id}"},
    {"POST", "/public/lead/return"},
    {"POST", "/public/leads/debug"},
    // The buyer pull API (seed 003).
    {"GET", "/v1/leads"},
    // Configuration (the configuration file's shapes).
    {"GET", "/admin/config"},
    {"PUT", "/admin/config"},
    {"POST", "/admin/config/rollback"},
    {"GET", "/admin/changes"},
    {"GET", "/admin/tokens"},
    {"POST", "/admin/tokens"},
    {"GET", "/admin/tokens/{token_name}"},
    {"PUT", "/admin/tokens/{token_name}"},
    {"PATCH", "/admin/tokens/{token_name}"},
    {"DELETE", "/admin/tokens/{token_name}"},
    {"GET", "/admin/clients"},
    {"POST", "/admin/clients"},
    {"GET", "/admin/clients/{client_id}"},
    {"PUT", "/admin/clients/{client_id}"},
    {"PATCH", "/admin/clients/{client_id}"},
    {"DELETE", "/admin/clients/{client_id}"},
    {"GET", "/admin/clients/{client_id}/balance"},
    {"GET", "/admin/clients/{client_id}/ledger"},
    {"POST", "/admin/clients/{client_id}/deposits"},
    {"POST", "/admin/clients/{client_id}/charges"},
    {"GET", "/admin/ledger"},
    {"GET", "/admin/campaigns"},
    {"POST", "/admin/campaigns"},
    {"GET", "/admin/campaigns/{campaign_id}"},
    {"PUT", "/admin/campaigns/{campaign_id}"},
    {"PATCH", "/admin/campaigns/{campaign_id}"},
    {"DELETE", "/admin/campaigns/{campaign_id}"},
    {"GET", "/admin/campaigns/{campaign_id}/suppliers"},
    {"POST", "/admin/campaigns/{campaign_id}/suppliers"},
    {"GET", "/admin/campaigns/{campaign_id}/suppliers/{supplier_id}"},
    {"PUT", "/admin/campaigns/{campaign_id}/suppliers/{supplier_id}"},
    {"PATCH", "/admin/campaigns/{campaign_id}/suppliers/{supplier_id}"},
    {"DELETE", "/admin/campaigns/{campaign_id}/suppliers/{supplier_id}"},
    {"GET", "/admin/campaigns/{campaign_id}/buyers"},
    {"POST", "/admin/campaigns/{campaign_id}/buyers"},
    {"GET", "/admin/campaigns/{campaign_id}/buyers/{buyer_id}"},
    {"PUT", "/admin/campaigns/{campaign_id}/buyers/{buyer_id}"},
    {"PATCH", "/admin/campaigns/{campaign_id}/buyers/{buyer_id}"},
    {"DELETE", "/admin/campaigns/{campaign_id}/buyers/{buyer_id}"},
    {"POST", "/admin/campaigns/{campaign_id}/buyers/test"},
    {"POST", "/admin/campaigns/{campaign_id}/buyers/{buyer_id}/test"},
    {"GET", "/admin/lists"},
    {"POST", "/admin/lists"},
    {"GET", "/admin/lists/{list_id}"},
    {"PUT", "/admin/lists/{list_id}"},
    {"PATCH", "/admin/lists/{list_id}"},
    {"DELETE", "/admin/lists/{list_id}"},
    {"GET", "/admin/lists/{list_id}/entries"},
    {"PUT", "/admin/lists/{list_id}/entries"},
    {"POST", "/admin/lists/{list_id}/entries"},
    {"GET", "/admin/lists/{list_id}/entries/{value}"},
    {"PUT", "/admin/lists/{list_id}/entries/{value}"},
    {"DELETE", "/admin/lists/{list_id}/entries/{value}"},
    {"GET", "/admin/webhooks"},
    {"POST", "/admin/webhooks"},
    {"GET", "/admin/webhooks/{webhook_id}"},
    {"PUT", "/admin/webhooks/{webhook_id}"},
    {"PATCH", "/admin/webhooks/{webhook_id}"},
    {"DELETE", "/admin/webhooks/{webhook_id}"},
    {"GET", "/admin/webhooks/{webhook_id}/secret"},
    {"POST", "/admin/webhooks/{webhook_id}/rotate"},
    // Operations.
    {"GET", "/admin/whoami"},
    {"GET", "/admin/buyers/health"},
    {"GET", "/admin/leads/{lead_id}"},
    {"GET", "/admin/leads/{lead_id}/timeline"},
    {"GET", "/admin/alerts"},
    {"GET", "/admin/deliveries"},
    {"GET", "/admin/deliveries/{delivery_id}"},
    {"POST", "/admin/deliveries/{delivery_id}/replay"},
    // Data in and out (jobs).
    {"GET", "/admin/exports"},
    {"POST", "/admin/exports"},
    {"GET", "/admin/exports/{job_id}"},
    {"DELETE", "/admin/exports/{job_id}"},
    {"GET", "/admin/exports/{job_id}/file"},
    {"GET", "/admin/uploads"},
    {"POST", "/admin/uploads"},
    {"GET", "/admin/uploads/{upload_id}"},
    {"DELETE", "/admin/uploads/{upload_id}"},
    {"GET", "/admin/batches"},
    {"POST", "/admin/batches"},
    {"GET", "/admin/batches/{batch_id}"},
    {"DELETE", "/admin/batches/{batch_id}"},
    {"GET", "/admin/batches/{batch_id}/results"},
    {"GET", "/admin/returns"},
    {"POST", "/admin/returns"},
    {"GET", "/admin/returns/{job_id}"},
    {"DELETE", "/admin/returns/{job_id}"},
    {"GET", "/admin/returns/{job_id}/file"},
    // The server.
    {"GET", "/health"},
    {"GET", "/ready"},
    // The portals (issue 20): admins' side.
    {"GET", "/admin/portal/users"},
    {"POST", "/admin/portal/users"},
    {"GET", "/admin/portal/users/{user_id}"},
    {"PATCH", "/admin/portal/users/{user_id}"},
    {"DELETE", "/admin/portal/users/{user_id}"},
    {"POST", "/admin/portal/users/{user_id}/invite"},
    {"GET", "/admin/portal/requests"},
    {"GET", "/admin/portal/requests/{request_id}"},
    {"POST", "/admin/portal/requests/{request_id}/approve"},
    {"POST", "/admin/portal/requests/{request_id}/deny"},
    {"GET", "/admin/portal/templates"},
    {"GET", "/admin/portal/templates/{name}"},
    {"PUT", "/admin/portal/templates/{name}"},
    {"DELETE", "/admin/portal/templates/{name}"},
    // The portals: logins, then the buyer's and the supplier's own data.
    {"POST", "/portal/login"},
    {"POST", "/portal/logout"},
    {"GET", "/portal/me"},
    {"POST", "/portal/password"},
    {"POST", "/portal/password/forgot"},
    {"POST", "/portal/password/reset"},
    {"GET", "/portal/keys"},
    {"POST", "/portal/keys"},
    {"DELETE", "/portal/keys/{key_id}"},
    {"GET", "/portal/buyer/campaigns"},
    {"GET", "/portal/buyer/leads"},
    {"GET", "/portal/buyer/leads/{lead_id}"},
    {"GET", "/portal/buyer/stats"},
    {"GET", "/portal/buyer/balance"},
    {"POST", "/portal/buyer/pause_all"},
    {"POST", "/portal/buyer/resume_all"},
    {"GET", "/portal/buyer/requests"},
    {"POST", "/portal/buyer/requests"},
    {"GET", "/portal/buyer/requests/{request_id}"},
    {"POST", "/portal/buyer/requests/{request_id}/cancel"},
    {"GET", "/portal/buyer/exports"},
    {"POST", "/portal/buyer/exports"},
    {"GET", "/portal/buyer/exports/{export_id}"},
    {"GET", "/portal/buyer/exports/{export_id}/file"},
    {"GET", "/portal/supplier/campaigns"},
    {"GET", "/portal/supplier/dashboard"},
    {"GET", "/portal/supplier/leads"},
    {"GET", "/portal/supplier/leads/{lead_id}"},
    {"GET", "/portal/supplier/exports"},
    {"POST", "/portal/supplier/exports"},
    {"GET", "/portal/supplier/exports/{export_id}"},
    {"GET", "/portal/supplier/exports/{export_id}/file"},
    {"GET", "/metrics"},
    {"GET", "/api-specs"},
    {"GET", "/openapi.json"},
    {"GET", "/console"},
    {"GET", "/console/"},
    {"GET", "/console/{file}", true},
    {"POST", "/sandbox/post"},
    {"POST", "/sandbox/ping"},
};

// The next segment of `s` (after a leading '/'), advancing `s`; false at the end.
bool next_segment(std::string_view& s, std::string_view& seg) {
  if (s.empty() || s.front() != '/') return false;
  s.remove_prefix(1);
  size_t slash = s.find('/');
  seg = s.substr(0, slash);
  s.remove_prefix(slash == std::string_view::npos ? s.size() : slash);
  return true;
}

}  // namespace

std::span<const RouteSpec> route_table() { return kRoutes; }

bool path_fits(std::string_view tmpl, std::string_view path, bool rest) {
  std::string_view t, p;
  while (true) {
    const bool more_t = next_segment(tmpl, t);
    const bool more_p = next_segment(path, p);
    if (!more_t || !more_p) return more_t == more_p;
    const bool param = t.size() > 2 && t.front() == '{' && t.back() == '}';
    if (!param) {
      if (t != p) return false;
      continue;
    }
    if (p.empty()) return false;
    if (rest && tmpl.empty()) return true;  // the last template segment takes what is left
  }
}

RouteLookup match_route(std::string_view method, std::string_view path) {
  RouteLookup out;
  for (const RouteSpec& r : kRoutes) {
    if (!path_fits(r.path, path, r.rest)) continue;
    if (r.method == method) {
      out.match = RouteLookup::Match::kFound;
      return out;
    }
    if (out.allow.find(r.method) == std::string::npos) {
      if (!out.allow.empty()) out.allow += ", ";
      out.allow += r.method;
    }
    out.match = RouteLookup::Match::kWrongMethod;
  }
  return out;
}

}  // namespace pp::api
