// pingpostd as a process: start-up errors, SIGTERM drain with a lead in flight, restart, and no
// personal data or keys in its info-level logs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct Process {
  pid_t pid = -1;
  std::string log_path;

  // Starts pingpostd with stdout+stderr into log_path.
  // `max_file_bytes` > 0 sets RLIMIT_FSIZE in the child: writes past it fail (EFBIG), as on a full
  // disk.
  static Process spawn(const std::vector<std::string>& args, const std::string& log_path,
                       rlim_t max_file_bytes = 0) {
    Process p;
    p.log_path = log_path;
    p.pid = fork();
    if (p.pid == 0) {
      if (max_file_bytes > 0) {
        rlimit rl{max_file_bytes, max_file_bytes};
        setrlimit(RLIMIT_FSIZE, &rl);
      }
      int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      std::string bin = PP_PINGPOSTD;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    return p;
  }
  std::string log() const {
    std::ifstream in(log_path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Waits for "listening on 127.0.0.1:PORT" in the log; 0 on failure.
  uint16_t wait_port() const {
    std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 300; ++i) {
      std::smatch m;
      std::string l = log();
      if (std::regex_search(l, m, re)) return uint16_t(std::stoi(m[1]));
      std::this_thread::sleep_for(20ms);
    }
    return 0;
  }
  int wait_exit() {
    int status = 0;
    for (int i = 0; i < 1500; ++i) {  // up to 30 s
      if (waitpid(pid, &status, WNOHANG) == pid)
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      std::this_thread::sleep_for(20ms);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -2;
  }
};

TEST(Process, BadConfigurationExitsWithEveryProblem) {
  std::string dir = temp_dir("proc-bad");
  std::string cfg = dir + "/bad.json";
  std::ofstream(cfg) << R"({"account":{"timezone":"Nowhere/City"},"campaigns":[{"id":1,"fields":[],
      "suppliers":[{"id":2,"client_id":3}]}]})";
  Process p = Process::spawn({"--config", cfg, "--data", dir + "/data", "--listen", "127.0.0.1:0"},
                             dir + "/log");
  EXPECT_EQ(p.wait_exit(), 1);
  std::string log = p.log();
  EXPECT_NE(log.find("$.account.timezone: unknown IANA time zone 'Nowhere/City'"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("$.campaigns[0].name: is required"), std::string::npos);
  EXPECT_NE(log.find("$.campaigns[0].suppliers[0].client_id: unknown client 3"), std::string::npos);
  EXPECT_NE(log.find("$.campaigns[0].suppliers[0]: needs 'lp_key' or 'lp_key_sha256'"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Process, SigtermDrainsTheLeadInFlightThenRestarts) {
  FakeBuyer buyer;
  FakeReply slow = FakeReply::json(R"({"status":"accepted"})");
  slow.delay = 700ms;
  buyer.on("/post", slow);
  std::string dir = temp_dir("proc");
  std::string cfg_path = dir + "/cfg.json";
  std::ofstream(cfg_path) << json::serialize(
      base_config({http_buyer(301, 2, buyer.url("/post"), 1)}));
  std::vector<std::string> args{"--config",    cfg_path,    "--data", dir + "/data",  "--listen",
                                "127.0.0.1:0", "--threads", "2",      "--log-format", "json"};
  Process p = Process::spawn(args, dir + "/log1");
  uint16_t port = p.wait_port();
  ASSERT_NE(port, 0) << p.log();

  const std::string lead =
      R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",
      "first_name":"Zebediah","email":"zebediah.canary@example.org","phone":"4105550199","state":"NY"})";
  auto pending = std::async(std::launch::async, [&] {
    return http_call(port, "POST", "/direct_post", lead, {{"Content-Type", "application/json"}});
  });
  // The buyer holds the lead for 700 ms; signal while it is in flight.
  for (int i = 0; i < 200 && buyer.count("/post") == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(buyer.count("/post"), 1u);
  kill(p.pid, SIGTERM);
  HttpReply r = pending.get();
  ASSERT_EQ(r.status, 200) << r.error;
  json::object a = parse_object(r.body);
  EXPECT_EQ(a["status"], "ACCEPTED");
  EXPECT_EQ(p.wait_exit(), 0);
  std::string log1 = p.log();
  EXPECT_NE(log1.find("draining"), std::string::npos);
  EXPECT_NE(log1.find("stopped cleanly"), std::string::npos);
  // Every log line is JSON; none carries personal data or the supplier key.
  std::istringstream lines(log1);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_FALSE(parse_object(line).empty()) << line;
  }
  for (const char* secret : {"Zebediah", "zebediah.canary", "4105550199", "supplier-key-200"}) {
    EXPECT_EQ(log1.find(secret), std::string::npos) << secret;
  }

  // Restart on the same data: the acknowledged lead is there.
  Process q = Process::spawn(args, dir + "/log2");
  uint16_t port2 = q.wait_port();
  ASSERT_NE(port2, 0) << q.log();
  HttpReply got = http_call(port2, "GET", "/public/lead/" + std::string(a["lead_id"].as_string()),
                            "", {{"Authorization", "Bearer test-admin-token"}});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(parse_object(got.body)["status"], "ACCEPTED");
  kill(q.pid, SIGINT);
  EXPECT_EQ(q.wait_exit(), 0);
  std::filesystem::remove_all(dir);
}

