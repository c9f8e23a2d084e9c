// ppctl end to end (issue 19): the built binary against a real server — config get, diff (exit 1
// on differences, secrets compared hashed) and apply (If-Match); export with its progress lines
// (plain when piped, a bar redrawn on a terminal through script(1)) and the file downloaded;
// batch upload --watch; returns upload; buyer test; tail; --help everywhere; the exit codes scripts
// rely on (2 usage, 3 refused, 5 no connection).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>

#include "app_fixture.h"
#include "csv_rows.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

struct CliRun {
  int code = -1;
  std::string out;  // stdout and stderr, in order (2>&1)
};

class Ppctl : public AppFixture {
 protected:
  void SetUp() override {
    buyer_.on("/post", FakeReply::json(R"({"status":"accepted","id":"B-1"})"));
    cfg_ = base_config({http_buyer(300, 2, buyer_.url("/post"), 1)});
    cfg_["jobs"] = json::object{{"batch_rows_per_s", 10000}};
    start(cfg_);
    dir_ = data_dir_ + "/cli";
    std::filesystem::create_directories(dir_);
  }

  CliRun ppctl(const std::string& args, const std::string& token = "test-admin-token",
               bool tty = false) {
    const std::string server = args.find("--server") == std::string::npos
                                   ? " --server http://127.0.0.1:" + std::to_string(app_->port())
                                   : "";
    std::string cmd = "cd " + dir_ + " && PINGPOST_TOKEN=" + token + " " + PP_PPCTL + server +
                      " --poll-ms 50 " + args;
    // A terminal for the progress bar: script(1) runs the command on a pseudo-terminal.
    if (tty) cmd = "script -qec '" + cmd + "' /dev/null";
    cmd += " 2>&1";
    CliRun r;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = p ? pclose(p) : -1;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  FakeBuyer buyer_;
  json::object cfg_;
  std::string dir_;
};

TEST_F(Ppctl, ConfigGetDiffAndApply) {
  CliRun get = ppctl("config get -o current.json");
  ASSERT_EQ(get.code, 0) << get.out;
  json::value doc = json::parse(read("current.json"));
  EXPECT_EQ(doc.at("campaigns").as_array()[0].at("name"), "Test Campaign");
  // The file as written (plain lp_key) and the server's (hashed) do not differ.
  write("same.json", json::serialize(cfg_));
  CliRun same = ppctl("config diff same.json");
  EXPECT_EQ(same.code, 0) << same.out;
  EXPECT_NE(same.out.find("no differences"), std::string::npos);
  json::object changed = cfg_;
  campaign_cfg(changed)["name"] = "Renamed";
  write("changed.json", json::serialize(changed));
  CliRun d = ppctl("config diff changed.json");
  EXPECT_EQ(d.code, 1) << d.out;
  EXPECT_NE(d.out.find("~ $.campaigns[0].name: \"Test Campaign\" -> \"Renamed\""),
            std::string::npos)
      << d.out;
  CliRun apply = ppctl("config apply changed.json");
  ASSERT_EQ(apply.code, 0) << apply.out;
  EXPECT_NE(apply.out.find("applied: version"), std::string::npos);
  EXPECT_EQ(ppctl("config diff changed.json").code, 0);
  // A read token may not: 3 (refused).
  EXPECT_EQ(ppctl("config apply same.json", "test-read-token").code, 3);
}

TEST_F(Ppctl, ExportWithProgressPlainAndOnATerminal) {
  for (int i = 0; i < 5; ++i) {
    std::string body = lead_json();
    body.insert(body.size() - 1, R"(,"lp_subid2":")" + std::to_string(i) + R"(")");
    ASSERT_EQ(post_lead(body).status, 200);
  }
  const std::string params = "-p campaign=100 -p start_date=2020-01-01 -p end_date=2099-12-31";
  CliRun plain = ppctl("export leads " + params + " -o leads.csv");
  ASSERT_EQ(plain.code, 0) << plain.out;
  EXPECT_NE(plain.out.find(": completed 100% (5/5)"), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find('\r'), std::string::npos);
  EXPECT_NE(plain.out.find("file: leads.csv"), std::string::npos);
  EXPECT_EQ(parse_csv(read("leads.csv")).size(), 6u);
  CliRun tty =
      ppctl("export leads --format xlsx " + params + " -o leads.xlsx", "test-admin-token", true);
  ASSERT_EQ(tty.code, 0) << tty.out;
  EXPECT_NE(tty.out.find("\r"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("[##############################] 100% 5/5 completed"), std::string::npos)
      << tty.out;
  EXPECT_EQ(read("leads.xlsx").substr(0, 2), "PK");  // a zip container
  // Wrong parameters: the server's answer and 3; a bad type: usage, 2.
  CliRun bad = ppctl("export leads -p campaign=100");
  EXPECT_EQ(bad.code, 3) << bad.out;
  EXPECT_NE(bad.out.find("start_date"), std::string::npos);
  EXPECT_EQ(ppctl("export everything").code, 2);
}

TEST_F(Ppctl, BatchReturnsBuyerTestTailHelpAndExitCodes) {
  write("leads.csv",
        "first_name,email,phone,state\nAnn,a1@ex.org,(410) 309-1001,NY\n"
        "Bo,a2@ex.org,(410) 309-1002,NY\n");
  CliRun b = ppctl("batch upload leads.csv --campaign 100 --supplier 200 --watch -o results.csv");
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_NE(b.out.find("rows_accepted: 2"), std::string::npos) << b.out;
  auto rows = parse_csv(read("results.csv"));
  ASSERT_EQ(rows.size(), 3u);
  write("back.csv", "email\na1@ex.org\n");
  CliRun r = ppctl(
      "returns upload back.csv --campaign 100 --column email --match-by email "
      "--from 2020-01-01 --to 2099-12-31 --reason test -o back.zip");
  // The range is over 400 days: refused, 3.
  EXPECT_EQ(r.code, 3) << r.out;
  TimeZone ny;
  ASSERT_TRUE(TimeZone::lookup("America/New_York", ny));
  const UnixMs now = SystemClock::instance().now_ms();
  r = ppctl("returns upload back.csv --campaign 100 --column email --match-by email --from " +
            format_local_date(ny, now - 86400000) + " --to " +
            format_local_date(ny, now + 86400000) + " --reason test -o back.zip");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("returned: 1"), std::string::npos) << r.out;
  EXPECT_EQ(read("back.zip").substr(0, 2), "PK");
  CliRun t = ppctl("buyer test --campaign 100");
  ASSERT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("buyer 300:"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("\"dry_run\": true"), std::string::npos) << t.out;
  // tail: the leads stored after it starts (leads keep coming until it has printed one).
  std::atomic<bool> tailing{true};
  std::thread later([&] {
    for (int i = 0; i < 600 && tailing; ++i) {
      std::string body = lead_json("Tailed");
      body.insert(body.size() - 1, R"(,"lp_subid2":"tail)" + std::to_string(i) + R"(")");
      post_lead(body);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  CliRun tail = ppctl("tail --campaign 100 --count 1 --interval 0.2");
  tailing = false;
  later.join();
  EXPECT_EQ(tail.code, 0) << tail.out;
  EXPECT_NE(tail.out.find("campaign=100 status=ACCEPTED supplier=200"), std::string::npos)
      << tail.out;
  // Help on every command; no token: 2; nobody listening: 5.
  for (const char* cmd :
       {"--help", "config --help", "config diff --help", "export --help", "returns upload --help",
        "batch upload --help", "buyer test --help", "tail --help"}) {
    CliRun h = ppctl(cmd);
    EXPECT_EQ(h.code, 0) << cmd;
    EXPECT_NE(h.out.find("Usage:"), std::string::npos) << cmd;
  }
  EXPECT_EQ(ppctl("config get", "").code, 2);
  CliRun down = ppctl("--server http://127.0.0.1:9 config get");
  EXPECT_EQ(down.code, 5) << down.out;
}

}  // namespace
}  // namespace pp::testkit
