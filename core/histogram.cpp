#include "core/histogram.h"

#include <cstdio>

namespace pp {

namespace {

std::string seconds(int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", double(us) / 1e6);
  return buf;
}

}  // namespace

void render_metric_header(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
  out.append(name).append(" ").append(type).append("\n");
}

void render_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, int64_t value) {
  render_metric_header(out, name, type, help);
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

void Histogram::observe(int64_t us) {
  size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  if (i < kBoundsUs.size()) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  // Appended piece by piece (no temporaries; GCC 12's -Wrestrict misreads `"{" + std::string()`).
  auto bucket = [&](std::string_view le, uint64_t n) {
    out.append(name).append("_bucket{").append(labels);
    if (!labels.empty()) out.append(",");
    out.append("le=\"").append(le).append("\"} ").append(std::to_string(n)).append("\n");
  };
  auto line = [&](std::string_view suffix, const std::string& value) {
    out.append(name).append(suffix);
    if (!labels.empty()) out.append("{").append(labels).append("}");
    out.append(" ").append(value).append("\n");
  };
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBoundsUs.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    bucket(seconds(kBoundsUs[i]), cumulative);
  }
  const uint64_t count = count_.load(std::memory_order_relaxed);
  bucket("+Inf", count);
  line("_sum", seconds(sum_us_.load(std::memory_order_relaxed)));
  line("_count", std::to_string(count));
}

int64_t Histogram::quantile_us(double q) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  const uint64_t rank = std::max<uint64_t>(1, uint64_t(double(n) * q + 0.999999));
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBoundsUs.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    if (cumulative >= rank) return kBoundsUs[i];
  }
  return kBoundsUs.back();
}

}  // namespace pp
