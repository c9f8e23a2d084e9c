// An auction whose pings all complete without suspending (answers already there, or a URL
// refused before any I/O) closes at once, not at its deadline (issue 16: every ping ran inside
// co_spawn, so the timer was cancelled before the auction waited on it). The deadline here is
// 60 s; the lead must be stored within the 30 s this test lets the executor run.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <random>

#include "core/config.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "storage/store.h"

namespace pp {
namespace {

namespace asio = boost::asio;

class Instant final : public buyers::Transport {
 public:
  asio::awaitable<buyers::HttpResult> send(buyers::OutboundRequest request) override {
    ++calls;
    buyers::HttpResult r;
    r.status = 200;
    r.body = request.url.find("/ping") != std::string::npos ? R"({"status":"accepted","bid":"9"})"
                                                            : R"({"status":"accepted"})";
    co_return r;  // no suspension
  }
  int calls = 0;
};

TEST(InstantAuction, ClosesWhenEveryPingIsInEvenIfNoneSuspended) {
  std::string buyers;
  for (int i = 0; i < 3; ++i) {
    const std::string u = "http://127.0.0.1:9/" + std::to_string(i);
    buyers += std::string(i ? "," : "") + R"({"id": )" + std::to_string(100 + i) +
              R"(, "client_id": 2, "type": "ping_post", "price": {"type": "realtime"},
      "ping": {"url": ")" +
              u + R"(/ping", "fields": {"state": "{{state}}"}},
      "ping_response": {"accepted": {"path": "status", "equals": ["accepted"]}, "price": "bid"},
      "post": {"url": ")" +
              u + R"(/post", "fields": {"state": "{{state}}"}},
      "post_response": {"accepted": {"path": "status", "equals": ["accepted"]}}})";
  }
  auto loaded = load_config(R"({"account": {"timezone": "UTC"},
    "outbound": {"allow_private_networks": true},
    "clients": [{"id": 1, "company": "S"}, {"id": 2, "company": "B"}],
    "campaigns": [{"id": 1, "name": "X", "type": "ping_post_exchange",
      "exchange": {"auction_timeout_ms": 60000},
      "fields": [{"name": "state", "type": "state", "required": true, "required_on_ping": true}],
      "suppliers": [{"id": 10, "client_id": 1, "lp_key": "instant-key"}],
      "buyers": [)" + buyers +
                            "]}]}");
  ASSERT_TRUE(loaded.config) << loaded.errors.at(0);
  std::vector<std::string> errors;
  auto snap = engine::Snapshot::build(loaded.config, errors);
  ASSERT_TRUE(snap);
  auto dir = std::filesystem::temp_directory_path() /
             ("pp-instant-" + std::to_string(std::random_device{}()));
  storage::StoreOptions so;
  so.sync = false;
  std::string err;
  auto store = storage::Store::open(dir.string(), so, err);
  ASSERT_TRUE(store) << err;
  SystemClock clock;
  {
    engine::Engine engine(snap, *store, clock);
    Instant transport;
    asio::io_context io(1);
    engine::IntakeRequest req;
    req.params = {
        {"lp_campaign_id", "1"}, {"lp_supplier_id", "10"}, {"lp_key", "instant-key"}, {"state", "NY"}};
    req.body_hash = "instant";
    std::optional<engine::IntakeResult> result;
    asio::co_spawn(io, engine.direct_post(std::move(req), transport),
                   [&](std::exception_ptr e, engine::IntakeResult r) {
                     if (!e) result = std::move(r);
                   });
    io.run_for(std::chrono::seconds(30));
    ASSERT_TRUE(result) << "the auction waited for its deadline although every ping was in";
    EXPECT_EQ(result->status, LeadStatus::kAccepted) << result->message;
    EXPECT_EQ(transport.calls, 4);  // three pings, one post
  }
  store.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pp
