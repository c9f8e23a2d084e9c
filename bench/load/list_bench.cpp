// Suppression lists at scale (issue 17): load speed, resident size and lookup latency.
//
//   build-release/bench/pp_listbench [--rows N] [--dir PATH]
//
// 1. An upload of N phone rows (random NANP numbers, CSV with a header) read the way the server
//    reads it (ListCsvReader, 64 KiB pieces), then stored (sorted, written by generation with one
//    fsync) and swapped in: rows/s for each part and for the whole.
// 2. Resident size: the list's bytes in memory (keys and directory), and the process's resident
//    size before and after.
// 3. The list read back as at a restart (SuppressionLists::load): rows/s.
// 4. Lookups: 10^6 single lookups, half listed and half not, each timed: p50, p99, p99.9.
// 5. A lead against three attached lists (phone numbers, emails, SHA-256 hashes of either), as
//    the suppression check does it (keys of the lead's phone and email, hashing included): the
//    added time per lead, p50 and p99.
// The goals are for 10^8 rows (>= 500k rows/s, <= 1.5 GiB, lookup p99 <= 5 us, three lists <= 5 us
// per lead); a run with fewer rows says what it extrapolates.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "checks/list_csv.h"
#include "checks/list_key.h"
#include "core/hash.h"
#include "engine/lists.h"
#include "storage/store.h"

using namespace pp;
using Clk = std::chrono::steady_clock;

namespace {

double secs(Clk::duration d) { return std::chrono::duration<double>(d).count(); }

double rss_mib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

std::string phone_of(uint64_t r) {
  // NXX-NXX-XXXX: area and exchange codes start with 2-9.
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03u%03u%04u", unsigned(200 + r % 800),
                unsigned(200 + (r >> 10) % 800), unsigned((r >> 20) % 10000));
  return buf;
}

template <class F>
std::vector<double> timed(size_t n, F&& f) {
  std::vector<double> ns(n);
  for (size_t i = 0; i < n; ++i) {
    auto t0 = Clk::now();
    f(i);
    ns[i] = double(std::chrono::duration_cast<std::chrono::nanoseconds>(Clk::now() - t0).count());
  }
  std::sort(ns.begin(), ns.end());
  return ns;
}

