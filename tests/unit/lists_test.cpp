// Suppression lists (issue 17): the in-memory key set, the CSV reader of uploads, and the lists as
// stored (whole writes by generation, single changes, restarts) — and the configuration of checks,
// validated whole with every problem's JSON path.
#include "engine/lists.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "checks/list_csv.h"
#include "core/config.h"
#include "core/key_set.h"
#include "engine/snapshot.h"

namespace pp {
namespace {

TEST(KeySet, MembershipMatchesAStdSetAtEverySize) {
  std::mt19937_64 rng(5);
  for (size_t n : {0u, 1u, 63u, 64u, 1000u, 100000u}) {
    SCOPED_TRACE(n);
    std::vector<uint64_t> keys;
    std::set<uint64_t> truth;
    for (size_t i = 0; i < n; ++i) {
      uint64_t k = rng();
      if (i % 7 == 0) k >>= 40;  // uneven spreads too: small keys crowd the first buckets
      keys.push_back(k);
      truth.insert(k);
      if (i % 5 == 0) keys.push_back(k);  // repeats
    }
    KeySet s(keys);
    EXPECT_EQ(s.size(), truth.size());
    for (uint64_t k : truth) ASSERT_TRUE(s.contains(k));
    for (int i = 0; i < 20000; ++i) {
      uint64_t k = rng();
      EXPECT_EQ(s.contains(k), truth.count(k) == 1);
    }
    EXPECT_FALSE(s.contains(~0ULL) && !truth.count(~0ULL));
  }
}

TEST(KeySet, TheRadixSortAgreesWithStdSort) {
  std::mt19937_64 rng(9);
  std::vector<uint64_t> keys(300000);
  for (auto& k : keys) k = rng() % 5000000;  // many repeats
  std::vector<uint64_t> want = keys;
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  sort_unique_keys(keys);
  EXPECT_EQ(keys, want);
}

using checks::ListCsvReader;

TEST(ListCsv, HeadersColumnsQuotesAndPiecesAnywhere) {
  const std::string csv =
      "id,\"Phone Number\",phone\r\n"
      "1,x,(212) 555-2671\r\n"
      "2,x,\"212-555-2672\"\n"
      "\n"
      "3,x,not a phone\n"
      "4,x\n"
      "5,x,+1 212 555 2673";
  // Fed whole, and cut at every position into two pieces: the same reading.
  for (size_t cut = 0; cut <= csv.size(); cut += (cut < 40 ? 1 : 7)) {
    SCOPED_TRACE(cut);
    ListCsvReader r(ListKind::kPhone, "");
    ASSERT_TRUE(r.feed(std::string_view(csv).substr(0, cut)));
    ASSERT_TRUE(r.feed(std::string_view(csv).substr(cut)));
    ASSERT_TRUE(r.finish());
    EXPECT_TRUE(r.had_header());
    EXPECT_EQ(r.rows(), 5u);
    EXPECT_EQ(r.invalid(), 2u);
    ASSERT_EQ(r.keys().size(), 3u);
    ASSERT_EQ(r.errors().size(), 2u);
    EXPECT_EQ(r.errors()[0].first, 5u);  // line numbers count the blank line
    EXPECT_EQ(r.errors()[0].second, "not a phone number");
    EXPECT_EQ(r.errors()[1].second, "no column 3");
  }
  // No header: the first row is data; a named column needs a header that has it.
  ListCsvReader plain(ListKind::kPhone, "");
  ASSERT_TRUE(plain.feed("2125552671\n2125552672\n"));
  ASSERT_TRUE(plain.finish());
  EXPECT_FALSE(plain.had_header());
  EXPECT_EQ(plain.keys().size(), 2u);
  ListCsvReader named(ListKind::kEmail, "work");
  EXPECT_FALSE(named.feed("email,home\na@b.com,c@d.com\n"));
  EXPECT_NE(named.stop_reason().find("no column named 'work'"), std::string::npos);
  ListCsvReader numbered(ListKind::kEmail, "2");
  ASSERT_TRUE(numbered.feed("a@b.com,c@d.com\n"));
  ASSERT_TRUE(numbered.finish());
  ASSERT_EQ(numbered.keys().size(), 1u);
  std::string err;
  EXPECT_EQ(numbered.keys()[0], *checks::entry_key(ListKind::kEmail, "c@d.com", err));
  // An over-long line is one invalid row, not a stuck reader.
  ListCsvReader longline(ListKind::kPhone, "");
  ASSERT_TRUE(longline.feed("2125552671\n" + std::string(100000, '9') + "\n2125552672\n"));
  ASSERT_TRUE(longline.finish());
  EXPECT_EQ(longline.keys().size(), 2u);
  EXPECT_EQ(longline.invalid(), 1u);
  EXPECT_EQ(longline.errors()[0].second, "line too long");
}

class ListStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = (std::filesystem::temp_directory_path() / ("pp-lists-" + std::to_string(rd()))).string();
    open();
  }
  void TearDown() override {
    lists_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    lists_.reset();
    store_.reset();
    std::string err;
    store_ = storage::Store::open(dir_, {}, err);
    ASSERT_TRUE(store_) << err;
    lists_ = std::make_unique<engine::SuppressionLists>(*store_);
    ASSERT_TRUE(lists_->load().ok());
  }
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<engine::SuppressionLists> lists_;
};

