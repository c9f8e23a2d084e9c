// The router's table (api/routes.cpp) and the OpenAPI document it serves (api/openapi.json,
// embedded) name the same routes: every route served is documented, every documented route is
// served. And the table's matching: templates, the console's rest-of-path, 404 and 405 + Allow.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <tuple>

#include "api/routes.h"
#include "console/assets.h"

namespace pp::api {
namespace {

namespace json = boost::json;

json::object document() {
  const console::Asset* a = console::find_asset("openapi.json");
  EXPECT_NE(a, nullptr);
  return a ? json::parse(a->raw).as_object() : json::object{};
}

using Route = std::tuple<std::string, std::string, bool>;  // method, template, rest

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

TEST(OpenApiDocument, NamesExactlyTheRoutesTheRouterServes) {
  json::object doc = document();
  ASSERT_EQ(doc["openapi"].as_string().subview().substr(0, 4), "3.1.");
  std::set<Route> documented;
  for (const auto& [path, item] : doc["paths"].as_object()) {
    const json::object& ops = item.as_object();
    const bool rest = ops.contains("x-pingpost-rest") && ops.at("x-pingpost-rest").as_bool();
    for (const auto& [method, op] : ops)
      if (method != "x-pingpost-rest" && method != "parameters")
        documented.emplace(upper(method), std::string(path), rest);
  }
  std::set<Route> served;
  for (const RouteSpec& r : route_table())
    EXPECT_TRUE(served.emplace(std::string(r.method), std::string(r.path), r.rest).second)
        << "twice in the table: " << r.method << " " << r.path;
  for (const auto& r : served)
    EXPECT_TRUE(documented.contains(r))
        << "served, not documented: " << std::get<0>(r) << " " << std::get<1>(r);
  for (const auto& r : documented)
    EXPECT_TRUE(served.contains(r))
        << "documented, not served: " << std::get<0>(r) << " " << std::get<1>(r);
  EXPECT_GE(served.size(), 100u);
}

// Every documented operation, with its parameters filled in, reaches a handler; the same path
// with a method it does not document is 405 with the documented ones in Allow.
TEST(OpenApiDocument, EveryDocumentedOperationMatches) {
  json::object doc = document();
  for (const auto& [path, item] : doc["paths"].as_object()) {
    std::string concrete(path);
    for (size_t open; (open = concrete.find('{')) != std::string::npos;)
      concrete.replace(open, concrete.find('}', open) - open + 1, "x7");
    std::set<std::string> methods;
    for (const auto& [method, op] : item.as_object())
      if (!method.starts_with("x-") && method != "parameters") methods.insert(upper(method));
    for (const auto& m : methods)
      EXPECT_EQ(match_route(m, concrete).match, RouteLookup::Match::kFound) << m << " " << concrete;
    for (std::string m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      if (methods.contains(m)) continue;
      RouteLookup r = match_route(m, concrete);
      // (A literal path can also fit another template: /buyers/test fits /buyers/{buyer_id}.)
      if (r.match == RouteLookup::Match::kFound) continue;
      EXPECT_EQ(r.match, RouteLookup::Match::kWrongMethod) << m << " " << concrete;
      for (const auto& documented : methods)
        EXPECT_NE(r.allow.find(documented), std::string::npos) << concrete << ": " << r.allow;
    }
  }
}

TEST(RouteTable, Matching) {
  using M = RouteLookup::Match;
  EXPECT_EQ(match_route("POST", "/direct_post").match, M::kFound);
  EXPECT_EQ(match_route("GET", "/direct_post").match, M::kWrongMethod);
  EXPECT_EQ(match_route("GET", "/direct_post").allow, "POST");
  EXPECT_EQ(match_route("POST", "/direct_post/").match, M::kNotFound);
  EXPECT_EQ(match_route("POST", "/direct_postx").match, M::kNotFound);
  EXPECT_EQ(match_route("GET", "/admin/campaigns/100/buyers/300").match, M::kFound);
  EXPECT_EQ(match_route("GET", "/admin/campaigns//buyers/300").match, M::kNotFound);  // empty id
  EXPECT_EQ(match_route("GET", "/admin/campaigns/100/buyers/300/extra").match, M::kNotFound);
  EXPECT_EQ(match_route("POST", "/admin/campaigns").match, M::kFound);
  RouteLookup r = match_route("POST", "/admin/clients/4");
  EXPECT_EQ(r.match, M::kWrongMethod);
  EXPECT_EQ(r.allow, "GET, PUT, PATCH, DELETE");
  // The console's files: the last segment takes the rest of the path.
  EXPECT_EQ(match_route("GET", "/console/js/pages/leads.js").match, M::kFound);
  EXPECT_EQ(match_route("GET", "/console/").match, M::kFound);
  EXPECT_EQ(match_route("GET", "/console").match, M::kFound);
  EXPECT_EQ(match_route("GET", "/consolex").match, M::kNotFound);
  EXPECT_EQ(match_route("GET", "").match, M::kNotFound);
  EXPECT_EQ(match_route("GET", "/").match, M::kNotFound);
  EXPECT_FALSE(path_fits("/a/{x}", "/a/b/c", false));
  EXPECT_TRUE(path_fits("/a/{x}", "/a/b/c", true));
  EXPECT_FALSE(path_fits("/a/{x}", "/a/", true));
}

}  // namespace
}  // namespace pp::api
