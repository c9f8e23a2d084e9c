#pragma once
// The operator console's files (console/web, and Chart.js from Debian's libjs-chart.js), embedded
// in pingpostd at build time by scripts/embed_assets.py: each with its gzip form and an ETag.
#include <span>
#include <string_view>

namespace pp::console {

struct Asset {
  std::string_view path;  // relative to /console/: "index.html", "js/app.js", "vendor/chart.min.js"
  std::string_view content_type;
  std::string_view etag;  // quoted, from the content's SHA-256
  std::string_view raw;
  std::string_view gzip;
};

// Every embedded file, sorted by path.
std::span<const Asset> all_assets();

// The file at `path` (relative to /console/), or nullptr.
const Asset* find_asset(std::string_view path);

}  // namespace pp::console
