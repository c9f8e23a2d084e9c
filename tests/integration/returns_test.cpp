// Bulk returns (issue 19, G7) through the real server: a CSV of lead ids, emails or phones matched
// to one campaign's sales in a date range; several matches returned all, newest only, or none;
// per-row results in all.csv and one file per supplier; statistics and accounting afterwards equal
// a recomputation from the stored leads — on 10,000 rows made by a batch.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "app_fixture.h"
#include "csv_rows.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Returns : public AppFixture {
 protected:
  void SetUp() override {
    // The buyer refuses leads named "Refuse": those stay unsold.
    buyer_.on("/post", [](const Received& r) {
      return r.body.find("Refuse") != std::string::npos
                 ? FakeReply::json(R"({"status":"rejected"})")
                 : FakeReply::json(R"({"status":"accepted","id":"B"})");
    });
    json::object cfg = base_config({http_buyer(300, 2, buyer_.url("/post"), 1, "20")});
    auto& c = campaign_cfg(cfg);
    c["suppliers"].as_array().push_back(json::parse(
        R"({"id": 202, "client_id": 1, "lp_key": "supplier-key-202",
            "price": {"type": "static", "amount": "3"}})"));
    cfg["jobs"] = json::object{{"batch_rows_per_s", 100000}, {"batch_concurrency", 32}};
    start(cfg);
    TimeZone ny;
    ASSERT_TRUE(TimeZone::lookup("America/New_York", ny));
    const UnixMs now = SystemClock::instance().now_ms();
    from_ = format_local_date(ny, now - 86400000);
    to_ = format_local_date(ny, now + 86400000);
    range_ = R"("start_date":")" + from_ + R"(","end_date":")" + to_ + R"(")";
  }
  std::string from_, to_, range_;  // yesterday to tomorrow (the campaign's zone)

  json::object post(int i, int supplier, const std::string& email, const std::string& phone,
                    const std::string& name = "Ann") {
    const std::string body = R"({"lp_campaign_id":100,"lp_supplier_id":)" +
                             std::to_string(supplier) + R"(,"lp_key":"supplier-key-)" +
                             std::to_string(supplier) + R"(","first_name":")" + name +
                             R"(","email":")" + email + R"(","phone":")" + phone +
                             R"(","state":"NY","lp_subid2":")" + std::to_string(i) + R"("})";
    HttpReply r = post_lead(body);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_object(r.body);
  }

  std::string upload(const std::string& name, const std::string& csv) {
    HttpReply r = http_call(app_->port(), "POST", "/admin/uploads?filename=" + name, csv,
                            {{"Authorization", "Bearer test-admin-token"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(parse_object(r.body)["upload_id"].as_string());
  }

  json::object run(const std::string& body) {
    HttpReply r = http_call(app_->port(), "POST", "/admin/returns", body,
                            {{"Authorization", "Bearer test-admin-token"}});
    EXPECT_EQ(r.status, 202) << r.body;
    const std::string id(parse_object(r.body)["id"].as_string());
    json::object j;
    EXPECT_TRUE(eventually(
        [&] {
          j = parse_object(admin_get("/admin/returns/" + id).body);
          return j["status"] == "completed" || j["status"] == "failed";
        },
        120s));
    return j;
  }

  // The results archive: file name -> rows (header first).
  std::map<std::string, std::vector<std::vector<std::string>>> results(const json::object& job) {
    HttpReply f = admin_get(std::string(job.at("file").at("url").as_string()));
    EXPECT_EQ(f.status, 200);
    const std::string path = data_dir_ + "/returns.zip";
    std::ofstream(path, std::ios::binary) << f.body;
    json::value z = run_reader("zip", path);
    std::map<std::string, std::vector<std::vector<std::string>>> out;
    for (const auto& [name, text] : z.at("files").as_object())
      out[std::string(name)] = parse_csv(std::string(text.as_string()));
    return out;
  }

  // An amount of a JSON answer (at most 4 decimals) in 1/10,000 units.
  static int64_t units(const json::value& v) {
    return v.is_int64() ? v.as_int64() * 10000 : std::llround(v.to_number<double>() * 10000);
  }

  // /public/stats's returned figures equal the stored leads' (recomputed here), and accounting's.
  void expect_figures_match_the_leads() {
    std::map<int64_t, std::pair<int64_t, int64_t>> supplier;  // returned leads, returned cost
    int64_t buyer_returned = 0, buyer_revenue = 0;
    app_->store().scan_campaign_leads(100, 0, INT64_MAX, std::nullopt,
                                      [&](const storage::LeadIndexEntry& e) {
                                        auto l = app_->store().get_lead(e.id);
                                        if (!l || !l->returned) return true;
                                        supplier[l->supplier_id].first += 1;
                                        supplier[l->supplier_id].second += l->cost.units();
                                        for (const auto& b : l->buyers)
                                          if (b.returned) {
                                            ++buyer_returned;
                                            buyer_revenue += b.sell_price.units();
                                          }
                                        return true;
                                      });
    const std::string dates = "start_date=" + from_ + "&end_date=" + to_;
    json::value stats = json::parse(admin_get("/public/stats?campaign=100&" + dates).body);
    const auto& c = stats.as_array()[0].as_object();
    int64_t total_returned = 0;
    for (const auto& s : c.at("suppliers").as_array()) {
      const int64_t id = s.at("id").as_int64();
      EXPECT_EQ(s.at("leads_returned").as_int64(), supplier[id].first) << "supplier " << id;
      EXPECT_EQ(units(s.at("returned_cost")), supplier[id].second) << "supplier " << id;
      total_returned += supplier[id].first;
    }
    EXPECT_GT(total_returned, 0);
    const auto& b = c.at("buyers").as_array()[0].as_object();
    EXPECT_EQ(b.at("leads_returned").as_int64(), buyer_returned);
    EXPECT_EQ(units(b.at("returned_revenue")), buyer_revenue);
    json::object acc = parse_object(admin_get("/public/accounting?" + dates).body);
    int64_t due_returned = 0, owed_returned = 0;
    for (const auto& client : acc["data"].as_array()) {
      for (const auto& line : client.at("due").at("breakdown").as_array())
        due_returned += line.at("returned_leads").as_int64();
      for (const auto& line : client.at("owed").at("breakdown").as_array())
        owed_returned += line.at("returned_leads").as_int64();
    }
    EXPECT_EQ(due_returned, buyer_returned);
    EXPECT_EQ(owed_returned, total_returned);
  }

  FakeBuyer buyer_;
};

TEST_F(Returns, ByIdEmailAndPhoneWithEveryAnswerAndAFilePerSupplier) {
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i)
    ids.emplace_back(post(i, i % 2 ? 202 : 200, "u" + std::to_string(i) + "@ex.org",
                          "(410) 309-" + std::to_string(1000 + i))["lead_id"]
                         .as_string());
  // Two sales share an email and a phone; one lead is not sold.
  const std::string twin_a(post(20, 200, "twin@ex.org", "(410) 309-2222")["lead_id"].as_string());
  std::this_thread::sleep_for(5ms);  // "newest" compares creation times
  const std::string twin_b(post(21, 202, "twin@ex.org", "(410) 309-2222")["lead_id"].as_string());
  json::object refused = post(22, 200, "no@ex.org", "(410) 309-3333", "Refuse");
  ASSERT_EQ(refused["status"], "ERROR");
  const std::string unsold(refused["lead_id"].as_string());

  // By lead id, with a reason per row: six returned, one unknown, one repeated, one unsold.
  std::string csv = "lead,why\n";
  for (int i = 0; i < 6; ++i) csv += ids[size_t(i)] + ",wrong number " + std::to_string(i) + "\n";
  csv += "AAAAAAAAAAAAAAAAAAAA,nope\n" + ids[0] + ",again\n" + unsold + ",x\n,empty\n";
  const std::string& range = range_;
  json::object job =
      run(R"({"upload_id":")" + upload("ids.csv", csv) +
          R"(","campaign_id":100,"column":"lead","reason_column":"why",)" + range + "}");
  ASSERT_EQ(job["status"], "completed") << json::serialize(job);
  const auto& n = job["counts"].as_object();
  EXPECT_EQ(n.at("rows"), 10);
  EXPECT_EQ(n.at("returned"), 6);
  EXPECT_EQ(n.at("not_found"), 2);
  EXPECT_EQ(n.at("already_returned"), 1);
  EXPECT_EQ(n.at("not_sold"), 1);
  auto files = results(job);
  ASSERT_EQ(files.size(), 3u);  // all.csv, supplier_200.csv, supplier_202.csv
  const auto& all = files["all.csv"];
  ASSERT_EQ(all.size(), 11u);
  EXPECT_EQ(all[1][5], "returned");
  EXPECT_EQ(all[1][6], "wrong number 0");
  EXPECT_EQ(all[7][5], "not_found");
  EXPECT_EQ(all[8][5], "already_returned");
  EXPECT_EQ(all[9][5], "not_sold");
  for (const auto& [name, rows] : files) {
    if (name == "all.csv") continue;
    ASSERT_GT(rows.size(), 1u) << name;
    for (size_t i = 1; i < rows.size(); ++i)
      EXPECT_EQ("supplier_" + rows[i][3] + ".csv", name);  // each supplier's rows only
  }
  // Every row with a lead (not the unknown id, not the empty one) in its supplier's file.
  EXPECT_EQ(files["supplier_200.csv"].size() + files["supplier_202.csv"].size() - 2, 8u);
  auto lead0 = app_->store().get_lead(ids[0]);
  ASSERT_TRUE(lead0 && lead0->returned);
  EXPECT_EQ(lead0->return_reason, "wrong number 0");

  // By email, skipping ambiguous values; by phone, the newest of several.
  job = run(R"({"upload_id":")" +
            upload("emails.csv", "email\ntwin@ex.org\n u7@EX.ORG\nnobody@ex.org\n") +
            R"(","campaign_id":100,"column":"email","match_by":"email","on_multiple":"skip",)" +
            range + "}");
  ASSERT_EQ(job["status"], "completed") << json::serialize(job);
  EXPECT_EQ(job["counts"].at("ambiguous"), 1);
  EXPECT_EQ(job["counts"].at("returned"), 1);  // u7, its domain in any case
  EXPECT_EQ(job["counts"].at("not_found"), 1);
  job = run(R"({"upload_id":")" + upload("phones.csv", "phone\n410.309.2222\n") +
            R"(","campaign_id":100,"column":"phone","match_by":"phone","on_multiple":"newest",)" +
            range + "}");
  ASSERT_EQ(job["status"], "completed") << json::serialize(job);
  EXPECT_EQ(job["counts"].at("returned"), 1);
  EXPECT_TRUE(app_->store().get_lead(twin_b)->returned);  // the newer one
  EXPECT_FALSE(app_->store().get_lead(twin_a)->returned);
  expect_figures_match_the_leads();

  // Refusals when asked.
  auto refused_with = [&](const std::string& body) {
    return http_call(app_->port(), "POST", "/admin/returns", body,
                     {{"Authorization", "Bearer test-admin-token"}})
        .status;
  };
  EXPECT_EQ(
      refused_with(R"({"filename":"ids.csv","campaign_id":100,"column":"nope",)" + range + "}"),
      422);
  EXPECT_EQ(refused_with(R"({"filename":"ids.csv","campaign_id":100,"column":"lead"})"), 400);
  EXPECT_EQ(refused_with(R"({"filename":"ids.csv","campaign_id":100,"column":"lead",)"
                         R"("match_by":"fax",)" +
                         range + "}"),
            400);
  EXPECT_EQ(refused_with(R"({"filename":"ids.csv","campaign_id":7,"column":"lead",)" + range + "}"),
            404);
  EXPECT_EQ(http_call(app_->port(), "POST", "/admin/returns", "{}",
                      {{"Authorization", "Bearer test-read-token"}})
                .status,
            403);
}