TEST_F(ListStore, ReplaceAppendChangesAndDropSurviveARestart) {
  std::vector<uint64_t> many;
  for (uint64_t i = 0; i < 150000; ++i) many.push_back(i * 2654435761ULL);  // > two chunks
  ASSERT_TRUE(lists_->replace(1, many).ok());
  ASSERT_TRUE(lists_->replace(2, {7, 8, 9}).ok());
  ASSERT_TRUE(lists_->change(1, 5, true).ok());
  ASSERT_TRUE(lists_->change(1, many[10], false).ok());
  ASSERT_TRUE(lists_->change(3, 42, true).ok());  // a list known by its changes only
  auto check = [&] {
    EXPECT_EQ(lists_->info(1).entries, 150000u);  // +1 -1
    EXPECT_EQ(lists_->info(1).changes, 2u);
    EXPECT_TRUE(lists_->contains(1, 5));
    EXPECT_FALSE(lists_->contains(1, many[10]));
    EXPECT_TRUE(lists_->contains(1, many[149999]));
    EXPECT_TRUE(lists_->contains(2, 8));
    EXPECT_FALSE(lists_->contains(2, 5));
    EXPECT_TRUE(lists_->contains(3, 42));
  };
  check();
  open();
  check();
  // Append keeps what the list holds (its removals too) and adds; replace forgets everything.
  ASSERT_TRUE(lists_->append(1, {11, many[10], 5}).ok());
  EXPECT_TRUE(lists_->contains(1, 11));
  EXPECT_TRUE(lists_->contains(1, many[10]));  // named again by the upload
  EXPECT_EQ(lists_->info(1).changes, 0u);
  EXPECT_EQ(lists_->info(1).entries, 150002u);
  ASSERT_TRUE(lists_->append(2, {10}).ok());
  ASSERT_TRUE(lists_->change(2, 8, false).ok());
  ASSERT_TRUE(lists_->append(2, {11}).ok());
  EXPECT_FALSE(lists_->contains(2, 8));  // a removal the upload did not undo
  ASSERT_TRUE(lists_->replace(1, {1, 2}).ok());
  EXPECT_FALSE(lists_->contains(1, 11));
  ASSERT_TRUE(lists_->drop(2).ok());
  open();
  EXPECT_EQ(lists_->info(1).entries, 2u);
  EXPECT_FALSE(lists_->contains(1, many[5]));
  EXPECT_EQ(lists_->info(2).entries, 0u);
  EXPECT_FALSE(lists_->contains(2, 7));
  EXPECT_TRUE(lists_->contains(3, 42));
}

