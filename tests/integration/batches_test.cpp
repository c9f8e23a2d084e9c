// Batch intake (issue 19, A8) through the real server: files uploaded as multipart CSV, a JSON
// array and one JSON object per line; batches run through the whole pipeline as one supplier's
// leads, every row accounted for once in row order (accepted + duplicated + failed = rows);
// 422 with the missing columns' names; seed 004's list paging; batch.completed through the
// outbox; a batch stopped with the server resumes after its last recorded row, no row sent twice.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "app_fixture.h"
#include "csv_rows.h"
#include "engine/jobs.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Batches : public AppFixture {
 protected:
  void SetUp() override { start(config(1000)); }

  json::object config(int rows_per_s) {
    buyer_.on("/post", FakeReply::json(R"({"status":"accepted","id":"B-1"})"));
    hooks_.on("/hook", FakeReply::json("{}"));
    json::object cfg = base_config({http_buyer(300, 2, buyer_.url("/post"), 1)});
    cfg["jobs"] = json::object{{"batch_rows_per_s", rows_per_s}, {"batch_concurrency", 4}};
    cfg["webhooks"] = json::array{json::object{{"id", 1},
                                               {"name", "batches"},
                                               {"url", hooks_.url("/hook")},
                                               {"events", json::array{"batch.completed"}}}};
    cfg["api_tokens"].as_array().push_back(
        json::parse(R"({"name": "editor", "token": "test-editor-token", "role": "editor"})"));
    return cfg;
  }

  // n rows; every 10th has an email that is not one (the lead is stored with an error).
  static std::string csv_rows(int n, int from = 0) {
    std::string out = "first_name,email,phone,state,zip_code,lp_subid1,lp_key\r\n";
    for (int i = from; i < from + n; ++i)
      out += "\"Ann, " + std::to_string(i) + "\"," +
             (i % 10 == 9 ? std::string("not-an-email") : "ann" + std::to_string(i) + "@ex.org") +
             ",(410) 309-" + std::to_string(1000 + i) + ",NY,01341,row" + std::to_string(i) +
             ",ignored\r\n";
    return out;
  }

  HttpReply upload_multipart(const std::string& filename, const std::string& content,
                             const std::string& token = "test-admin-token") {
    const std::string b = "----pp-boundary-7MA4YWxk";
    std::string body = "--" + b +
                       "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--" + b +
                       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
                       "\"\r\nContent-Type: text/csv\r\n\r\n" + content + "\r\n--" + b + "--\r\n";
    return http_call(app_->port(), "POST", "/admin/uploads", body,
                     {{"Authorization", "Bearer " + token},
                      {"Content-Type", "multipart/form-data; boundary=" + b}});
  }

  HttpReply create(const std::string& body, const std::string& token = "test-admin-token") {
    return http_call(app_->port(), "POST", "/admin/batches", body,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }

  json::object wait_done(const std::string& id) {
    json::object b;
    EXPECT_TRUE(eventually(
        [&] {
          b = parse_object(admin_get("/admin/batches/" + id).body);
          return b["status"] == "completed" || b["status"] == "failed";
        },
        60s));
    return b;
  }

  // Leads stored for the batch (tagged batch:<id>), by lp_subid1.
  std::map<std::string, int> stored_rows(const std::string& batch) {
    std::map<std::string, int> out;
    app_->store().scan_campaign_leads(
        100, 0, INT64_MAX, std::nullopt, [&](const storage::LeadIndexEntry& e) {
          auto l = app_->store().get_lead(e.id);
          if (l && std::find(l->tags.begin(), l->tags.end(), "batch:" + batch) != l->tags.end())
            ++out[*find_field(l->fields, "lp_subid1")];
          return true;
        });
    return out;
  }

  FakeBuyer buyer_, hooks_;
  ManualClock clock_{1'790'000'000'000};  // (a member: it must outlive the app, reset in TearDown)
};

