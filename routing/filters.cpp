#include "routing/filters.h"

namespace pp::routing {

bool passes_filters(const std::vector<Filter>& filters, const EvalContext& ctx,
                    std::vector<std::string_view>* failed) {
  bool ok = true;
  for (const auto& f : filters) {
    bool match = f.when.matches(ctx);
    if (match == f.block) {
      ok = false;
      if (failed == nullptr) return false;
      failed->push_back(f.name);
    }
  }
  return ok;
}

}  // namespace pp::routing
