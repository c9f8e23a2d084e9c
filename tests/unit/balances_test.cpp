// Prepaid balances (issue 20) over a real RocksDB store: holds all or nothing, never more than the
// balance however many threads reserve at once; a price not known yet holds everything left; a
// settled sale's postings sum to zero and land with the lead; the minimum pauses (crossed once);
// deposits; a balance read back after a restart is the sum of its postings.
#include "engine/balances.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

namespace pp::engine {
namespace {

class BalanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ =
        (std::filesystem::temp_directory_path() / ("pp-balances-" + std::to_string(rd()))).string();
    open();
  }
  void TearDown() override {
    ledger_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    ledger_.reset();
    store_.reset();
    std::string err;
    store_ = storage::Store::open(dir_, {}, err);
    ASSERT_TRUE(store_) << err;
    ledger_ = std::make_unique<BalanceLedger>(*store_);
  }
  // Stores a lead with these postings (as a sale does).
  void save(std::vector<storage::Posting> postings) {
    Lead l;
    l.id = "BBBBBBBBBBBBBBBBBB" + std::to_string(10 + n_++ % 90);
    storage::LeadExtras extras;
    extras.postings = std::move(postings);
    std::promise<storage::Status> p;
    store_->save_lead(l, DebugLog{}, std::move(extras), [&](storage::Status s) { p.set_value(s); });
    ASSERT_TRUE(p.get_future().get().ok());
  }
  void credit(ClientId c, const std::string& amount, Money minimum = Money()) {
    BalanceLedger::Deposit d{*Money::parse(amount), Money(), "dep_test", "deposit", ""};
    ASSERT_TRUE(ledger_->deposit(c, d, minimum, 1'000, nullptr).ok());
  }
  int64_t postings_sum(const std::string& account) {
    int64_t sum = 0;
    EXPECT_TRUE(store_
                    ->scan_ledger(account, 0,
                                  [&](const storage::LedgerEntry& e) {
                                    sum += e.posting.amount;
                                    return true;
                                  })
                    .ok());
    return sum;
  }
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<BalanceLedger> ledger_;
  int n_ = 0;
};

const Money kTen = Money::from_whole(10);

TEST_F(BalanceTest, HoldsNeverExceedTheBalanceUnderContention) {
  credit(7, "95");
  std::atomic<int> held{0};
  std::vector<BalanceLedger::Hold> kept[8];
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        if (auto h = ledger_->reserve(7, kTen, Money())) {
          held.fetch_add(1);
          kept[t].push_back(std::move(*h));
        }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(held.load(), 9);  // 9 x 10 <= 95 < 10 x 10
  EXPECT_EQ(ledger_->view(7).reserved, 90 * Money::kScale);
  EXPECT_EQ(ledger_->view(7).available(), 5 * Money::kScale);
  for (auto& k : kept) k.clear();  // released: nothing sold
  EXPECT_EQ(ledger_->reserved_total(), 0);
  EXPECT_EQ(ledger_->view(7).balance, 95 * Money::kScale);
}

TEST_F(BalanceTest, ASaleIsChargedWithItsLeadAndAnUnknownPriceHoldsEverythingLeft) {
  credit(7, "25");
  auto a = ledger_->reserve(7, Money(), Money());  // a real-time price: all 25 held
  ASSERT_TRUE(a);
  EXPECT_EQ(a->amount(), 25 * Money::kScale);
  EXPECT_FALSE(ledger_->reserve(7, Money::from_whole(1), Money()));  // nothing left meanwhile
  std::vector<storage::Posting> ps;
  bool crossed = false;
  Money charged = ledger_->settle(*a, *Money::parse("12.5"), Money(), "L1", 2'000, ps, crossed);
  EXPECT_EQ(charged, *Money::parse("12.5"));
  EXPECT_FALSE(crossed);
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].account, "client:7");
  EXPECT_EQ(ps[0].amount + ps[1].amount, 0);
  EXPECT_EQ(ledger_->view(7).available(), Money::parse("12.5")->units());  // the rest went back
  save(ps);
  ledger_->commit(*a);
  EXPECT_EQ(ledger_->view(7).balance, Money::parse("12.5")->units());
  EXPECT_EQ(store_->balance("client:7"), Money::parse("12.5")->units());
  // A price above everything held is charged what was held (never overdrawn).
  auto b = ledger_->reserve(7, Money(), Money());
  ASSERT_TRUE(b);
  ps.clear();
  charged = ledger_->settle(*b, Money::from_whole(40), Money(), "L2", 3'000, ps, crossed);
  EXPECT_EQ(charged, *Money::parse("12.5"));
  EXPECT_TRUE(crossed);  // down to 0: at the minimum
  save(ps);
  ledger_->commit(*b);
  EXPECT_EQ(ledger_->view(7).balance, 0);
  EXPECT_FALSE(ledger_->can_buy(7, Money()));
  EXPECT_EQ(postings_sum("client:7"), 0);
  EXPECT_EQ(postings_sum("revenue"), 25 * Money::kScale);
}

TEST_F(BalanceTest, TheMinimumPausesOnceAndASettledSaleThatIsNotStoredGivesItBack) {
  credit(7, "50");
  const Money minimum = Money::from_whole(25);
  int crossings = 0;
  for (int i = 0; i < 3; ++i) {
    auto h = ledger_->reserve(7, kTen, minimum);
    ASSERT_TRUE(h) << i;
    std::vector<storage::Posting> ps;
    bool crossed = false;
    ledger_->settle(*h, kTen, minimum, "L" + std::to_string(i), 1'000, ps, crossed);
    crossings += crossed ? 1 : 0;
    save(ps);
    ledger_->commit(*h);
  }
  EXPECT_EQ(crossings, 1);  // 30 -> 20 crossed 25
  EXPECT_FALSE(ledger_->reserve(7, kTen, minimum)) << "paused at 20 <= 25, though 20 is left";
  EXPECT_FALSE(ledger_->can_buy(7, minimum));
  credit(7, "10", minimum);  // 30: above the minimum again
  {
    auto h = ledger_->reserve(7, kTen, minimum);
    ASSERT_TRUE(h);
    std::vector<storage::Posting> ps;
    bool crossed = false;
    ledger_->settle(*h, kTen, minimum, "L9", 1'000, ps, crossed);
    EXPECT_TRUE(crossed);
    // Not stored (the lead's write failed): the hold goes back with its charge.
  }
  EXPECT_EQ(ledger_->view(7).balance, 30 * Money::kScale);
  EXPECT_EQ(ledger_->reserved_total(), 0);
  EXPECT_TRUE(ledger_->can_buy(7, minimum));
}

TEST_F(BalanceTest, ABalanceAfterARestartIsTheSumOfItsPostings) {
  credit(7, "100");
  credit(8, "3.0001");
  for (int i = 0; i < 4; ++i) {
    auto h = ledger_->reserve(7, kTen, Money());
    std::vector<storage::Posting> ps;
    bool crossed = false;
    ledger_->settle(*h, kTen, Money(), "L", 1'000, ps, crossed);
    save(ps);
    ledger_->commit(*h);
  }
  open();
  EXPECT_EQ(ledger_->view(7).balance, 60 * Money::kScale);
  EXPECT_EQ(ledger_->view(7).balance, postings_sum("client:7"));
  EXPECT_EQ(ledger_->view(8).balance, 30001);
  int64_t total = 0;
  ASSERT_TRUE(store_
                  ->scan_ledger("", 0,
                                [&](const storage::LedgerEntry& e) {
                                  total += e.posting.amount;
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(total, 0);
  // Unbalanced postings are refused whole.
  EXPECT_FALSE(store_->post_ledger({{"client:7", 5, "adjustment", "x", 1, ""}}, {}, {}).ok());
  EXPECT_EQ(store_->balance("client:7"), 60 * Money::kScale);
  // Deposits must be positive.
  BalanceLedger::Deposit bad{Money(), Money(), "d", "deposit", ""};
  EXPECT_FALSE(ledger_->deposit(7, bad, Money(), 1, nullptr).ok());
}

}  // namespace
}  // namespace pp::engine
