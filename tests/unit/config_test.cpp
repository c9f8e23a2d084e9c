#include "core/config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "api/app.h"
#include "core/hash.h"
#include "engine/snapshot.h"

namespace pp {
namespace {

std::string demo() {
  return *pp::api::read_file(std::string(PP_SOURCE_DIR) + "/configs/demo.json");
}

bool has_error(const std::vector<std::string>& errors, std::string_view needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

TEST(Config, DemoLoadsAndCompiles) {
  auto r = load_config(demo());
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0]);
  const Config& c = *r.config;
  EXPECT_EQ(c.account.tz.name(), "America/New_York");
  ASSERT_NE(c.find_campaign(21624), nullptr);
  ASSERT_NE(c.find_campaign(21626), nullptr);
  ASSERT_NE(c.find_campaign(24240), nullptr);
  EXPECT_EQ(c.find_campaign(21626)->public_name, "Public Name Solar");
  EXPECT_EQ(c.find_campaign(21626)->type, CampaignType::kPingPostExchange);
  const SupplierConfig* s = c.find_campaign(21624)->find_supplier(55077);
  ASSERT_NE(s, nullptr);
  // Keys are kept hashed, never in plain text.
  EXPECT_EQ(s->key_sha256, sha256_hex("mva-landing-page-key"));
  EXPECT_EQ(c.find_campaign(21624)->find_buyer(55079), nullptr);
  EXPECT_EQ(c.find_campaign(21624)->find_buyer(55080)->type, DeliveryType::kPingPost);
  std::vector<std::string> errors;
  EXPECT_TRUE(engine::Snapshot::build(r.config, errors)) << (errors.empty() ? "" : errors[0]);
}

TEST(Config, ReportsEveryProblemWithItsJsonPath) {
  const char* bad = R"({
    "account": {"timezone": "Mars/Olympus"},
    "clients": [{"id": 1, "company": "C"}],
    "api_tokens": [{"name": "t", "token": "short", "role": "god"}],
    "campaigns": [{
      "id": 7, "name": "X", "type": "weird",
      "fields": [{"name": "a", "type": "colour"}, {"name": "a"}, {"name": "l", "type": "list"}],
      "computed_fields": [{"name": "l", "template": "x"}, {"name": "lp_x", "template": "y"}],
      "suppliers": [{"id": 3, "client_id": 99, "lp_key": "abcdefgh"}],
      "buyers": [{"id": 4, "client_id": 1, "type": "direct_post", "priority": 1,
                  "post": {"url": "ftp://x", "timeout_ms": 0}, "bogus": 1,
                  "price": {"type": "conditional", "rules": [{"when": {"field": "state", "op": "gt", "value": "NY"}, "amount": 5}]}}]
    }]
  })";
  auto r = load_config(bad);
  EXPECT_FALSE(r.config);
  const auto& e = r.errors;
  EXPECT_TRUE(has_error(e, "$.account.timezone: unknown IANA time zone 'Mars/Olympus'"));
  EXPECT_TRUE(has_error(e, "$.api_tokens[0].token: must be at least 8 characters"));
  EXPECT_TRUE(has_error(e, "$.api_tokens[0].role: must be admin, editor or read"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].type: must be"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].fields[0].type: unknown field type 'colour'"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].fields[1].name: duplicate field 'a'"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].fields[2].allowed_values: is required"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].suppliers[0].client_id: unknown client 99"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].buyers[0].post.url: must start with http"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].buyers[0].post.timeout_ms: must be between 1 and"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].buyers[0].bogus: unknown key"));
  EXPECT_TRUE(
      has_error(e, "$.campaigns[0].buyers[0].price.rules[0].when: operator 'gt' needs numbers"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].computed_fields[0].name: duplicate field 'l'"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].computed_fields[1].name: the lp_ prefix is reserved"));
  EXPECT_GE(e.size(), 14u);
}

