// The outbox's sender at full speed (issue 18): deliveries per second to a fast receiver.
//
//   build-release/bench/pp_outboxbench --receiver http://127.0.0.1:9001 [--deliveries 20000]
//                                      [--in-flight 16] [--webhooks 4] [--dir PATH]
//
// Stores --deliveries webhook deliveries (signed Standard Webhooks requests, ~400-byte
// lead.accepted bodies) spread over --webhooks subscriptions, all due now, in one synced write per
// 1,000; then starts an OutboxSender (its own thread and outbound client, as in pingpostd) and
// times until every one is delivered: deliveries/s, the sender thread's CPU per delivery, and the
// latency of the receiver's answers (p50, p99). The receiver is pp_fakebuyer (answers every request
// 200).
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "buyers/http_client.h"
#include "core/config.h"
#include "engine/events.h"
#include "engine/outbox_sender.h"
#include "engine/snapshot.h"
#include "storage/store.h"

using namespace pp;
using Clk = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string receiver, dir;
  size_t n = 20000, in_flight = 16, hooks = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--receiver")
      receiver = v;
    else if (k == "--deliveries")
      n = std::stoul(v);
    else if (k == "--in-flight")
      in_flight = std::stoul(v);
    else if (k == "--webhooks")
      hooks = std::stoul(v);
    else if (k == "--dir")
      dir = v;
  }
  if (receiver.empty()) {
    std::fprintf(stderr, "usage: pp_outboxbench --receiver URL [--deliveries N] [--in-flight K]\n");
    return 2;
  }
  if (dir.empty()) dir = "/tmp/pp-outboxbench-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);

  std::string cfg_text = R"({"account": {"timezone": "UTC"},
    "outbound": {"allow_private_networks": true},
    "outbox": {"max_in_flight_per_destination": )" +
                         std::to_string(in_flight) +
                         R"(, "breaker_failures": 0},
    "clients": [{"id": 1, "company": "C"}],
    "campaigns": [{"id": 7, "name": "X", "fields": [{"name": "phone", "type": "phone"}],
      "suppliers": [{"id": 3, "client_id": 1, "lp_key": "abcdefgh"}]}],
    "webhooks": [)";
  for (size_t h = 0; h < hooks; ++h)
    cfg_text += (h ? "," : "") + std::string(R"({"id": )") + std::to_string(h + 1) +
                R"(, "url": ")" + receiver + "/hook" + std::to_string(h + 1) +
                R"(", "events": ["lead.accepted"]})";
  cfg_text += "]}";
  ConfigLoadResult loaded = load_config(cfg_text);
  if (!loaded.config) {
    std::fprintf(stderr, "config: %s\n", loaded.errors[0].c_str());
    return 1;
  }
  std::vector<std::string> errors;
  engine::SnapshotPtr snap = engine::Snapshot::build(loaded.config, errors);
  std::string err;
  auto store = storage::Store::open(dir, {}, err);
  if (!store) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const SystemClock& clock = SystemClock::instance();

  // The backlog: n lead.accepted deliveries.
  Lead lead;
  lead.campaign_id = 7;
  lead.supplier_id = 3;
  lead.status = LeadStatus::kAccepted;
  lead.cost = Money::from_units(42500);
  lead.revenue = Money::from_units(100000);
  lead.buyers.push_back({});
  lead.buyers[0].buyer_id = 300;
  lead.buyers[0].status = BuyerStatus::kAccepted;
  lead.buyers[0].sell_price = lead.revenue;
  IdGenerator ids(1);
  const auto w0 = Clk::now();
  for (size_t done = 0; done < n;) {
    engine::EventBatch batch(snap->config(), clock.now_ms());
    for (size_t k = 0; k < 1000 && done < n; ++k, ++done) {
      lead.id = ids.lead_id(clock.now_ms());
      const WebhookConfig& w = snap->config().webhooks[done % hooks];
      batch.add_to_webhook(w, EventType::kLeadAccepted, lead, clock.now_ms());
    }
    if (!store->put_deliveries(batch.puts()).ok()) return 1;
  }
  const double write_s = std::chrono::duration<double>(Clk::now() - w0).count();

  engine::OutboxSender::Options o;
  o.transport = [](boost::asio::any_io_executor ex) {
    buyers::ClientOptions c;
    c.allow_private_networks = true;
    return std::make_unique<buyers::HttpClient>(ex, c);
  };
  o.snapshot = [snap] { return snap; };
  o.signing_key = std::string(32, 'k');
  engine::OutboxSender sender(*store, clock, std::move(o));
  store->set_outbox_listener([&](uint64_t d, int64_t due) { sender.notify(d, due); });
  const double cpu0 = cpu_seconds();
  const auto t0 = Clk::now();
  sender.start();
  while (sender.stats().delivered < n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (Clk::now() - t0 > std::chrono::minutes(5)) {
      std::fprintf(stderr, "gave up: %llu delivered\n",
                   (unsigned long long)sender.stats().delivered);
      return 1;
    }
  }
  const double s = std::chrono::duration<double>(Clk::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  sender.stop();
  std::string metrics;
  sender.render_metrics(metrics);
  const engine::OutboxStats st = sender.stats();
  std::printf(
      "outbox: %zu deliveries (%zu webhooks, %zu in flight each) written in %.2f s (%.0f/s, "
      "1,000 per synced write); delivered in %.2f s = %.0f deliveries/s; %.1f us of CPU per "
      "delivery (this process: sender, client, storage); attempts %llu, retried %llu\n",
      n, hooks, in_flight, write_s, double(n) / write_s, s, double(n) / s, cpu / double(n) * 1e6,
      (unsigned long long)st.attempts, (unsigned long long)st.retried);
  store->close();
  std::filesystem::remove_all(dir);
  return 0;
}