TEST_F(Batches, AMultipartCsvRunsEveryRowThroughThePipelineOnce) {
  HttpReply up = upload_multipart("leads.csv", csv_rows(40));
  ASSERT_EQ(up.status, 201) << up.body;
  json::object u = parse_object(up.body);
  EXPECT_EQ(u["filename"], "leads.csv");
  EXPECT_EQ(u["rows_detected"], 40);
  EXPECT_EQ(u["format"], "csv");
  EXPECT_EQ(u["size"].as_int64(), int64_t(csv_rows(40).size()));
  HttpReply made = create(R"({"filename":"leads.csv","campaign_id":100,"supplier_id":200})");
  ASSERT_EQ(made.status, 202) << made.body;
  json::object b = parse_object(made.body);
  EXPECT_EQ(b["status"], "queued");
  EXPECT_EQ(b["rows_total"], 40);
  ASSERT_TRUE(b["created_at"].is_string());
  const std::string created(b["created_at"].as_string());  // seed 004: 2026-03-19T11:00:00Z
  EXPECT_EQ(created.size(), 20u) << created;
  EXPECT_EQ(created[10], 'T');
  EXPECT_EQ(created.back(), 'Z');
  const std::string id(b["batch_id"].as_string());
  ASSERT_TRUE(id.starts_with("batch_"));
  b = wait_done(id);
  ASSERT_EQ(b["status"], "completed") << json::serialize(b);
  EXPECT_EQ(b["rows_accepted"], 36);
  EXPECT_EQ(b["rows_failed"], 4);
  EXPECT_EQ(b["rows_duplicated"], 0);
  EXPECT_EQ(b["rows_done"], 40);
  EXPECT_TRUE(b["completed_at"].is_string());
  // The results: one line per row, in row order, each with its lead.
  HttpReply res = admin_get(std::string(b["results_url"].as_string()));
  ASSERT_EQ(res.status, 200);
  auto rows = parse_csv(res.body);
  ASSERT_EQ(rows.size(), 41u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"row", "lead_id", "status", "code", "message"}));
  for (int i = 1; i <= 40; ++i) {
    EXPECT_EQ(rows[size_t(i)][0], std::to_string(i));
    EXPECT_EQ(rows[size_t(i)][2], i % 10 == 0 ? "ERROR" : "ACCEPTED") << i;
    auto lead = app_->store().get_lead(rows[size_t(i)][1]);
    ASSERT_TRUE(lead) << i;
    EXPECT_EQ(lead->supplier_id, 200);
    EXPECT_EQ(*find_field(lead->fields, "lp_subid1"), "row" + std::to_string(i - 1));
    EXPECT_EQ(*find_field(lead->fields, "first_name"), "Ann, " + std::to_string(i - 1));
    EXPECT_EQ(find_field(lead->fields, "lp_key"), nullptr);  // a file's lp_key is never data
  }
  auto stored = stored_rows(id);
  EXPECT_EQ(stored.size(), 40u);
  for (const auto& [row, n] : stored) EXPECT_EQ(n, 1) << row;
  // batch.completed, written with the job's end, delivered through the outbox.
  ASSERT_TRUE(eventually([&] { return !hooks_.received().empty(); }));
  json::object ev = parse_object(hooks_.received().front().body);
  EXPECT_EQ(ev["type"], "batch.completed");
  EXPECT_EQ(ev["data"].at("batch_id").as_string(), id);
  EXPECT_EQ(ev["data"].at("rows_accepted"), 36);
  EXPECT_EQ(ev["data"].at("rows_failed"), 4);
}

