// The settlement stage (engine/settlement.h settle_outcome): a lead's outcome from its buyers'.
#include <gtest/gtest.h>

#include "core/codes.h"
#include "engine/settlement.h"

namespace pp::engine {
namespace {

BuyerOutcome buyer(BuyerStatus st, int code = 0, int64_t price = 0) {
  BuyerOutcome o;
  o.status = st;
  o.error_code = code;
  o.sell_price = Money::from_whole(price);
  return o;
}

Lead settled(std::vector<BuyerOutcome> buyers, bool real_time = false, bool test = false) {
  Lead l;
  l.buyers = std::move(buyers);
  l.test = test;
  Pricing supplier;
  supplier.amount = Money::from_whole(4);
  settle_outcome(l, real_time, Money::from_whole(9), supplier, EvalContext{l.fields, 0});
  return l;
}

TEST(Settle, SalesSetRevenueAndCost) {
  Lead l = settled({buyer(BuyerStatus::kError, 1006), buyer(BuyerStatus::kAccepted, 0, 12),
                    buyer(BuyerStatus::kAccepted, 0, 3)});
  EXPECT_EQ(l.status, LeadStatus::kAccepted);
  EXPECT_EQ(l.revenue, Money::from_whole(15));
  EXPECT_EQ(l.cost, Money::from_whole(4));  // the supplier's static price
  EXPECT_EQ(settled({buyer(BuyerStatus::kAccepted, 0, 12)}, true).cost, Money::from_whole(9));
  Lead t = settled({buyer(BuyerStatus::kAccepted, 0, 12)}, false, true);  // a test lead
  EXPECT_EQ(t.status, LeadStatus::kAccepted);
  EXPECT_EQ(t.revenue, Money());
  EXPECT_EQ(t.cost, Money());
  EXPECT_EQ(t.buyers[0].sell_price, Money());
}

TEST(Settle, UnsoldLeadsGetTheCodeThatExplainsThem) {
  auto code = [](Lead l) { return l.error_code; };
  EXPECT_EQ(code(settled({buyer(BuyerStatus::kDuplicated, 1038), buyer(BuyerStatus::kSkipped)})),
            code_int(Code::kDuplicated));
  EXPECT_EQ(settled({buyer(BuyerStatus::kDuplicated, 1038)}).status, LeadStatus::kDuplicated);
  EXPECT_EQ(
      code(settled({buyer(BuyerStatus::kError, 1035), buyer(BuyerStatus::kError, 1035)}, true)),
      code_int(Code::kPingTimeout));
  EXPECT_EQ(code(settled({buyer(BuyerStatus::kError, 1006), buyer(BuyerStatus::kSkipped, 1007)})),
            code_int(Code::kRejectedByBuyer));
  EXPECT_EQ(code(settled({buyer(BuyerStatus::kError, 1006), buyer(BuyerStatus::kError, 1006)})),
            code_int(Code::kNoBuyers));
  EXPECT_EQ(code(settled({buyer(BuyerStatus::kSkipped, 1007)})), code_int(Code::kNoBuyers));
  EXPECT_EQ(code(settled({})), code_int(Code::kNoBuyers));
}

}  // namespace
}  // namespace pp::engine
