#include "engine/health.h"

#include <gtest/gtest.h>

namespace pp::engine {
namespace {

using Gate = BuyerHealth::Gate;
using State = BuyerHealth::State;

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndProbesAfterTheCoolDown) {
  BuyerHealth h(BuyerHealth::Options{3, 1000});
  const BuyerId b = 7;
  UnixMs t = 1000;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(h.admit(b, t), Gate::kPass);
    h.record(b, false, t);
  }
  h.record(b, true, t);  // a success resets the count
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(h.admit(b, t), Gate::kPass);
    h.record(b, false, t);
  }
  EXPECT_EQ(h.state(b, t), State::kOpen);
  EXPECT_EQ(h.admit(b, t + 999), Gate::kOpen);
  // After the cool-down: exactly one probe.
  EXPECT_EQ(h.admit(b, t + 1000), Gate::kProbe);
  EXPECT_EQ(h.admit(b, t + 1001), Gate::kOpen);
  h.record(b, false, t + 1002);  // the probe failed: open again
  EXPECT_EQ(h.admit(b, t + 1500), Gate::kOpen);
  EXPECT_EQ(h.admit(b, t + 2002), Gate::kProbe);
  h.record(b, true, t + 2003);  // the probe succeeded: closed
  EXPECT_EQ(h.state(b, t + 2003), State::kClosed);
  EXPECT_EQ(h.admit(b, t + 2004), Gate::kPass);
  auto snap = h.snapshot(t + 2004);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].opened_total, 2u);
  EXPECT_EQ(h.admit(99, t), Gate::kPass);  // other buyers are unaffected
}

}  // namespace
}  // namespace pp::engine
