// Buyer answers, table-driven (Prebid Server's adapter fixtures are the model): every JSON file
// under tests/data/answers is one case — a response mapping exactly as the configuration file
// writes it, a raw HTTP answer, and the expected reading. The mapping goes through the real
// configuration loader and snapshot compiler, so a case can also expect a configuration error.
// The file format is described in tests/data/answers/README.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "buyers/cookies.h"
#include "buyers/response.h"
#include "core/config.h"
#include "engine/snapshot.h"

namespace pp {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kDir = fs::path(PP_SOURCE_DIR) / "tests" / "data" / "answers";

std::vector<std::string> case_files() {
  std::vector<std::string> out;
  if (!fs::exists(kDir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(kDir)) {
    if (e.is_regular_file() && e.path().extension() == ".json")
      out.push_back(fs::relative(e.path(), kDir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string str_or(const json::object& o, std::string_view key, std::string def = "") {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : def;
}

buyers::TransportError transport_error(std::string_view name) {
  using E = buyers::TransportError;
  for (E e : {E::kBadUrl, E::kResolveFailed, E::kConnectFailed, E::kConnectTimeout, E::kTlsFailed,
              E::kTimeout, E::kTooLarge, E::kProtocol, E::kClosed, E::kBlockedAddress}) {
    if (buyers::to_string(e) == name) return e;
  }
  ADD_FAILURE() << "unknown transport error '" << name << "'";
  return E::kClosed;
}

// The raw answer of a case: status, headers (object, or [name, value] pairs for repeated ones),
// and a body given as text ("body"), as lines joined by \n ("body_lines") or as JSON ("body_json").
buyers::HttpResult answer_of(const json::object& a) {
  buyers::HttpResult r;
  if (auto e = str_or(a, "error"); !e.empty()) {
    r.error = transport_error(e);
    return r;
  }
  r.status = int(a.at("status").as_int64());
  if (const json::value* h = a.if_contains("headers")) {
    if (h->is_object()) {
      for (const auto& kv : h->get_object())
        r.headers.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    } else {
      for (const auto& pair : h->as_array())
        r.headers.emplace_back(std::string(pair.as_array().at(0).as_string()),
                               std::string(pair.as_array().at(1).as_string()));
    }
  }
  if (const json::value* b = a.if_contains("body")) r.body = std::string(b->as_string());
  if (const json::value* b = a.if_contains("body_json")) r.body = json::serialize(*b);
  if (const json::value* lines = a.if_contains("body_lines")) {
    for (const auto& l : lines->as_array()) {
      if (!r.body.empty()) r.body += "\n";
      r.body += std::string(l.as_string());
    }
  }
  return r;
}

std::vector<std::pair<std::string, std::string>> pairs_of(const json::object& expect,
                                                          std::string_view key) {
  std::vector<std::pair<std::string, std::string>> out;
  if (const json::value* v = expect.if_contains(key)) {
    for (const auto& kv : v->as_object())
      out.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
  }
  return out;
}

class AnswerFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(AnswerFixture, ReadsAsExpected) {
  const fs::path file = kDir / GetParam();
  json::value doc = json::parse(read_text(file));
  const json::object& c = doc.as_object();
  ASSERT_TRUE(c.contains("description")) << "every case says what it shows";
  const json::object& expect = c.at("expect").as_object();

  // The mapping, inside the smallest configuration that holds a buyer.
  json::object buyer{{"id", 2},
                     {"client_id", 1},
                     {"post", {{"url", "http://buyer.example/post"}}},
                     {"post_response", c.at("mapping")}};
  json::object config{
      {"account", {{"timezone", "UTC"}}},
      {"clients", json::array{json::object{{"id", 1}, {"company", "C"}}}},
      {"campaigns", json::array{json::object{
                        {"id", 1},
                        {"name", "Answers"},
                        {"fields", json::array{"a"}},
                        {"suppliers", json::array{json::object{
                                          {"id", 3}, {"client_id", 1}, {"lp_key", "fixture-key"}}}},
                        {"buyers", json::array{buyer}}}}}};
  ConfigLoadResult loaded = load_config(json::serialize(config));
  std::vector<std::string> errors = loaded.errors;
  engine::SnapshotPtr snap;
  if (loaded.config) snap = engine::Snapshot::build(loaded.config, errors);

  if (const json::value* ce = expect.if_contains("config_error")) {
    std::string want(ce->as_string());
    bool found = std::any_of(errors.begin(), errors.end(), [&](const std::string& e) {
      return e.find(want) != std::string::npos;
    });
    EXPECT_TRUE(found) << "expected a configuration error containing '" << want << "'"
                       << (errors.empty() ? std::string(", got none") : ", got: " + errors[0]);
    return;
  }
  ASSERT_TRUE(snap) << (errors.empty() ? "no snapshot" : errors[0]);
  const buyers::CompiledMapping& mapping = *snap->buyer(2)->post_mapping;

  const std::string request_url = str_or(c, "request_url", "https://buyer.example/post");
  buyers::MappedResponse m = mapping.map(answer_of(c.at("answer").as_object()), request_url);

  AnswerVerdict want_verdict;
  ASSERT_TRUE(parse_answer_verdict(str_or(expect, "verdict"), want_verdict))
      << "expect.verdict must be accepted, duplicate, rejected or error";
  EXPECT_EQ(to_string(m.verdict), to_string(want_verdict));
  EXPECT_EQ(m.reason, str_or(expect, "reason"));
  std::string price = m.price ? m.price->to_string() : std::string("none");
  EXPECT_EQ(price, str_or(expect, "price", "none"));
  EXPECT_EQ(m.buyer_lead_id, str_or(expect, "buyer_lead_id"));
  EXPECT_EQ(m.redirect_url, str_or(expect, "redirect_url"));
  EXPECT_EQ(m.kept, pairs_of(expect, "kept"));
  EXPECT_EQ(m.extra, pairs_of(expect, "extra"));
  if (expect.contains("cookies")) {
    buyers::OutboundRequest post;
    post.url = str_or(expect, "cookies_to", request_url);
    buyers::add_cookies(post, m.cookies);
    std::string header;
    for (const auto& [k, v] : post.headers)
      if (k == "Cookie") header = v;
    EXPECT_EQ(header, str_or(expect, "cookies"));
  }
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param.substr(0, info.param.size() - 5);  // without ".json"
  for (char& ch : n) {
    if (!std::isalnum(uint8_t(ch))) ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Answers, AnswerFixture, ::testing::ValuesIn(case_files()), case_name);

// The table is the proof: it must keep its breadth (issue 12: at least 150 cases across JSON, XML,
// SOAP, HTML, text and form answers, empty bodies and every status class).
TEST(AnswerFixtures, CoverEveryFormatAndStatusClass) {
  std::vector<std::string> files = case_files();
  EXPECT_GE(files.size(), 150u);
  std::set<std::string> formats, classes;
  for (const auto& f : files) {
    json::value doc = json::parse(read_text(kDir / f));
    const json::object& c = doc.as_object();
    const json::object& m = c.at("mapping").as_object();
    formats.insert(str_or(m, "format", "json"));
    const json::object& a = c.at("answer").as_object();
    if (a.contains("error"))
      classes.insert("transport");
    else
      classes.insert(std::to_string(a.at("status").as_int64() / 100) + "xx");
  }
  for (const char* f : {"json", "xml", "html", "text", "form"})
    EXPECT_TRUE(formats.count(f)) << "no case for the " << f << " format";
  for (const char* k : {"1xx", "2xx", "3xx", "4xx", "5xx", "transport"})
    EXPECT_TRUE(classes.count(k)) << "no case for " << k;
}

}  // namespace
}  // namespace pp
