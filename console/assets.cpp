#include "console/assets.h"

#include <algorithm>

namespace pp::console {

const Asset* find_asset(std::string_view path) {
  auto all = all_assets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const Asset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

}  // namespace pp::console