TEST(Config, TemplateErrorsAreReportedBySnapshot) {
  const char* cfg = R"({
    "account": {"timezone": "UTC"},
    "clients": [{"id": 1, "company": "C"}],
    "campaigns": [{"id": 7, "name": "X", "fields": ["a"],
      "computed_fields": [{"name": "c", "template": "{{a||nope}}"}],
      "suppliers": [{"id": 3, "client_id": 1, "lp_key": "abcdefgh"}],
      "buyers": [{"id": 4, "client_id": 1, "post": {"url": "http://x/{{a||frobnicate}}"}},
                 {"id": 5, "client_id": 1, "post": {"url": "http://x/"},
                  "post_response": {"format": "text", "accepted": {"regex": "(("}}}]}]
  })";
  auto r = load_config(cfg);
  ASSERT_TRUE(r.config) << r.errors[0];
  std::vector<std::string> errors;
  EXPECT_FALSE(engine::Snapshot::build(r.config, errors));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_TRUE(
      has_error(errors, "$.campaigns[0].computed_fields[0].template: unknown transformer 'nope'"));
  EXPECT_TRUE(
      has_error(errors, "$.campaigns[0].buyers[0].post.url: unknown transformer 'frobnicate'"));
  EXPECT_TRUE(
      has_error(errors, "$.campaigns[0].buyers[1].post_response.accepted.regex: invalid regex"));
}

TEST(Config, RulesSectionsAndOperatorTypes) {
  const char* cfg = R"({
    "account": {"timezone": "America/New_York"},
    "clients": [{"id": 1, "company": "C"}],
    "campaigns": [{"id": 7, "name": "X",
      "fields": [{"name": "state", "type": "state"}, {"name": "debt", "type": "numeric"},
                 {"name": "dob", "type": "dob"}],
      "filters": [{"field": "state", "op": "gt", "value": 3},
                  {"field": "debt", "op": "between", "values": ["1", "2"]},
                  {"field": "dob", "op": "age_between", "values": ["18", "65"]},
                  {"field": "state", "op": "age_between", "values": ["18", "65"]},
                  {"action": "deny", "field": "state", "op": "equals", "value": "NY"},
                  {"schedule": {"days": ["mon", "someday"], "hours": [{"from": "9:00", "to": "17:00"}]}},
                  {"field": "note", "op": "regex", "value": "(oops"}],
      "dupe_check": {"fields": ["phone"], "match": "some", "level": "everywhere"},
      "distribution": {"method": "buyer_groups", "groups": [{"id": 1, "method": "buyer_groups", "if_sold": "maybe"}]},
      "suppliers": [{"id": 3, "client_id": 1, "lp_key": "abcdefgh",
                     "caps": {"leads": [{"type": "fortnight", "limit": 5}, {"type": "day", "limit": -1}],
                              "budget": [{"type": "week", "limit": "ten"}]}}],
      "buyers": [{"id": 4, "client_id": 1, "type": "lead_store", "group_id": 9, "weight": 0}]}]
  })";
  auto r = load_config(cfg);
  ASSERT_FALSE(r.config);
  const auto& e = r.errors;
  EXPECT_TRUE(has_error(
      e,
      "$.campaigns[0].filters[0].op: operator 'gt' does not apply to field 'state' of type state"));
  EXPECT_TRUE(has_error(
      e, "$.campaigns[0].filters[3].op: operator 'age_between' does not apply to field 'state'"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].filters[4].action: must be allow or block"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].filters[5].schedule.days: unknown day 'someday'"));
  EXPECT_TRUE(
      has_error(e, "$.campaigns[0].filters[5].schedule.hours[0].from: must be a time HH:MM"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].filters[6]: invalid regex"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].dupe_check.match: must be any or all"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].dupe_check.level: must be campaign or buyer"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].dupe_check.fields: unknown field 'phone'"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].distribution.groups[0].method: must be waterfall"));
  EXPECT_TRUE(
      has_error(e, "$.campaigns[0].distribution.groups[0].if_sold: must be stop or continue"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].suppliers[0].caps.leads[0].type: must be hour, day"));
  EXPECT_TRUE(
      has_error(e, "$.campaigns[0].suppliers[0].caps.leads[1].limit: must be a whole number"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].suppliers[0].caps.budget[0].limit: must be an amount"));
  EXPECT_TRUE(has_error(e, "$.campaigns[0].buyers[0].weight: must be between 1 and 1000"));
  EXPECT_TRUE(has_error(
      e, "$.campaigns[0].buyers[0].group_id: must name one of the campaign's buyer groups"));
  // The valid ones did not produce errors.
  EXPECT_FALSE(has_error(e, "filters[1]"));
  EXPECT_FALSE(has_error(e, "filters[2]"));
}

TEST(Config, ServerLimitsAndRateLimits) {
  auto ok = load_config(R"({"account":{"timezone":"UTC"},"server":{"max_connections":50,
      "max_requests_per_connection":7,"rate_limits":{"supplier_per_s":5,"supplier_burst":20,
      "token_per_s":2}},"campaigns":[]})");
  ASSERT_TRUE(ok.config) << ok.errors[0];
  EXPECT_EQ(ok.config->server.max_connections, 50u);
  EXPECT_EQ(ok.config->server.max_requests_per_connection, 7u);
  EXPECT_EQ(ok.config->server.supplier_rate_per_s, 5u);
  EXPECT_EQ(ok.config->server.supplier_burst, 20u);
  EXPECT_EQ(ok.config->server.token_rate_per_s, 2u);
  EXPECT_EQ(ok.config->server.token_burst, 0u);
  auto bad = load_config(R"({"account":{"timezone":"UTC"},"server":{"max_connections":0,
      "rate_limits":{"supplier_per_s":-1,"per_ip":3}},"campaigns":[]})");
  EXPECT_TRUE(has_error(bad.errors, "$.server.max_connections: must be between 1 and"));
  EXPECT_TRUE(has_error(bad.errors, "$.server.rate_limits.supplier_per_s: must be between 0"));
  EXPECT_TRUE(has_error(bad.errors, "per_ip"));
}

