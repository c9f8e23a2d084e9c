#pragma once
// The configuration admin API (issue 14): /admin/config, /admin/config/rollback, /admin/changes,
// and the entities /admin/clients[/{id}], /admin/campaigns[/{id}],
// /admin/campaigns/{id}/suppliers[/{id}], /admin/campaigns/{id}/buyers[/{id}]: GET (list, one),
// POST (create), PUT (replace), PATCH (JSON Merge Patch), DELETE. Documents have exactly the shape
// of the entity in the configuration file. Every answer carries ETag: "<version>"; a write with a
// stale If-Match gets 412 and changes nothing.
#include <optional>

#include "api/auth.h"
#include "api/http_types.h"
#include "core/config.h"
#include "engine/config_service.h"

namespace pp::api {

// Whether `path` is one of the configuration routes.
bool is_config_route(std::string_view path);

// Serves a configuration route (synchronously: a change does one synced write, so call it off
// the I/O threads). `token` is the caller's; writes need the admin role.
Response config_route(engine::ConfigService& service, const Request& req,
                      const ApiTokenConfig& token, TokenUsage& usage);

}  // namespace pp::api
