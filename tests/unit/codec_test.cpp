#include "storage/codec.h"

#include <gtest/gtest.h>

namespace pp::storage {
namespace {

Lead sample() {
  Lead l;
  l.id = "AbCdEfGhIjKlMnOpQrSt";
  l.request_uuid = "9e3bbd2d-c182-4ff5-bc9c-e6a0c550c16c";
  l.created_ms = 1737149951570;
  l.campaign_id = 21624;
  l.supplier_id = 55077;
  l.status = LeadStatus::kAccepted;
  l.error_message = "";
  l.test = true;
  l.cost = Money::from_units(55000);
  l.revenue = Money::from_units(-1);
  l.tags = {"test", "repost"};
  l.fields = {{"first_name", "Ann"}, {"zip_code", "01341"}, {"empty", ""}};
  BuyerOutcome b;
  b.buyer_id = 55080;
  b.status = BuyerStatus::kError;
  b.error_code = 1006;
  b.error_message = "Rejected by buyer";
  b.exec_time_us = 1234;
  l.buyers = {b, b};
  l.buyers[1].status = BuyerStatus::kAccepted;
  l.buyers[1].sell_price = Money::from_whole(14);
  l.redirect_url = "https://x";
  l.exec_time_us = 99;
  return l;
}

TEST(Codec, LeadRoundTrips) {
  Lead l = sample();
  auto d = decode_lead(encode_lead(l));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, l.id);
  EXPECT_EQ(d->created_ms, l.created_ms);
  EXPECT_EQ(d->status, LeadStatus::kAccepted);
  EXPECT_TRUE(d->test);
  EXPECT_EQ(d->cost, l.cost);
  EXPECT_EQ(d->revenue, l.revenue);
  EXPECT_EQ(d->tags, l.tags);
  EXPECT_EQ(d->fields, l.fields);
  ASSERT_EQ(d->buyers.size(), 2u);
  EXPECT_EQ(d->buyers[0].error_message, "Rejected by buyer");
  EXPECT_EQ(d->buyers[1].sell_price, Money::from_whole(14));
  EXPECT_EQ(d->redirect_url, "https://x");
}

TEST(Codec, KeptValuesAndPriceFlagRoundTrip) {
  Lead l = sample();
  l.buyers[1].kept = {{"buyer_ref", "Q-12"}, {"tier", "2"}};
  l.buyers[1].price_missing = true;
  l.buyers[1].buyer_lead_id = "B-77";
  auto d = decode_lead(encode_lead(l));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->buyers[0].kept.empty());
  EXPECT_FALSE(d->buyers[0].price_missing);
  EXPECT_EQ(d->buyers[1].kept, l.buyers[1].kept);
  EXPECT_TRUE(d->buyers[1].price_missing);
  EXPECT_EQ(d->buyers[1].buyer_lead_id, "B-77");
}

// Leads stored by round 1 (version 1: no kept values, no price flag) still read.
TEST(Codec, VersionOneAndTwoLeadsStillDecode) {
  Lead l = sample();
  l.buyers.resize(1);
  l.redirect_url.clear();
  l.exec_time_us = 0;
  std::string v3 = encode_lead(l);
  // Version 3 ends with the buyer's kept count, flag and charged client (0, 0, 0), then redirect
  // "" and time 0; version 2 has no charged client, version 1 neither kept values nor the flag.
  ASSERT_EQ(v3.substr(v3.size() - 5), std::string(5, '\0'));
  const std::string prefix = v3.substr(0, v3.size() - 5);
  std::string v2 = prefix + std::string(4, '\0');
  v2[0] = 2;
  std::string v1 = prefix + std::string(2, '\0');
  v1[0] = 1;
  for (const std::string& old : {v1, v2}) {
    auto d = decode_lead(old);
    ASSERT_TRUE(d) << int(old[0]);
    EXPECT_EQ(d->buyers.size(), 1u);
    EXPECT_EQ(d->buyers[0].error_message, "Rejected by buyer");
    EXPECT_TRUE(d->buyers[0].kept.empty());
    EXPECT_EQ(d->buyers[0].charged_client, 0);
  }
  // An older version's number on a newer record is corrupt, not misread.
  std::string wrong = v3;
  wrong[0] = 1;
  EXPECT_FALSE(decode_lead(wrong));
  wrong[0] = 2;
  EXPECT_FALSE(decode_lead(wrong));
  // The charged client (issue 20) round-trips.
  l.buyers[0].charged_client = 7;
  auto d = decode_lead(encode_lead(l));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->buyers[0].charged_client, 7);
}

TEST(Codec, EveryTruncationAndCorruptionIsRejected) {
  std::string bytes = encode_lead(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_lead(std::string_view(bytes).substr(0, n))) << n;
  }
  EXPECT_FALSE(decode_lead(bytes + "x"));  // trailing garbage
  std::string bad_version = bytes;
  bad_version[0] = 9;
  EXPECT_FALSE(decode_lead(bad_version));
  // A huge length prefix must not allocate or read out of bounds.
  std::string huge = std::string(1, char(1)) + "\xff\xff\xff\xff\xff\xff\xff\xff\x7f";
  EXPECT_FALSE(decode_lead(huge));
}