// The portals' settings (issue 20): per-client permissions, hidden fields, notices.
TEST(Config, PortalPermissionsHiddenFieldsAndNotices) {
  auto ok = load_config(R"({"account":{"timezone":"UTC"},
      "clients":[{"id":1,"company":"C","portal":{"returns":"auto","caps":"approval"}}],
      "portal":{"admin_emails":["ops@x.example"],"login_failures":3,
                "templates":{"balance_low":{"subject":"Low: {{client_company||upper}}","body":"b"}}},
      "campaigns":[{"id":7,"name":"X","fields":["a"],"buyer_hidden_fields":["a","lp_subid2"],"suppliers":[],"buyers":[]}]})");
  ASSERT_TRUE(ok.config) << ok.errors[0];
  const ClientConfig& c = ok.config->clients[0];
  EXPECT_EQ(c.portal.returns, PortalGrant::kAuto);
  EXPECT_EQ(c.portal.pause_resume, PortalGrant::kApproval);  // the default
  EXPECT_EQ(c.portal.caps, PortalGrant::kApproval);
  EXPECT_EQ(c.portal.pricing, PortalGrant::kOff);  // the default
  EXPECT_EQ(ok.config->portal.login_failures, 3u);
  EXPECT_EQ(ok.config->campaigns[0].buyer_hidden_fields.size(), 2u);
  std::vector<std::string> errors;
  auto snap = engine::Snapshot::build(ok.config, errors);
  ASSERT_TRUE(snap) << errors[0];
  engine::NoticeContext ctx(0);
  ctx.set("client_company", "Acme");
  EXPECT_EQ(snap->notice("balance_low")->subject.render(ctx, buyers::Escape::kHeader), "Low: ACME");
  EXPECT_NE(snap->notice("password_reset"), nullptr);  // built in
  auto bad = load_config(R"({"account":{"timezone":"UTC"},
      "clients":[{"id":1,"company":"C","portal":{"returns":"sometimes","refunds":"auto"}}],
      "portal":{"admin_emails":["nope"],"templates":{"welcome":{"subject":"s","body":"b"},
                "balance_low":{"subject":""}}},
      "campaigns":[{"id":7,"name":"X","fields":["a"],"buyer_hidden_fields":["b"],"suppliers":[],"buyers":[]}]})");
  EXPECT_TRUE(has_error(bad.errors, "$.clients[0].portal.returns: must be off, approval or auto"));
  EXPECT_TRUE(has_error(bad.errors, "$.clients[0].portal.refunds: unknown key"));
  EXPECT_TRUE(has_error(bad.errors, "$.portal.admin_emails[0]: must be an email address"));
  EXPECT_TRUE(has_error(bad.errors, "$.portal.templates.welcome: unknown notice"));
  EXPECT_TRUE(has_error(bad.errors, "$.portal.templates.balance_low.subject: must be 1 to 500"));
  EXPECT_TRUE(has_error(bad.errors, "$.campaigns[0].buyer_hidden_fields[0]: unknown field 'b'"));
  auto tmpl = load_config(R"({"account":{"timezone":"UTC"},"portal":{"templates":{
      "password_reset":{"subject":"{{x||frobnicate}}","body":"b"}}},"campaigns":[]})");
  ASSERT_TRUE(tmpl.config) << tmpl.errors[0];
  errors.clear();
  EXPECT_FALSE(engine::Snapshot::build(tmpl.config, errors));
  EXPECT_TRUE(has_error(errors, "$.portal.templates.password_reset.subject: unknown transformer"));
}