bool has_error(const std::vector<std::string>& errors, std::string_view needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

TEST(ChecksConfig, EveryProblemWithItsPath) {
  const char* cfg = R"({
    "account": {"timezone": "UTC"},
    "clients": [{"id": 1, "company": "C"}],
    "lists": [{"id": 1, "name": "DNC", "kind": "phone"}, {"id": 1, "name": "Again", "kind": "sha1"}],
    "campaigns": [{"id": 7, "name": "X",
      "fields": [{"name": "phone", "type": "phone"}, {"name": "email", "type": "email"},
                 {"name": "state", "type": "state"}],
      "checks": [
        {"type": "phone", "mode": "later", "sample_percent": 101, "on_error": "shrug"},
        {"type": "phone"},
        {"type": "suppression", "name": "dnc", "lists": [1, 9], "fields": ["state", "nope"]},
        {"type": "trustedform", "name": "tf"},
        {"type": "jornaya", "name": "jo", "field": "state"},
        {"type": "http", "name": "Bad Name"},
        {"type": "astrology"}],
      "require_one_of": [["phone"], ["email", "ghost"]],
      "validation_error_details": {"provider": true, "suppliers": [99]},
      "suppliers": [{"id": 3, "client_id": 1, "lp_key": "abcdefgh",
                     "checks": [{"name": "nope", "mode": "off"}, {"name": "dnc", "mode": "maybe"}]}],
      "buyers": [{"id": 4, "client_id": 1, "type": "lead_store",
                  "checks": [{"type": "suppression", "lists": []}]}]}]
  })";
  auto r = load_config(cfg);
  ASSERT_FALSE(r.config);
  const auto& e = r.errors;
  for (const char* want : {
           "$.lists[1].kind: must be phone, email, email_domain, sha256 or md5",
           "$.lists[1].id: duplicate list id 1",
           "$.campaigns[0].checks[0].mode: must be sync, async or off",
           "$.campaigns[0].checks[0].sample_percent: must be between 0 and 100",
           "$.campaigns[0].checks[0].on_error: must be fail_open or fail_closed",
           "$.campaigns[0].checks[1].name: duplicate check 'phone'",
           "$.campaigns[0].checks[2].fields: 'state' is not a phone or email field",
           "$.campaigns[0].checks[2].lists[1]: must name a list in $.lists",
           "$.campaigns[0].checks[2].fields: unknown field 'nope'",
           "$.campaigns[0].checks[3].field: is required: the campaign has no TrustedForm",
           "$.campaigns[0].checks[3].api_key: is required",
           "$.campaigns[0].checks[4].account: is required",
           "$.campaigns[0].checks[5].name: must be 1 to 64 characters",
           "$.campaigns[0].checks[5].request: is required",
           "$.campaigns[0].checks[6].type: must be phone, email, suppression, trustedform, jornaya",
           "$.campaigns[0].require_one_of[0]: must be a list of at least two field names",
           "$.campaigns[0].require_one_of[1]: unknown field 'ghost'",
           "$.campaigns[0].validation_error_details.suppliers: unknown supplier 99",
           "$.campaigns[0].suppliers[0].checks[0].name: must name one of the campaign's checks",
           "$.campaigns[0].suppliers[0].checks[1].mode: must be sync, async or off",
           "$.campaigns[0].buyers[0].checks[0].lists: must name at least one list",
       }) {
    EXPECT_TRUE(has_error(e, want)) << want;
  }
}

TEST(ChecksConfig, CountriesLineTypesAndTemplatesBySnapshot) {
  const char* cfg = R"({
    "account": {"timezone": "UTC"},
    "clients": [{"id": 1, "company": "C"}],
    "campaigns": [{"id": 7, "name": "X", "fields": [{"name": "phone", "type": "phone"},
                                                   {"name": "cert", "type": "url"}],
      "checks": [{"type": "phone", "countries": ["US", "QQ"], "line_types": ["mobile", "landline"]},
                 {"type": "trustedform", "field": "cert", "api_key": "k", "vendor": "{{a||nope}}",
                  "policy": "whatever"}],
      "suppliers": [{"id": 3, "client_id": 1, "lp_key": "abcdefgh"}]}]
  })";
  auto r = load_config(cfg);
  ASSERT_TRUE(r.config) << r.errors[0];
  std::vector<std::string> errors;
  EXPECT_FALSE(engine::Snapshot::build(r.config, errors));
  EXPECT_TRUE(has_error(errors, "$.campaigns[0].checks[0].countries: unknown country 'QQ'"));
  EXPECT_TRUE(
      has_error(errors, "$.campaigns[0].checks[0].line_types: unknown line type 'landline'"));
  EXPECT_TRUE(has_error(errors, "$.campaigns[0].checks[1].vendor: unknown transformer 'nope'"));
  EXPECT_TRUE(has_error(
      errors, "$.campaigns[0].checks[1].policy: must be record, require_success or require_match"));
}

}  // namespace
}  // namespace pp
