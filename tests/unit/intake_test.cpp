#include "api/intake.h"

#include <gtest/gtest.h>

namespace pp::api {
namespace {

Request post(std::string ct, std::string body, std::string query = "") {
  Request r;
  r.method = "POST";
  r.path = "/direct_post";
  r.query = std::move(query);
  if (!ct.empty()) r.headers.emplace_back("Content-Type", std::move(ct));
  r.body = std::move(body);
  return r;
}

TEST(Intake, JsonScalarsKeepOrderAndText) {
  Response err;
  auto in = parse_intake(
      post(
          "application/json; charset=utf-8",
          R"({"lp_campaign_id":21624,"zip_code":"01341","ok":true,"n":null,"amt":1.50,"s":"a\"b"})"),
      err);
  ASSERT_TRUE(in);
  FieldList expect{{"lp_campaign_id", "21624"},
                   {"zip_code", "01341"},
                   {"ok", "true"},
                   {"n", ""},
                   {"amt", "1.50"},
                   {"s", "a\"b"}};
  EXPECT_EQ(in->params, expect);
}

TEST(Intake, FormAndQueryStringBodyWins) {
  Response err;
  auto in = parse_intake(post("application/x-www-form-urlencoded", "a=1&b=x+y%21", "b=q&c=3"), err);
  ASSERT_TRUE(in);
  FieldList expect{{"a", "1"}, {"b", "x y!"}, {"c", "3"}};
  EXPECT_EQ(in->params, expect);
}

TEST(Intake, SniffsBodiesWithoutContentType) {
  Response err;
  auto j = parse_intake(post("", R"({"a":"1"})"), err);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->params[0].second, "1");
  auto f = parse_intake(post("", "a=2"), err);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->params[0].second, "2");
}

TEST(Intake, MalformedRequestsGetClearHttpErrors) {
  Response err;
  EXPECT_FALSE(parse_intake(post("text/plain", "a=1"), err));
  EXPECT_EQ(err.status, 415);
  EXPECT_NE(err.body.find("Unsupported Content-Type"), std::string::npos);
  EXPECT_FALSE(parse_intake(post("application/json", "{\"a\":"), err));
  EXPECT_EQ(err.status, 400);
  EXPECT_FALSE(parse_intake(post("application/json", "[1,2]"), err));
  EXPECT_EQ(err.status, 400);
  EXPECT_FALSE(parse_intake(post("application/json", R"({"a":{"b":1}})"), err));
  EXPECT_NE(err.body.find("nested"), std::string::npos);
  EXPECT_FALSE(parse_intake(post("application/json", R"({"a":1} {"b":2})"), err));
  EXPECT_EQ(err.status, 400);
  EXPECT_FALSE(parse_intake(post("application/x-www-form-urlencoded", "a=%zz"), err));
  EXPECT_EQ(err.status, 400);
  EXPECT_EQ(err.body.find("{\"status\":\"error\",\"message\":"), 0u);
}

TEST(Intake, AnswerShape) {
  engine::IntakeResult r;
  r.status = LeadStatus::kAccepted;
  r.lead_id = "AbCdEfGhIjKlMnOpQrSt";
  r.message = "Lead accepted";
  r.payout = Money::from_units(55000);
  r.redirect_url = "https://x/y";
  EXPECT_EQ(
      render_intake_result(r),
      R"({"status":"ACCEPTED","lead_id":"AbCdEfGhIjKlMnOpQrSt","id":"AbCdEfGhIjKlMnOpQrSt",)"
      R"("code":0,"error_code":0,"message":"Lead accepted","payout":5.5,"redirect_url":"https://x/y"})");
  engine::IntakeResult e;
  e.code = 1003;
  e.message = "Invalid credentials";
  EXPECT_EQ(render_intake_result(e),
            R"({"status":"ERROR","lead_id":null,"id":null,"code":1003,"error_code":1003,)"
            R"("message":"Invalid credentials","payout":0})");
}

}  // namespace
}  // namespace pp::api