// Log canary (issue 7): a whole day's shapes of traffic at info level — supplier pings and posts
// of an exchange, a buyer that rejects with the lead echoed in its reason, a wrong supplier key,
// API calls with tokens, a return — and not one canary value (names, email, phone, zip, keys,
// tokens) reaches the log.
// SIGHUP (issue 14): the file is re-read and applied as one change; an invalid file changes
// nothing; a restart keeps the stored configuration, not the file's.
TEST(Process, SighupAppliesTheFileAsOneChange) {
  std::string dir = temp_dir("proc-hup");
  std::string cfg_path = dir + "/cfg.json";
  json::object cfg = base_config({});
  std::ofstream(cfg_path) << json::serialize(cfg);
  std::vector<std::string> args{"--config",    cfg_path,   "--data",
                                dir + "/data", "--listen", "127.0.0.1:0"};
  Process p = Process::spawn(args, dir + "/log1");
  uint16_t port = p.wait_port();
  ASSERT_NE(port, 0) << p.log();
  auto name = [&] {
    HttpReply r = http_call(port, "GET", "/admin/campaigns/100", "",
                            {{"Authorization", "Bearer test-admin-token"}});
    return std::string(parse_object(r.body)["name"].as_string());
  };
  auto wait_log = [&](const std::string& what) {
    for (int i = 0; i < 250 && p.log().find(what) == std::string::npos; ++i)
      std::this_thread::sleep_for(20ms);
    return p.log().find(what) != std::string::npos;
  };
  EXPECT_EQ(name(), "Test Campaign");
  cfg["campaigns"].as_array()[0].as_object()["name"] = "Renamed by SIGHUP";
  std::ofstream(cfg_path, std::ios::trunc) << json::serialize(cfg);
  kill(p.pid, SIGHUP);
  ASSERT_TRUE(wait_log("applied as configuration version 2")) << p.log();
  EXPECT_EQ(name(), "Renamed by SIGHUP");
  // An invalid file: logged with its problems, nothing changes.
  cfg["campaigns"].as_array()[0].as_object()["timezone"] = "Nowhere/City";
  std::ofstream(cfg_path, std::ios::trunc) << json::serialize(cfg);
  kill(p.pid, SIGHUP);
  ASSERT_TRUE(wait_log("the configuration is unchanged")) << p.log();
  EXPECT_NE(p.log().find("$.campaigns[0].timezone"), std::string::npos) << p.log();
  EXPECT_EQ(name(), "Renamed by SIGHUP");
  kill(p.pid, SIGTERM);
  EXPECT_EQ(p.wait_exit(), 0);
  // Restarted with the (invalid) file: the store wins, the file is not even read as truth.
  Process q = Process::spawn(args, dir + "/log2");
  port = q.wait_port();
  ASSERT_NE(port, 0) << q.log();
  EXPECT_EQ(name(), "Renamed by SIGHUP");
  kill(q.pid, SIGTERM);
  EXPECT_EQ(q.wait_exit(), 0);
  std::filesystem::remove_all(dir);
}

