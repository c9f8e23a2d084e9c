#pragma once
// Every route the server answers, as (method, OpenAPI path template): the router lets a request
// through to its handlers only when it matches one (404 for an unknown path, 405 with Allow for a
// known path and another method), so this table is exactly what is served. The OpenAPI document
// (api/openapi.json, GET /openapi.json) describes the same set: tests/unit/openapi_test.cpp holds
// the two equal, and tests/integration/openapi_test.cpp validates real answers against the
// document's schemas.
#include <span>
#include <string>
#include <string_view>

namespace pp::api {

struct RouteSpec {
  std::string_view method;
  // "/admin/campaigns/{campaign_id}/buyers/{buyer_id}": a {name} segment is any non-empty
  // segment; with `rest`, the last {name} takes the rest of the path, slashes included.
  std::string_view path;
  bool rest = false;
};

std::span<const RouteSpec> route_table();

struct RouteLookup {
  enum class Match : uint8_t { kFound, kWrongMethod, kNotFound } match = Match::kNotFound;
  std::string allow;  // for kWrongMethod: the path's methods, "GET, POST"
};

// Matches a request's method and path (no query) against the table. No allocation unless the
// method is wrong.
RouteLookup match_route(std::string_view method, std::string_view path);

// Whether `path` fits the template `tmpl` (see RouteSpec::path).
bool path_fits(std::string_view tmpl, std::string_view path, bool rest);

}  // namespace pp::api