TEST_F(Returns, TenThousandRowsLeaveStatisticsEqualToARecomputation) {
  constexpr int kLeads = 10000;
  std::string leads = "first_name,email,phone,state\n";
  for (int i = 0; i < kLeads; ++i)
    leads += "Ann,r" + std::to_string(i) + "@ex.org,(410) 3" + std::to_string(10 + i / 9000) + "-" +
             std::to_string(1000 + i % 9000) + ",NY\n";
  HttpReply b = http_call(
      app_->port(), "POST", "/admin/batches",
      R"({"upload_id":")" + upload("ten.csv", leads) + R"(","campaign_id":100,"supplier_id":200})",
      {{"Authorization", "Bearer test-admin-token"}});
  ASSERT_EQ(b.status, 202) << b.body;
  const std::string batch(parse_object(b.body)["batch_id"].as_string());
  json::object done;
  ASSERT_TRUE(eventually(
      [&] {
        done = parse_object(admin_get("/admin/batches/" + batch).body);
        return done["status"] == "completed";
      },
      300s));
  ASSERT_EQ(done["rows_accepted"], kLeads) << json::serialize(done);
  // Return every lead by its email (10,000 rows), from the batch's results.
  auto rows = parse_csv(admin_get("/admin/batches/" + batch + "/results").body);
  ASSERT_EQ(rows.size(), size_t(kLeads) + 1);
  std::string csv = "email\n";
  for (int i = 0; i < kLeads; ++i) csv += "r" + std::to_string(i) + "@ex.org\n";
  json::object job =
      run(R"({"upload_id":")" + upload("back.csv", csv) +
          R"(","campaign_id":100,"column":"email","match_by":"email",)" + range_ + "}");
  ASSERT_EQ(job["status"], "completed") << json::serialize(job);
  EXPECT_EQ(job["counts"].at("rows"), kLeads);
  EXPECT_EQ(job["counts"].at("returned"), kLeads);
  expect_figures_match_the_leads();
}

}  // namespace
}  // namespace pp::testkit
