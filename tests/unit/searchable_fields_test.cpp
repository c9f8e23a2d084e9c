// The lead search's field index keeps the fields operators search (issue 16): searchable fields
// are found through the index, the others by reading the campaign's leads, and a field made
// searchable later still finds the leads stored before (which the index does not hold).
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <random>

#include "core/config.h"
#include "core/fields.h"
#include "engine/reports.h"
#include "storage/store.h"

namespace pp {
namespace {

TEST(FieldIndexed, DefaultsToTheFieldsOperatorsLookUpAndFollowsSearchable) {
  auto spec = [](std::string name, FieldType t = FieldType::kText) {
    FieldSpec f;
    f.name = std::move(name);
    f.type = t;
    return f;
  };
  EXPECT_TRUE(field_indexed(spec("contact", FieldType::kEmail)));
  EXPECT_TRUE(field_indexed(spec("cell", FieldType::kPhone)));
  EXPECT_TRUE(field_indexed(spec("first_name")));
  EXPECT_TRUE(field_indexed(spec("Last_Name")));
  EXPECT_TRUE(field_indexed(spec("trusted_form_cert_url", FieldType::kUrl)));
  EXPECT_TRUE(field_indexed(spec("jornaya_leadid")));
  EXPECT_FALSE(field_indexed(spec("state", FieldType::kState)));
  EXPECT_FALSE(field_indexed(spec("zip_code", FieldType::kZip)));
  EXPECT_FALSE(field_indexed(spec("comments")));
  FieldSpec on = spec("zip_code", FieldType::kZip);
  on.searchable = true;
  EXPECT_TRUE(field_indexed(on));
  FieldSpec off = spec("email", FieldType::kEmail);
  off.searchable = false;
  EXPECT_FALSE(field_indexed(off));
}

TEST(FieldIndexed, TheConfigurationSaysWhichFieldsAreSearchable) {
  auto config = [](const std::string& fields) {
    return load_config(R"({"account": {"name": "A", "timezone": "UTC"},
        "clients": [{"id": 1, "company": "S"}],
        "campaigns": [{"id": 1, "name": "C", "type": "direct_post", "fields": )" +
                       fields + R"(,
          "suppliers": [{"id": 10, "client_id": 1, "lp_key": "key-key-key"}],
          "buyers": [{"id": 20, "client_id": 1, "type": "lead_store"}]}]})");
  };
  auto loaded = config(R"([{"name": "email", "type": "email"}, {"name": "state", "type": "state"},
      {"name": "zip", "type": "zip", "searchable": true},
      {"name": "phone", "type": "phone", "searchable": false}])");
  ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0]);
  EXPECT_EQ(loaded.config->campaigns[0].indexed_fields, (std::vector<std::string>{"email", "zip"}));
  auto bad = config(R"([{"name": "zip", "searchable": "yes"}])");
  EXPECT_FALSE(bad.config);
}

class SearchableFields : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("pp-searchable-" + std::to_string(std::random_device{}())))
               .string();
    std::string err;
    store_ = storage::Store::open(dir_, storage::StoreOptions{}, err);
    ASSERT_TRUE(store_) << err;
    campaign_.id = 7;
    FieldSpec email, state;
    email.name = "email";
    email.type = FieldType::kEmail;
    state.name = "state";
    state.type = FieldType::kState;
    campaign_.fields = {email, state};
    campaign_.indexed_fields = {"email"};  // field_indexed's defaults
  }
  void TearDown() override {
    store_->close();
    std::filesystem::remove_all(dir_);
  }
  void save(const std::string& id, UnixMs t, const std::string& email, const std::string& state) {
    Lead l;
    l.id = id;
    l.campaign_id = campaign_.id;
    l.created_ms = t;
    l.fields = {{"email", email}, {"state", state}};
    storage::LeadExtras x;
    x.index_fields = &campaign_.indexed_fields;
    std::promise<storage::Status> done;
    store_->save_lead(l, DebugLog{}, std::move(x), [&](storage::Status s) { done.set_value(s); });
    ASSERT_TRUE(done.get_future().get().ok());
  }
  std::vector<std::string> index_holds(const std::string& name, const std::string& value) {
    std::vector<std::string> ids;
    store_->scan_field_leads(campaign_.id, name, value, 0, kFar, std::nullopt,
                             [&](UnixMs, std::string_view id) {
                               ids.emplace_back(id);
                               return true;
                             });
    return ids;
  }
  std::vector<std::string> search(const std::string& name, const std::string& value,
                                  UnixMs from = 0) {
    engine::LeadSearch q;
    q.campaign = campaign_.id;
    q.range = {from, kFar};
    q.field.emplace(name, value);
    std::vector<std::string> ids;
    for (const Lead& l : engine::search_leads(*store_, campaign_, q).leads) ids.push_back(l.id);
    return ids;
  }
  static constexpr UnixMs kFar = 4'000'000'000'000;
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  CampaignConfig campaign_;
};

TEST_F(SearchableFields, OnlySearchableFieldsAreIndexedAndEveryFieldIsFound) {
  save("0000001AAAAAAAAAAAAA", 1'000'000, "a@example.org", "CA");
  save("0000002AAAAAAAAAAAAA", 2'000'000, "b@example.org", "CA");
  save("0000003AAAAAAAAAAAAA", 3'000'000, "c@example.org", "NY");
  EXPECT_EQ(index_holds("email", "b@example.org"),
            (std::vector<std::string>{"0000002AAAAAAAAAAAAA"}));
  EXPECT_TRUE(index_holds("state", "CA").empty());  // not written: one entry less per lead
  // Both are found: email through the index, state by reading the campaign's leads.
  EXPECT_EQ(search("email", "b@example.org"), (std::vector<std::string>{"0000002AAAAAAAAAAAAA"}));
  EXPECT_EQ(search("state", "ca"),  // normalised by the field's type, as intake stores it
            (std::vector<std::string>{"0000002AAAAAAAAAAAAA", "0000001AAAAAAAAAAAAA"}));
  EXPECT_TRUE(search("state", "TX").empty());
}

TEST_F(SearchableFields, AFieldMadeSearchableLaterStillFindsTheLeadsBefore) {
  save("0000001AAAAAAAAAAAAA", 1'000'000, "a@example.org", "CA");
  save("0000002AAAAAAAAAAAAA", 2'000'000, "b@example.org", "NY");
  // The configuration service records when a change makes `state` searchable.
  ASSERT_TRUE(
      store_->put_state(engine::field_indexed_since_key(campaign_.id, "state"), "2500000").ok());
  campaign_.indexed_fields = {"email", "state"};
  save("0000003AAAAAAAAAAAAA", 3'000'000, "c@example.org", "CA");
  EXPECT_EQ(index_holds("state", "CA"), (std::vector<std::string>{"0000003AAAAAAAAAAAAA"}));
  // A range reaching back before the change reads the leads: the one before is found too.
  EXPECT_EQ(search("state", "CA"),
            (std::vector<std::string>{"0000003AAAAAAAAAAAAA", "0000001AAAAAAAAAAAAA"}));
  // A range after it uses the index.
  EXPECT_EQ(search("state", "CA", 2'600'000), (std::vector<std::string>{"0000003AAAAAAAAAAAAA"}));
  EXPECT_EQ(engine::field_indexed_since(*store_, campaign_.id, "state"), 2'500'000);
  EXPECT_EQ(engine::field_indexed_since(*store_, campaign_.id, "email"), 0);
}

}  // namespace
}  // namespace pp