TEST(Process, InfoLogsCarryNoPersonalDataOrSecrets) {
  FakeBuyer echo;  // bids, then rejects the post, echoing what it got
  echo.on("/ping", bid("12.50", "r1"));
  echo.on("/post", [](const Received& r) {
    return FakeReply::json(R"({"status":"rejected","reason":"we already have )" +
                           r.body.substr(0, 80) + "\"}");
  });
  FakeBuyer taker;
  taker.on("/ping", bid("9.00", "r2"));
  taker.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  std::string dir = temp_dir("proc-canary");
  std::string cfg_path = dir + "/cfg.json";
  json::object cfg = base_config({ping_buyer(401, echo, 1), ping_buyer(402, taker, 2)});
  make_exchange(cfg["campaigns"].as_array()[0].as_object());
  cfg["api_tokens"].as_array().push_back(
      json::parse(R"({"name":"canary","token":"canary-token-7f3a9b","role":"admin"})"));
  std::ofstream(cfg_path) << json::serialize(cfg);
  std::vector<std::string> args{"--config",    cfg_path,       "--data", dir + "/data", "--listen",
                                "127.0.0.1:0", "--log-format", "json",   "--log-level", "info"};
  Process p = Process::spawn(args, dir + "/log");
  uint16_t port = p.wait_port();
  ASSERT_NE(port, 0) << p.log();
  const std::vector<std::pair<std::string, std::string>> js = {
      {"Content-Type", "application/json"}};
  // Exchange in one go, then the two-step flow.
  HttpReply direct = http_call(
      port, "POST", "/direct_post",
      R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200","first_name":"Quintessa",
          "email":"quintessa.canary@example.org","phone":"(303) 555-0147","state":"CO","zip_code":"80202"})",
      js);
  EXPECT_EQ(parse_object(direct.body)["status"], "ACCEPTED") << direct.body;
  HttpReply ping = http_call(
      port, "POST", "/ping",
      R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200","state":"CO","zip_code":"80203"})",
      js);
  std::string ping_id(parse_object(ping.body)["ping_id"].as_string());
  HttpReply post = http_call(
      port, "POST", "/post",
      R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200","lp_ping_id":")" +
          ping_id +
          R"(","first_name":"Quintessa","email":"quintessa.canary@example.org","phone":"(303) 555-0148","state":"CO","zip_code":"80203"})",
      js);
  EXPECT_EQ(parse_object(post.body)["status"], "ACCEPTED") << post.body;
  // A wrong key, and API calls with the canary token.
  http_call(
      port, "POST", "/direct_post",
      R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"wrong-key-canary-51","first_name":"Quintessa"})",
      js);
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer canary-token-7f3a9b"}, {"Content-Type", "application/json"}};
  std::string lead_id(parse_object(direct.body)["lead_id"].as_string());
  EXPECT_EQ(http_call(port, "GET", "/public/lead/" + lead_id, "", auth).status, 200);
  EXPECT_EQ(http_call(port, "POST", "/public/lead/return",
                      R"({"lead_id":")" + lead_id + R"(","reason":"Quintessa moved"})", auth)
                .status,
            200);
  http_call(port, "GET", "/public/lead/x", "", {{"Authorization", "Bearer not-canary-token-99"}});
  EXPECT_EQ(echo.count("/post"), 2u);  // the echoing rejection really happened, twice
  kill(p.pid, SIGTERM);
  EXPECT_EQ(p.wait_exit(), 0);
  std::string log = p.log();
  EXPECT_NE(log.find(lead_id), std::string::npos) << "the log carries ids (so it was written)";
  for (const char* canary :
       {"Quintessa", "quintessa.canary", "3035550147", "303) 555", "5550148", "80202", "80203",
        "supplier-key-200", "wrong-key-canary-51", "canary-token-7f3a9b", "not-canary-token-99"}) {
    EXPECT_EQ(log.find(canary), std::string::npos) << canary << " in:\n" << log;
  }
  std::filesystem::remove_all(dir);
}

