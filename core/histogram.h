#pragma once
// Prometheus text format for /metrics: a series' header lines, a single-value series, and a
// latency histogram (`_bucket`, `_sum`, `_count`, in seconds). Observing is lock-free (relaxed
// atomics), so any thread may observe while /metrics renders; the engine's stage and buyer
// histograms and storage's commit histograms share it.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace pp {

// The "# HELP" and "# TYPE" lines of a series, and a series of one value with them.
void render_metric_header(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help);
void render_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, int64_t value);

class Histogram {
 public:
  // Upper bounds in microseconds (rendered as seconds): 100 µs .. 10 s.
  static constexpr std::array<int64_t, 16> kBoundsUs = {
      100,   250,    500,    1000,   2500,    5000,    10000,   25000,
      50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

  void observe(int64_t us);
  // `name` without suffix; `labels` as `a="x",b="y"` (may be empty).
  void render(std::string& out, std::string_view name, std::string_view labels) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // The bound of the bucket holding quantile q (0..1), in microseconds (0 when empty; the largest
  // bound when the value is beyond it): what a dashboard shows as p50 or p95.
  int64_t quantile_us(double q) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsUs.size()> buckets_{};  // non-cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_us_{0};
};

}  // namespace pp
