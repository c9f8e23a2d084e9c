#pragma once
// Filters (B3). Pure; evaluation does not allocate unless failures are collected.
#include <string_view>
#include <vector>

#include "core/condition.h"
#include "core/config.h"

namespace pp::routing {

// True when every filter passes. When `failed` is given, the names of failing filters are
// appended to it (all of them, for the message "Lead not accepted due to filters: a, b").
bool passes_filters(const std::vector<Filter>& filters, const EvalContext& ctx,
                    std::vector<std::string_view>* failed = nullptr);

}  // namespace pp::routing