TEST(Codec, TimelineRoundTripsAndVersionOneDebugLogsStillDecode) {
  DebugLog d;
  d.lead_id = "AbCdEfGhIjKlMnOpQrSt";
  d.config_version = 7;
  d.stages = {{"authenticate", StageVerdict::kContinue, "campaign 1", 12},
              {"filters", StageVerdict::kStop, "Lead not accepted due to filters: state", 3}};
  BuyerDebug b;
  b.buyer_id = 5;
  b.rank = 2;
  d.buyers = {b};
  auto r = decode_debug(encode_debug(d));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->config_version, 7u);
  ASSERT_EQ(r->stages.size(), 2u);
  EXPECT_EQ(r->stages[1].stage, "filters");
  EXPECT_EQ(r->stages[1].verdict, StageVerdict::kStop);
  EXPECT_EQ(r->stages[1].duration_us, 3);
  EXPECT_EQ(r->buyers[0].rank, 2);
  // Round 1's version-1 record: no stages, no version, no rank (a log without buyers ends with
  // the stage count, the version and the check count, all 0, in version 3).
  DebugLog empty;
  empty.lead_id = d.lead_id;
  std::string v3 = encode_debug(empty);
  std::string v1 = v3.substr(0, v3.size() - 3);
  v1[0] = 1;
  auto old = decode_debug(v1);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->lead_id, d.lead_id);
  EXPECT_TRUE(old->stages.empty());
  EXPECT_EQ(old->config_version, 0u);
  // Version 2 (issue 13's): stages and version, no checks.
  std::string v2 = v3.substr(0, v3.size() - 1);
  v2[0] = 2;
  auto two = decode_debug(v2);
  ASSERT_TRUE(two);
  EXPECT_TRUE(two->checks.empty());
}

TEST(Codec, ChecksRoundTripInTheDebugLogAndAlone) {
  DebugLog d;
  d.lead_id = "AbCdEfGhIjKlMnOpQrSt";
  CheckRecord c;
  c.name = "tf";
  c.provider = "TrustedForm";
  c.type = "trustedform";
  c.status = CheckStatus::kError;
  c.error_passed = true;
  c.cached = false;
  c.async = true;
  c.buyer_id = 9;
  c.reason = "TrustedForm timeout";
  c.duration_us = 1234;
  c.values = {{"outcome", "success"}, {"expires_at", "2027-01-01T00:00:00Z"}};
  HttpExchangeLog h;
  h.url = "https://cert.trustedform.com/abc";
  h.method = "post";
  h.http_status = 0;
  h.transport_error = "timeout";
  c.exchange = h;
  CheckRecord plain;
  plain.name = "phone";
  plain.status = CheckStatus::kSkipped;
  plain.cached = true;
  d.checks = {c, plain};
  auto r = decode_debug(encode_debug(d));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->checks.size(), 2u);
  const CheckRecord& x = r->checks[0];
  EXPECT_EQ(x.name, "tf");
  EXPECT_EQ(x.provider, "TrustedForm");
  EXPECT_EQ(x.type, "trustedform");
  EXPECT_EQ(x.status, CheckStatus::kError);
  EXPECT_TRUE(x.error_passed);
  EXPECT_FALSE(x.cached);
  EXPECT_TRUE(x.async);
  EXPECT_EQ(x.buyer_id, 9);
  EXPECT_EQ(x.reason, "TrustedForm timeout");
  EXPECT_EQ(x.duration_us, 1234);
  EXPECT_EQ(x.values, c.values);
  ASSERT_TRUE(x.exchange);
  EXPECT_EQ(x.exchange->transport_error, "timeout");
  EXPECT_EQ(r->checks[1].status, CheckStatus::kSkipped);
  EXPECT_TRUE(r->checks[1].cached);
  EXPECT_FALSE(r->checks[1].exchange);
  auto alone = decode_checks(encode_checks(d.checks));
  ASSERT_TRUE(alone);
  ASSERT_EQ(alone->size(), 2u);
  EXPECT_EQ((*alone)[0].values, c.values);
  std::string bad = encode_checks(d.checks);
  bad[1] = 9;  // claims 9 records
  EXPECT_FALSE(decode_checks(bad));
}

TEST(Codec, DebugLogRoundTrips) {
  DebugLog d;
  d.lead_id = "AbCdEfGhIjKlMnOpQrSt";
  BuyerDebug b;
  b.buyer_id = 7;
  b.type = DeliveryType::kPingPost;
  b.has_bid = true;
  b.bid_raw = Money::from_units(95000);
  b.bid_adjusted = Money::from_units(85000);
  HttpExchangeLog h;
  h.url = "https://b/ping";
  h.method = "post";
  h.payload = "{\"state\":\"NY\"}";
  h.response = "{\"bid\":9.5}";
  h.http_status = 200;
  h.exec_time_us = 1130;
  h.request_headers = {{"Content-Type", "application/json"}};
  h.response_headers = {{"Date", "x"}};
  b.ping = h;
  b.decision = "outbid";
  d.buyers = {b};
  auto r = decode_debug(encode_debug(d));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->buyers.size(), 1u);
  EXPECT_EQ(r->buyers[0].type, DeliveryType::kPingPost);
  EXPECT_EQ(r->buyers[0].bid_adjusted, Money::from_units(85000));
  ASSERT_TRUE(r->buyers[0].ping);
  EXPECT_FALSE(r->buyers[0].post);
  EXPECT_EQ(r->buyers[0].ping->payload, h.payload);
  EXPECT_EQ(r->buyers[0].ping->request_headers, h.request_headers);
  std::string bytes = encode_debug(d);
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_debug(std::string_view(bytes).substr(0, n)));
}

}  // namespace
}  // namespace pp::storage