// Auto-recharge (issue 20): realtime billing only, above the minimum, at least a minimum deposit.
TEST(Config, AutoRechargeNeedsRealtimeBillingAboveTheMinimum) {
  auto ok = load_config(R"({"account":{"timezone":"UTC"},"clients":[{"id":1,"company":"C",
      "billing":{"mode":"realtime","minimum_balance":"10","auto_recharge":{"below":"25","amount":"100"}}}],
      "campaigns":[]})");
  ASSERT_TRUE(ok.config) << ok.errors[0];
  EXPECT_TRUE(ok.config->clients[0].billing.auto_recharge());
  EXPECT_EQ(ok.config->clients[0].billing.recharge_below, Money::from_whole(25));
  auto bad = load_config(R"({"account":{"timezone":"UTC"},"clients":[
      {"id":1,"company":"C","billing":{"mode":"manual","auto_recharge":{"below":"25","amount":"100"}}},
      {"id":2,"company":"D","billing":{"mode":"realtime","minimum_balance":"30","minimum_deposit":"200",
       "auto_recharge":{"below":"25","amount":"100"}}},
      {"id":3,"company":"E","billing":{"mode":"realtime","auto_recharge":{"amount":"0"}}}],
      "campaigns":[]})");
  EXPECT_TRUE(
      has_error(bad.errors, "$.clients[0].billing.auto_recharge: needs billing mode realtime"));
  EXPECT_TRUE(has_error(bad.errors,
                        "$.clients[1].billing.auto_recharge.below: must be above minimum_balance"));
  EXPECT_TRUE(has_error(
      bad.errors, "$.clients[1].billing.auto_recharge.amount: must be at least minimum_deposit"));
  EXPECT_TRUE(has_error(bad.errors, "$.clients[2].billing.auto_recharge.below: is required"));
  EXPECT_TRUE(has_error(bad.errors, "$.clients[2].billing.auto_recharge.amount: must be positive"));
}

TEST(Config, NotJson) {
  auto r = load_config("{nope");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(has_error(r.errors, "$: not valid JSON"));
}

TEST(Config, HashedKeysAreAccepted) {
  std::string cfg = R"({"account": {"timezone": "UTC"}, "clients": [{"id": 1, "company": "C"}],
    "api_tokens": [{"name": "t", "token_sha256": ")" +
                    sha256_hex("secret-token") + R"(", "role": "admin"}],
    "campaigns": [{"id": 7, "name": "X", "fields": [], "suppliers": [{"id": 3, "client_id": 1,
    "lp_key_sha256": ")" +
                    sha256_hex("k-123456") + R"("}]}]})";
  auto r = load_config(cfg);
  ASSERT_TRUE(r.config) << r.errors[0];
  EXPECT_EQ(r.config->api_tokens[0].token_sha256, sha256_hex("secret-token"));
  EXPECT_EQ(r.config->api_tokens[0].role, Role::kAdmin);
}

}  // namespace
}  // namespace pp
