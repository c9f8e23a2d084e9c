// Group commit that waits briefly for company (issue 16): writes that overlap share one fsync'd
// write, a lone client never waits for company that cannot come, and storage's /metrics series
// count commits, writes and waits. Orderings here do not depend on timing: a lone client's next
// write starts after its previous answer; spaced writes land within a wait 80 times longer.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "core/lead.h"
#include "storage/store.h"

namespace pp::storage {
namespace {

class GroupCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pp-group-commit-" + std::to_string(std::random_device{}()));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open(StoreOptions o) {
    std::string err;
    store_ = Store::open(dir_.string(), o, err);
    ASSERT_TRUE(store_) << err;
  }
  // Queues one lead; the future is ready once it is durable.
  std::future<Status> save(int i) {
    Lead lead;
    lead.id = "lead-" + std::to_string(i);
    lead.campaign_id = 1;
    lead.created_ms = 1'700'000'000'000 + i;
    lead.fields = {{"email", "a" + std::to_string(i) + "@example.org"}};
    auto done = std::make_shared<std::promise<Status>>();
    auto f = done->get_future();
    store_->save_lead(lead, DebugLog{}, [done](Status st) { done->set_value(st); });
    return f;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(GroupCommit, ALoneClientNeverWaitsForCompany) {
  StoreOptions o;
  o.group_wait_us = 5'000'000;  // a wait it would notice: 5 s per lead
  open(o);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(save(i).get().ok());  // the next after the answer
  const StoreStats st = store_->stats();
  EXPECT_EQ(st.group_waits, 0u);
  EXPECT_EQ(st.commits, 30u);
  EXPECT_EQ(st.leads_written, 30u);
}

TEST_F(GroupCommit, OverlappingWritesWaitForCompanyAndShareOneWrite) {
  StoreOptions o;
  o.group_wait_us = 1'000'000;  // 25 times the spacing below: the group fills first
  o.max_group = 3;
  open(o);
  // Writes that overlap: queued back to back, while the first is being written (what is left
  // of them after the first group may wait for company, up to the second the wait allows).
  std::vector<std::future<Status>> burst;
  for (int i = 0; i < 4; ++i) burst.push_back(save(i));
  for (auto& f : burst) ASSERT_TRUE(f.get().ok());
  const StoreStats before = store_->stats();
  // Then six writes 20 ms apart: each group's first write waits for two more (max_group).
  std::vector<std::future<Status>> spaced;
  for (int i = 4; i < 10; ++i) {
    spaced.push_back(save(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& f : spaced) ASSERT_TRUE(f.get().ok());
  const StoreStats after = store_->stats();
  EXPECT_EQ(after.commits - before.commits, 2u);  // without the wait: six
  EXPECT_EQ(after.group_waits - before.group_waits, 2u);
  EXPECT_EQ(after.leads_written, 10u);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(store_->get_lead("lead-" + std::to_string(i)));
}

TEST_F(GroupCommit, NoWaitWhenTurnedOff) {
  StoreOptions o;
  o.group_wait_us = 0;
  open(o);
  std::vector<std::future<Status>> burst;
  for (int i = 0; i < 4; ++i) burst.push_back(save(i));
  for (auto& f : burst) ASSERT_TRUE(f.get().ok());
  std::vector<std::future<Status>> spaced;
  for (int i = 4; i < 7; ++i) {
    spaced.push_back(save(i));
    spaced.back().wait();  // written alone: nothing waits for company
  }
  EXPECT_EQ(store_->stats().group_waits, 0u);
}

TEST_F(GroupCommit, ClosingEndsAWaitAndWritesWhatQueued) {
  StoreOptions o;
  o.group_wait_us = 60'000'000;  // a minute: only close() can end this wait
  o.max_group = 100;
  open(o);
  std::vector<std::future<Status>> burst;
  for (int i = 0; i < 4; ++i) burst.push_back(save(i));
  // The burst's last writes may be the ones that wait; if they were written at once, one more
  // write after them does (the burst overlapped, so company is expected).
  auto ready = [](std::future<Status>& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  };
  while (store_->stats().group_waits == 0 && !std::all_of(burst.begin(), burst.end(), ready))
    std::this_thread::yield();
  if (store_->stats().group_waits == 0) burst.push_back(save(4));
  while (store_->stats().group_waits == 0) std::this_thread::yield();
  store_->close();  // ends the minute's wait; what queued is written
  for (auto& f : burst) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(store_->stats().leads_written, burst.size());
}

TEST_F(GroupCommit, StateQueuedForLaterIsWrittenWithTheNextGroup) {
  open(StoreOptions{});
  store_->put_state_later("token_used/abc", "1700000000000");
  ASSERT_TRUE(save(1).get().ok());  // a later write's group: the state went in it or before
  EXPECT_EQ(store_->get_state("token_used/abc").value_or(""), "1700000000000");
  store_->put_state_later("token_used/abc", "1700000060000");
  store_->close();  // queued writes are written before the store closes
  store_.reset();
  open(StoreOptions{});
  EXPECT_EQ(store_->get_state("token_used/abc").value_or(""), "1700000060000");
  EXPECT_EQ(store_->stats().leads_written, 0u);  // counted per process; state is not a lead
}

TEST_F(GroupCommit, MetricsCountCommitsWritesAndQueueTime) {
  open(StoreOptions{});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(save(i).get().ok());
  std::string out;
  store_->render_metrics(out);
  EXPECT_NE(out.find("pingpost_storage_commits_total 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pingpost_storage_writes_total 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pingpost_storage_group_waits_total 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pingpost_storage_queue_wait_seconds_count 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pingpost_storage_commit_seconds_count 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("# TYPE pingpost_storage_commit_seconds histogram\n"), std::string::npos);
}

}  // namespace
}  // namespace pp::storage
