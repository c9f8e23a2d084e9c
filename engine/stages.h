#pragma once
// Every stage of a lead's path (one file each group: request_stages.cpp, rule_stages.cpp,
// delivery_stages.cpp). Stateless singletons: RulePlan::build (plan.cpp) orders them.
#include "engine/plan.h"

namespace pp::engine::stages {

// The one instance of a stateless stage.
template <class S>
const Stage& instance() {
  static const S stage;
  return stage;
}

// The request (run on the configuration that authenticated it; they refuse, never store).
const Stage& rate_limit();
const Stage& request_guard();
const Stage& ping_record();
const Stage& preping();

// The lead's rules (stop with a stored outcome).
const Stage& fields();
const Stage& supplier_paused();
const Stage& computed_fields();
const Stage& filters();
const Stage& duplicates();
const Stage& supplier_caps();
const Stage& checks();

// Delivery and settlement.
const Stage& waterfall();
const Stage& exchange();
const Stage& sell_ping();
const Stage& auction();
const Stage& settlement();

}  // namespace pp::engine::stages
