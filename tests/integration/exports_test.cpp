// Exports (issue 19, G6) through the real server: leads, statistics, accounting and ping/post logs
// as CSV and XLSX, made by jobs with progress, downloaded whole, read back with readers
// independent of the server (Python's csv, zipfile and ElementTree over the XLSX parts), scoped
// to what a token sees, cancelled, and gone after the download window.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "app_fixture.h"
#include "core/time.h"
#include "csv_rows.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Exports : public AppFixture {
 protected:
  ManualClock clock_{1'780'000'000'000};  // 2026-05-28

  void SetUp() override {
    buyer_.on("/post", FakeReply::json(R"({"status":"accepted","id":"B-1"})"));
    json::object cfg = base_config({http_buyer(300, 2, buyer_.url("/post"), 1, "12.5")});
    cfg["api_tokens"].as_array().push_back(json::parse(
        R"({"name": "other", "token": "test-other-token", "role": "read", "campaigns": [101]})"));
    cfg["campaigns"].as_array().push_back(json::parse(
        R"({"id": 101, "name": "Other", "type": "direct_post",
            "fields": [{"name": "email", "type": "email", "required": true}],
            "suppliers": [{"id": 210, "client_id": 1, "lp_key": "supplier-key-210"}]})"));
    cfg["api_tokens"].as_array().push_back(json::parse(
        R"({"name": "mine", "token": "test-mine-token", "role": "read", "campaigns": [100]})"));
    start(cfg, {}, &clock_);
  }

  std::string lead(int i, const std::string& first = "Ann") {
    return R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
           R"("first_name":")" +
           first + R"(","email":"ann)" + std::to_string(i) +
           R"(@example.org","phone":"(410) 309-)" + std::to_string(7000 + i) +
           R"(","state":"NY","zip_code":"01341","lp_subid1":"s)" + std::to_string(i) + R"("})";
  }

  HttpReply create(const std::string& body, const std::string& token = "test-admin-token") {
    return http_call(app_->port(), "POST", "/admin/exports", body,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }

  // Creates an export and waits for it to finish; its final record.
  json::object finished(const std::string& body) {
    HttpReply r = create(body);
    EXPECT_EQ(r.status, 202) << r.body;
    const std::string id = std::string(parse_object(r.body)["id"].as_string());
    json::object job;
    EXPECT_TRUE(eventually([&] {
      job = parse_object(admin_get("/admin/exports/" + id).body);
      auto* st = job.if_contains("status");
      return st && st->as_string() != "queued" && st->as_string() != "running";
    }));
    return job;
  }

  std::string download(const json::object& job) {
    HttpReply r = admin_get(std::string(job.at("file").at("url").as_string()));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  std::string save(const std::string& bytes, const std::string& name) {
    const std::string path = data_dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  static constexpr const char* kRange = R"("start_date":"2026-05-27","end_date":"2026-05-29")";
  FakeBuyer buyer_;
};

TEST_F(Exports, LeadsAsCsvAndXlsxHoldEveryLeadWithTheSameCells) {
  std::set<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    HttpReply r = post_lead(lead(i, i == 3 ? "=HYPERLINK(1)" : "Ann, \\\"Jr\\\""));
    ASSERT_EQ(r.status, 200) << r.body;
    ids.insert(std::string(parse_object(r.body)["lead_id"].as_string()));
    clock_.advance_ms(1000);
  }
  // One that fails (no email): exported with its error.
  ASSERT_EQ(post_lead(R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
                      R"("first_name":"Bo","phone":"(410) 309-7989","state":"NY"})")
                .status,
            200);
  json::object csv_job = finished(R"({"type":"leads","format":"csv","params":{"campaign":100,)" +
                                  std::string(kRange) + "}}");
  ASSERT_EQ(csv_job["status"], "completed") << json::serialize(csv_job);
  EXPECT_EQ(csv_job["progress"].at("done"), 26);
  EXPECT_EQ(csv_job["progress"].at("percent"), 100);
  EXPECT_EQ(csv_job["counts"].at("leads"), 26);
  const std::string csv = download(csv_job);
  EXPECT_EQ(int64_t(csv.size()), csv_job["file"].at("bytes").as_int64());
  auto rows = parse_csv(csv);
  ASSERT_EQ(rows.size(), 27u);  // header + 26
  const auto& head = rows[0];
  auto col = [&](const std::string& name) {
    auto it = std::find(head.begin(), head.end(), name);
    EXPECT_NE(it, head.end()) << name;
    return size_t(it - head.begin());
  };
  size_t accepted = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    ASSERT_EQ(r.size(), head.size());
    if (r[col("status")] == "ACCEPTED") {
      ++accepted;
      EXPECT_TRUE(ids.count(r[col("id")])) << r[col("id")];
      EXPECT_EQ(r[col("cost")], "4.25");
      EXPECT_EQ(r[col("sell_price")], "12.5");
      EXPECT_EQ(r[col("profit")], "8.25");
      EXPECT_EQ(r[col("buyer_id")], "300");
      EXPECT_EQ(r[col("campaign_name")], "Test Campaign");
      EXPECT_TRUE(r[col("lp_subid1")].starts_with("s"));
      EXPECT_EQ(r[col("phone")].substr(0, 6), "410309");
    } else {
      EXPECT_EQ(r[col("status")], "ERROR");
      EXPECT_FALSE(r[col("error_message")].empty());
    }
  }
  EXPECT_EQ(accepted, 25u);
  // Newest first; a formula in lead data reaches the spreadsheet as text.
  EXPECT_EQ(rows[1][col("first_name")], "Bo");
  bool formula_seen = false;
  for (const auto& r : rows)
    if (r[col("first_name")].find("HYPERLINK") != std::string::npos) {
      EXPECT_EQ(r[col("first_name")].front(), '\'');
      formula_seen = true;
    }
  EXPECT_TRUE(formula_seen);

  json::object x_job = finished(R"({"type":"leads","format":"xlsx","params":{"campaign":100,)" +
                                std::string(kRange) + "}}");
  ASSERT_EQ(x_job["status"], "completed") << json::serialize(x_job);
  EXPECT_EQ(x_job["file"].at("content_type"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  json::value book = run_reader("xlsx", save(download(x_job), "leads.xlsx"));
  const auto& sheets = book.at("sheets").as_array();
  ASSERT_EQ(sheets.size(), 1u);
  const auto& xrows = sheets[0].at("rows").as_array();
  ASSERT_EQ(xrows.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& xr = xrows[i].as_array();
    for (size_t k = 0; k < rows[i].size(); ++k) {
      std::string want = rows[i][k];
      if (want.starts_with("'=")) want = want.substr(1);  // XLSX keeps text as text
      const std::string got = k < xr.size() ? std::string(xr[k].as_string()) : std::string();
      EXPECT_EQ(got, want) << "row " << i << " column " << head[k];
    }
  }
}

TEST_F(Exports, StatsAccountingAndLogsFollowTheReadApi) {
  for (int i = 0; i < 6; ++i) ASSERT_EQ(post_lead(lead(i)).status, 200);
  json::object stats =
      finished(R"({"type":"stats","format":"csv","params":{)" + std::string(kRange) + "}}");
  ASSERT_EQ(stats["status"], "completed") << json::serialize(stats);
  auto rows = parse_csv(download(stats));
  ASSERT_GE(rows.size(), 3u);
  const auto& head = rows[0];
  auto col = [&](const std::string& name) {
    return size_t(std::find(head.begin(), head.end(), name) - head.begin());
  };
  ASSERT_LT(col("section"), head.size());
  ASSERT_LT(col("campaign.id"), head.size());
  bool supplier = false, buyer = false;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r[col("campaign.id")] == "101") continue;  // the other campaign: no traffic
    EXPECT_EQ(r[col("campaign.id")], "100");
    EXPECT_EQ(r[col("campaign.leads_total")], "6");
    if (r[col("section")] == "suppliers" && r[col("id")] == "200") {
      supplier = true;
      EXPECT_EQ(r[col("leads_accepted")], "6");
      EXPECT_EQ(r[col("total_buy")], "25.5");
      EXPECT_EQ(r[col("profit")], "49.5");
    }
    if (r[col("section")] == "buyers" && r[col("id")] == "300") {
      buyer = true;
      EXPECT_EQ(r[col("total_sell")], "75");
    }
  }
  EXPECT_TRUE(supplier && buyer);

  json::object acc =
      finished(R"({"type":"accounting","format":"xlsx","params":{)" + std::string(kRange) + "}}");
  ASSERT_EQ(acc["status"], "completed") << json::serialize(acc);
  json::value book = run_reader("xlsx", save(download(acc), "acc.xlsx"));
  const auto& arows = book.at("sheets").as_array()[0].at("rows").as_array();
  ASSERT_GE(arows.size(), 3u);  // header, the supplier's client owed, the buyer's client due
  std::map<std::string, std::string> owed_total;
  const auto& ah = arows[0].as_array();
  auto acol = [&](std::string_view name) {
    for (size_t i = 0; i < ah.size(); ++i)
      if (ah[i].as_string() == name) return i;
    ADD_FAILURE() << name;
    return size_t(0);
  };
  bool owed = false, due = false;
  for (size_t i = 1; i < arows.size(); ++i) {
    const auto& r = arows[i].as_array();
    if (r[acol("section")].as_string() == "owed") {
      owed = true;
      EXPECT_EQ(r[acol("client.id")].as_string(), "1");
      EXPECT_EQ(r[acol("total_amount")].as_string(), "25.5");
    }
    if (r[acol("section")].as_string() == "due") {
      due = true;
      EXPECT_EQ(r[acol("client.id")].as_string(), "2");
      EXPECT_EQ(r[acol("net_amount")].as_string(), "75");
    }
  }
  EXPECT_TRUE(owed && due);

  json::object logs = finished(R"({"type":"logs","format":"csv","params":{"campaign":100,)" +
                               std::string(kRange) + "}}");
  ASSERT_EQ(logs["status"], "completed") << json::serialize(logs);
  EXPECT_EQ(logs["file"].at("content_type"), "application/zip");
  EXPECT_EQ(logs["counts"].at("exchanges"), 6);
  json::value zip = run_reader("zip", save(download(logs), "logs.zip"));
  const auto& names = zip.at("names").as_array();
  ASSERT_EQ(names.size(), 2u) << json::serialize(zip.at("names"));
  EXPECT_EQ(names[0], "master.csv");
  EXPECT_TRUE(std::string(names[1].as_string()).starts_with("buyer_300")) << names[1];
  auto master = parse_csv(std::string(zip.at("files").at("master.csv").as_string()));
  ASSERT_EQ(master.size(), 7u);
  EXPECT_EQ(master[1][6], "post");
  EXPECT_EQ(master[1][9], "200");
  EXPECT_NE(master[1][14].find("Ann"), std::string::npos);  // the request as sent
  EXPECT_NE(master[1][15].find("accepted"), std::string::npos);
  auto per_buyer = parse_csv(std::string(zip.at("files").at(names[1].as_string()).as_string()));
  EXPECT_EQ(per_buyer, master);
}