double q(const std::vector<double>& v, double p) {
  return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 10'000'000;
  std::string dir = "/tmp/pp-listbench";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") rows = std::stoull(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  std::string err;
  auto store = storage::Store::open(dir, {}, err);
  if (!store) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  engine::SuppressionLists lists(*store);
  if (!lists.load().ok()) return 1;
  const double rss0 = rss_mib();

  // The upload, generated piece by piece (a CSV of `rows` lines is not held whole either).
  std::mt19937_64 rng(17);
  std::vector<uint64_t> sample;  // some listed numbers, for lookups
  checks::ListCsvReader reader(ListKind::kPhone, "");
  reader.reserve(rows);
  std::string piece = "phone,source\r\n";
  Clk::duration parse{};
  for (size_t i = 0; i < rows; ++i) {
    uint64_t r = rng();
    if (i % (rows / 1000 + 1) == 0) sample.push_back(r);
    piece += phone_of(r);
    piece += ",import\r\n";
    if (piece.size() >= 65536 || i + 1 == rows) {
      auto t0 = Clk::now();
      reader.feed(piece);
      parse += Clk::now() - t0;
      piece.clear();
    }
  }
  auto t0 = Clk::now();
  reader.finish();
  parse += Clk::now() - t0;
  const size_t valid = reader.keys().size();
  t0 = Clk::now();
  storage::Status st = lists.replace(1, std::move(reader.keys()));
  const Clk::duration stored = Clk::now() - t0;
  if (!st.ok()) {
    std::fprintf(stderr, "store: %s\n", st.message.c_str());
    return 1;
  }
  const auto info = lists.info(1);
  const double rss1 = rss_mib();
  const double scale = 1e8 / double(rows);
  std::printf("rows                        %zu (%zu valid, %zu distinct entries)\n", rows, valid,
              info.entries);
  std::printf("read (CSV -> keys)          %.2f s  %.0f rows/s\n", secs(parse),
              double(rows) / secs(parse));
  std::printf("store (sort, write, fsync)  %.2f s  %.0f rows/s\n", secs(stored),
              double(rows) / secs(stored));
  std::printf("upload total                %.2f s  %.0f rows/s (goal >= 500,000)\n",
              secs(parse + stored), double(rows) / secs(parse + stored));
  std::printf("list in memory              %.1f MiB; x%.0f for 10^8 rows: %.2f GiB (goal <= 1.5)\n",
              double(info.memory_bytes) / 1048576.0, scale,
              double(info.memory_bytes) * scale / 1073741824.0);
  std::printf("process resident            %.0f -> %.0f MiB\n", rss0, rss1);

  // A restart: the list read back.
  engine::SuppressionLists again(*store);
  t0 = Clk::now();
  if (!again.load().ok()) return 1;
  const Clk::duration reload = Clk::now() - t0;
  std::printf("read back at start          %.2f s  %.0f rows/s\n", secs(reload),
              double(info.entries) / secs(reload));

  // Lookups: half listed, half not.
  std::vector<uint64_t> probe;
  std::string why;
  for (size_t i = 0; i < 1'000'000; ++i) {
    std::string p = i % 2 ? phone_of(sample[i % sample.size()]) : phone_of(rng());
    probe.push_back(*checks::entry_key(ListKind::kPhone, p, why));
  }
  size_t hits = 0;
  auto ns = timed(probe.size(), [&](size_t i) { hits += again.contains(1, probe[i]); });
  auto clock_ns = timed(100000, [](size_t) {});
  std::printf(
      "lookup                      p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns (goal p99 <= 5 us;"
      " %zu of 10^6 listed; clock overhead p50 %.0f ns)\n",
      q(ns, 0.5), q(ns, 0.99), q(ns, 0.999), hits, q(clock_ns, 0.5));

  // Three lists attached: phones (the big one), emails, SHA-256 hashes.
  std::vector<uint64_t> emails, hashes;
  for (int i = 0; i < 100000; ++i) {
    emails.push_back(
        *checks::entry_key(ListKind::kEmail, "user" + std::to_string(i) + "@example.com", why));
    hashes.push_back(*checks::entry_key(ListKind::kSha256, sha256_hex(phone_of(rng())), why));
  }
  if (!again.replace(2, emails).ok() || !again.replace(3, hashes).ok()) return 1;
  struct L {
    int64_t id;
    ListKind kind;
  };
  const L attached[] = {{1, ListKind::kPhone}, {2, ListKind::kEmail}, {3, ListKind::kSha256}};
  std::vector<std::pair<std::string, std::string>> leads;
  for (int i = 0; i < 100000; ++i)
    leads.emplace_back(phone_of(rng()), "lead" + std::to_string(i) + "@example.org");
  size_t listed = 0;
  // Three rounds; the median round's figures (a 2-core VM's scheduler puts a few 10 us stalls in
  // any round: the median keeps one unlucky round out of the figure without hiding a slow path).
  std::vector<std::pair<double, double>> rounds;
  for (int round = 0; round < 3; ++round) {
    auto per_lead = timed(leads.size(), [&](size_t i) {
      for (const L& l : attached) {
        uint64_t keys[3];
        size_t n = checks::phone_lookup_keys(l.kind, leads[i].first, keys);
        for (size_t k = 0; k < n; ++k) listed += again.contains(l.id, keys[k]);
        n = checks::email_lookup_keys(l.kind, leads[i].second, keys);
        for (size_t k = 0; k < n; ++k) listed += again.contains(l.id, keys[k]);
      }
    });
    rounds.emplace_back(q(per_lead, 0.99), q(per_lead, 0.5));
  }
  std::sort(rounds.begin(), rounds.end());
  std::printf(
      "three lists, per lead       p50 %.2f us  p99 %.2f us (median of 3 rounds; p99s %.2f /"
      " %.2f / %.2f us; goal <= 5 us; phone and email, SHA-256 of each form included)\n",
      rounds[1].second / 1000.0, rounds[1].first / 1000.0, rounds[0].first / 1000.0,
      rounds[1].first / 1000.0, rounds[2].first / 1000.0);
  store->close();
  std::filesystem::remove_all(dir);
  return listed == size_t(-1) ? 1 : 0;
}