// Disk full / write errors (issue 7): once the WAL cannot grow, every supplier gets ERROR 1011
// (never ACCEPTED) with no lead id, the process stays up, and after a restart with room again
// every acknowledged lead is there, none of the refused ones is, and new leads are stored.
TEST(Process, WriteErrorsAnswer1011AndLoseNothingAcknowledged) {
  std::string dir = temp_dir("proc-full");
  std::string cfg_path = dir + "/cfg.json";
  json::object cfg = base_config({});
  cfg["campaigns"].as_array()[0].as_object()["buyers"] = json::parse(
      R"([{"id":310,"client_id":2,"type":"lead_store","price":{"type":"static","amount":"3"}}])");
  std::ofstream(cfg_path) << json::serialize(cfg);
  std::vector<std::string> args{"--config", cfg_path,      "--data",    dir + "/data",
                                "--listen", "127.0.0.1:0", "--threads", "1"};
  // The limit is per file: the WAL reaches it, the process's own log stays far below.
  Process p = Process::spawn(args, dir + "/log1", 300 * 1024);
  uint16_t port = p.wait_port();
  ASSERT_NE(port, 0) << p.log();
  std::vector<std::string> acked;
  int refused = 0, other = 0;
  for (int i = 0; i < 800 && refused < 20; ++i) {
    std::string lead = R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",
        "first_name":"N)" +
                       std::to_string(i) + std::string(200, 'x') +
                       R"(","email":"n@example.org","phone":"4105550199","state":"NY"})";
    HttpReply r =
        http_call(port, "POST", "/direct_post", lead, {{"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.error;
    json::object a = parse_object(r.body);
    if (a["status"] == "ACCEPTED") {
      ASSERT_EQ(refused, 0) << "ACCEPTED after a refused write: " << r.body;
      acked.push_back(std::string(a["lead_id"].as_string()));
    } else if (a["code"].as_int64() == 1011) {
      EXPECT_TRUE(a["lead_id"].is_null()) << r.body;
      ++refused;
    } else {
      ++other;
    }
  }
  std::printf("write errors: %zu acknowledged, then %d refused with 1011\n", acked.size(), refused);
  EXPECT_GT(acked.size(), 50u);  // the limit was reached after real traffic...
  EXPECT_EQ(refused, 20);        // ...and from then on every lead was refused
  EXPECT_EQ(other, 0);
  EXPECT_EQ(waitpid(p.pid, nullptr, WNOHANG), 0) << "the process died: " << p.log();
  kill(p.pid, SIGKILL);
  waitpid(p.pid, nullptr, 0);

  Process q = Process::spawn(args, dir + "/log2");
  uint16_t port2 = q.wait_port();
  ASSERT_NE(port2, 0) << q.log();
  for (const auto& id : acked) {
    HttpReply got = http_call(port2, "GET", "/public/lead/" + id, "",
                              {{"Authorization", "Bearer test-admin-token"}});
    ASSERT_EQ(got.status, 200) << id;
    EXPECT_EQ(parse_object(got.body)["status"], "ACCEPTED") << id;
  }
  HttpReply more =
      http_call(port2, "POST", "/direct_post",
                R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",
      "first_name":"After","email":"n@example.org","phone":"4105550199","state":"NY"})",
                {{"Content-Type", "application/json"}});
  EXPECT_EQ(parse_object(more.body)["status"], "ACCEPTED") << more.body;
  // Stored leads = the acknowledged ones + the one after the restart: nothing half-written.
  time_t now = time(nullptr);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", gmtime(&now));
  HttpReply stats = http_call(
      port2, "GET",
      std::string("/public/stats?start_date=") + day + "&end_date=" + day + "&timezone=UTC", "",
      {{"Authorization", "Bearer test-admin-token"}});
  json::value sv = json::parse(stats.body);
  EXPECT_EQ(sv.as_array()[0].as_object()["campaign"].as_object()["leads_total"].as_int64(),
            int64_t(acked.size()) + 1)
      << stats.body.substr(0, 300);
  kill(q.pid, SIGINT);
  EXPECT_EQ(q.wait_exit(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pp::testkit