TEST_F(Exports, ScopeValidationCancelAndTheDownloadWindow) {
  ASSERT_EQ(post_lead(lead(1)).status, 200);
  // Parameters checked when the export is asked for, with the read API's answers.
  EXPECT_EQ(create(R"({"type":"everything"})").status, 400);
  EXPECT_EQ(create(R"({"type":"leads","format":"pdf","params":{}})").status, 400);
  HttpReply bad = create(R"({"type":"leads","params":{"campaign":100}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("start_date"), std::string::npos) << bad.body;
  EXPECT_EQ(create("not json").status, 400);
  // Tokens: another campaign's token cannot export this one, nor see its exports.
  const std::string body =
      R"({"type":"leads","params":{"campaign":100,)" + std::string(kRange) + "}}";
  EXPECT_EQ(create(body, "test-other-token").status, 404);
  EXPECT_EQ(create(R"({"type":"stats","params":{)" + std::string(kRange) + "}}", "test-mine-token")
                .status,
            403);
  HttpReply mine = create(body, "test-mine-token");
  ASSERT_EQ(mine.status, 202) << mine.body;
  const std::string id = std::string(parse_object(mine.body)["id"].as_string());
  EXPECT_EQ(admin_get("/admin/exports/" + id, "test-other-token").status, 404);
  EXPECT_EQ(admin_get("/admin/exports/" + id + "/file", "test-other-token").status, 404);
  EXPECT_EQ(
      parse_object(admin_get("/admin/exports", "test-other-token").body)["items"].as_array().size(),
      0u);
  json::object job;
  ASSERT_TRUE(eventually([&] {
    job = parse_object(admin_get("/admin/exports/" + id, "test-mine-token").body);
    return job["status"] == "completed";
  }));
  EXPECT_EQ(job["actor"], "mine");
  EXPECT_EQ(admin_get("/admin/exports/" + id + "/file", "test-mine-token").status, 200);
  // A finished export cannot be cancelled.
  EXPECT_EQ(http_call(app_->port(), "DELETE", "/admin/exports/" + id, "",
                      {{"Authorization", "Bearer test-admin-token"}})
                .status,
            409);
  // Paging: newest first, by cursor.
  for (int i = 0; i < 3; ++i) {
    clock_.advance_ms(1);  // ids sort by their creation millisecond
    ASSERT_EQ(create(body).status, 202);
  }
  ASSERT_TRUE(eventually([&] {
    auto l = parse_object(admin_get("/admin/exports?status=completed&limit=10").body);
    return l["items"].as_array().size() == 4;
  }));
  auto page1 = parse_object(admin_get("/admin/exports?limit=3").body);
  ASSERT_EQ(page1["items"].as_array().size(), 3u);
  ASSERT_TRUE(page1["next_cursor"].is_string());
  auto page2 = parse_object(
      admin_get("/admin/exports?limit=3&cursor=" + std::string(page1["next_cursor"].as_string()))
          .body);
  ASSERT_EQ(page2["items"].as_array().size(), 1u);
  EXPECT_EQ(page2["items"].as_array()[0].at("id").as_string(), id);
  EXPECT_TRUE(page2["next_cursor"].is_null());
  // After the download window (7 days) the file is gone and the record says so.
  clock_.advance_ms(8LL * 86400000);
  app_->jobs().sweep();
  EXPECT_EQ(admin_get("/admin/exports/" + id + "/file").status, 410);
  EXPECT_EQ(parse_object(admin_get("/admin/exports/" + id).body)["status"], "expired");
  EXPECT_FALSE(std::filesystem::exists(data_dir_ + "/files/" + id + ".csv"));
}

}  // namespace
}  // namespace pp::testkit