TEST_F(Batches, JsonUploadsMissingColumnsPagingAndPermissions) {
  // A JSON array (raw body, named by the query) and objects one per line.
  const std::string arr =
      R"([{"first_name":"Jo","email":"jo@ex.org","phone":"(410) 309-2001","state":"NY","zip_code":12345},)"
      R"({"first_name":"Al","email":"al@ex.org","phone":"(410) 309-2002","state":"NY","extra":{"a":1}}])";
  HttpReply up = http_call(
      app_->port(), "POST", "/admin/uploads?filename=a.json", arr,
      {{"Authorization", "Bearer test-editor-token"}, {"Content-Type", "application/json"}});
  ASSERT_EQ(up.status, 201) << up.body;
  json::object u = parse_object(up.body);
  EXPECT_EQ(u["rows_detected"], 2);
  EXPECT_EQ(u["format"], "json");
  const std::string ndjson =
      "{\"first_name\":\"Cy\",\"email\":\"cy@ex.org\",\"phone\":\"(410) 309-2003\"}\n";
  HttpReply up2 = http_call(
      app_->port(), "POST", "/admin/uploads?filename=b.ndjson", ndjson,
      {{"Authorization", "Bearer test-admin-token"}, {"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(up2.status, 201) << up2.body;
  // b.ndjson has no state column, which the campaign requires: 422 with the names.
  HttpReply bad = create(R"({"filename":"b.ndjson","campaign_id":100,"supplier_id":200})");
  EXPECT_EQ(bad.status, 422);
  json::object e = parse_object(bad.body);
  ASSERT_EQ(e["missing_columns"].as_array().size(), 1u) << bad.body;
  EXPECT_EQ(e["missing_columns"].as_array()[0], "state");
  // Refusals: unknown upload, campaign, supplier; a read token; garbage.
  EXPECT_EQ(create(R"({"filename":"nope.csv","campaign_id":100,"supplier_id":200})").status, 404);
  EXPECT_EQ(create(R"({"filename":"a.json","campaign_id":7,"supplier_id":200})").status, 404);
  EXPECT_EQ(create(R"({"filename":"a.json","campaign_id":100,"supplier_id":9})").status, 404);
  EXPECT_EQ(create(R"({"filename":"a.json"})").status, 400);
  EXPECT_EQ(
      create(R"({"filename":"a.json","campaign_id":100,"supplier_id":200})", "test-read-token")
          .status,
      403);
  EXPECT_EQ(http_call(app_->port(), "POST", "/admin/uploads?filename=x.csv", "a,b\n1,2\n",
                      {{"Authorization", "Bearer test-read-token"}})
                .status,
            403);
  EXPECT_EQ(http_call(app_->port(), "POST", "/admin/uploads?filename=x.json", "[1,2",
                      {{"Authorization", "Bearer test-admin-token"}})
                .status,
            422);
  EXPECT_EQ(http_call(app_->port(), "POST", "/admin/uploads?filename=x.csv", "",
                      {{"Authorization", "Bearer test-admin-token"}})
                .status,
            422);
  // Three batches of the JSON file; the list pages as seed 004 shows.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    HttpReply m =
        create(R"({"filename":"a.json","campaign_id":100,"supplier_id":200})", "test-editor-token");
    ASSERT_EQ(m.status, 202) << m.body;
    ids.emplace_back(parse_object(m.body)["batch_id"].as_string());
    // Row keys are per batch: the same file sent again makes new leads (the dedup rules aside).
    ASSERT_EQ(wait_done(ids.back())["rows_accepted"], 2);
  }
  json::object page = parse_object(admin_get("/admin/batches?limit=2&offset=0").body);
  EXPECT_EQ(page["total"], 3);
  EXPECT_EQ(page["limit"], 2);
  EXPECT_EQ(page["offset"], 0);
  EXPECT_EQ(page["has_more"], true);
  ASSERT_EQ(page["items"].as_array().size(), 2u);
  EXPECT_EQ(page["items"].as_array()[0].at("batch_id").as_string(), ids[2]);  // newest first
  page = parse_object(admin_get("/admin/batches?limit=2&offset=2").body);
  EXPECT_EQ(page["has_more"], false);
  ASSERT_EQ(page["items"].as_array().size(), 1u);
  EXPECT_EQ(page["items"].as_array()[0].at("batch_id").as_string(), ids[0]);
  page = parse_object(admin_get("/admin/batches?sort=created_at&order=asc&limit=1").body);
  EXPECT_EQ(page["items"].as_array()[0].at("batch_id").as_string(), ids[0]);
  EXPECT_EQ(admin_get("/admin/batches?sort=color").status, 400);
  auto lead = app_->store().get_lead(
      parse_csv(admin_get("/admin/batches/" + ids[0] + "/results").body)[2][1]);
  ASSERT_TRUE(lead);
  EXPECT_EQ(*find_field(lead->fields, "first_name"), "Al");
  // A nested value reaches the lead as its JSON text (the campaign keeps or drops it).
  EXPECT_EQ(admin_get("/admin/uploads").status, 200);
  EXPECT_EQ(parse_object(admin_get("/admin/uploads").body)["items"].as_array().size(), 2u);
}

TEST_F(Batches, ABatchStoppedWithTheServerResumesAfterItsLastRow) {
  // Slow enough that the server stops mid-way: 25 rows a second.
  app_.reset();
  const std::string dir = data_dir_;
  start(config(25), dir);
  ASSERT_EQ(upload_multipart("slow.csv", csv_rows(60)).status, 201);
  HttpReply made = create(R"({"filename":"slow.csv","campaign_id":100,"supplier_id":200})");
  ASSERT_EQ(made.status, 202);
  const std::string id(parse_object(made.body)["batch_id"].as_string());
  ASSERT_TRUE(eventually([&] {
    return parse_object(admin_get("/admin/batches/" + id).body)["rows_done"].as_int64() >= 15;
  }));
  app_->shutdown();
  app_.reset();
  start(config(1000), dir);
  json::object b = wait_done(id);
  ASSERT_EQ(b["status"], "completed") << json::serialize(b);
  EXPECT_EQ(b["rows_done"], 60);
  EXPECT_EQ(
      b["rows_accepted"].as_int64() + b["rows_failed"].as_int64() + b["rows_duplicated"].as_int64(),
      60);
  auto rows = parse_csv(admin_get("/admin/batches/" + id + "/results").body);
  ASSERT_EQ(rows.size(), 61u);
  for (int i = 1; i <= 60; ++i) EXPECT_EQ(rows[size_t(i)][0], std::to_string(i));
  auto stored = stored_rows(id);
  EXPECT_EQ(stored.size(), 60u);
  for (const auto& [row, n] : stored) EXPECT_EQ(n, 1) << row;
}

// The window a crash leaves: rows stored after the last checkpoint are sent again when the batch
// resumes. They must get their first lead's answer however long the server was down (here two
// hours: longer than the 60 s an identical supplier payload is recognised for).
TEST_F(Batches, RowsPastTheLastCheckpointAreNotSoldAgainAfterALongOutage) {
  app_.reset();
  const std::string dir = data_dir_;
  start(config(1000), dir, &clock_);
  ASSERT_EQ(upload_multipart("crash.csv", csv_rows(30)).status, 201);
  HttpReply made = create(R"({"filename":"crash.csv","campaign_id":100,"supplier_id":200})");
  ASSERT_EQ(made.status, 202);
  const std::string id(parse_object(made.body)["batch_id"].as_string());
  ASSERT_EQ(wait_done(id)["status"], "completed");
  const std::string before = admin_get("/admin/batches/" + id + "/results").body;
  auto first = parse_csv(before);
  ASSERT_EQ(first.size(), 31u);
  // As a kill -9 leaves it: the record says "running, 10 rows done" while 30 leads are stored.
  auto raw = app_->store().get_state("job/" + id);
  ASSERT_TRUE(raw);
  auto job = engine::decode_job(*raw);
  ASSERT_TRUE(job);
  job->status = engine::JobStatus::kRunning;
  job->done = 10;
  job->counts.clear();
  for (size_t r = 1; r <= 10; ++r)
    job->add_count(first[r][2] == "ACCEPTED" ? "accepted" : "failed", 1);
  size_t cut = 0;
  for (int lines = 0; lines < 11; ++lines) cut = before.find('\n', cut) + 1;
  job->resume_bytes = int64_t(cut);
  ASSERT_TRUE(app_->store().put_state("job/" + id, engine::encode_job(*job)).ok());
  app_->shutdown();
  app_.reset();
  clock_.advance_ms(2 * 3600 * 1000);
  start(config(1000), dir, &clock_);
  json::object b = wait_done(id);
  ASSERT_EQ(b["status"], "completed") << json::serialize(b);
  EXPECT_EQ(b["rows_done"], 30);
  EXPECT_EQ(b["rows_accepted"], 27);  // (rows 10, 20 and 30 have no valid email)
  EXPECT_EQ(b["rows_failed"], 3);
  auto after = parse_csv(admin_get("/admin/batches/" + id + "/results").body);
  ASSERT_EQ(after.size(), 31u);
  for (size_t r = 1; r <= 30; ++r) {
    EXPECT_EQ(after[r][0], std::to_string(r));
    EXPECT_EQ(after[r][1], first[r][1]) << "row " << r << ": the first lead's answer";
  }
  auto stored = stored_rows(id);
  EXPECT_EQ(stored.size(), 30u);
  for (const auto& [row, n] : stored) EXPECT_EQ(n, 1) << row << " stored " << n << " times";
}

}  // namespace
}  // namespace pp::testkit
