// The outbox's pieces without sockets (issue 18): delivery ids, the retry schedule, Standard
// Webhooks signatures (the specification's published example), the delivery codec, the webhook and
// outbox configuration, events as deliveries, cap rules filled exactly once, and storage's outbox
// family (written with a lead, schedules by destination, attempts, paging, restarts, retention).
#include "core/outbox.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "core/config.h"
#include "core/hash.h"
#include "engine/alerts.h"
#include "engine/caps_ledger.h"
#include "engine/events.h"
#include "storage/codec.h"
#include "storage/store.h"

namespace pp {
namespace {

namespace json = boost::json;

TEST(DeliveryId, SortsByTimeAndCarriesIt) {
  IdGenerator g(7);
  std::string prev;
  for (int64_t t : {int64_t(1), int64_t(1'700'000'000'000), int64_t(1'795'000'000'000),
                    int64_t(1'795'000'000'001)}) {
    const std::string id = delivery_id(t, g.next_u64(), g.next_u64());
    EXPECT_EQ(id.size(), 30u);
    EXPECT_TRUE(is_delivery_id(id)) << id;
    EXPECT_EQ(delivery_id_time(id), t);
    EXPECT_LT(prev, id);
    prev = id;
  }
  EXPECT_FALSE(is_delivery_id("msg_short"));
  EXPECT_FALSE(is_delivery_id("xyz_" + std::string(26, 'A')));
  EXPECT_FALSE(is_delivery_id("msg_" + std::string(25, 'A') + "!"));
  EXPECT_EQ(delivery_id_time("nope"), -1);
}

TEST(RetryDelay, DoublesWithJitterUpToItsCap) {
  RetryPolicy p;  // 5 s base, 1 h cap
  EXPECT_EQ(retry_delay_ms(p, 0, 0.5), 0);
  EXPECT_EQ(retry_delay_ms(p, 1, 0.0), 2500);
  EXPECT_EQ(retry_delay_ms(p, 1, 1.0), 5000);
  EXPECT_EQ(retry_delay_ms(p, 2, 0.0), 5000);
  EXPECT_EQ(retry_delay_ms(p, 2, 1.0), 10000);
  EXPECT_EQ(retry_delay_ms(p, 10, 1.0), 2'560'000);
  EXPECT_EQ(retry_delay_ms(p, 11, 1.0), 3'600'000);   // capped
  EXPECT_EQ(retry_delay_ms(p, 11, 0.0), 1'800'000);   // jitter below the cap
  EXPECT_EQ(retry_delay_ms(p, 500, 1.0), 3'600'000);  // no overflow
  for (uint32_t n = 1; n < 40; ++n) {
    const int64_t lo = retry_delay_ms(p, n, 0.0), hi = retry_delay_ms(p, n, 0.999999);
    EXPECT_LE(lo, hi);
    EXPECT_GE(lo, hi / 2 - 1);
  }
  // How many attempts 72 hours allow at the longest waits: the default schedule keeps trying.
  int64_t t = 0;
  uint32_t n = 0;
  while (t <= p.max_age_ms) t += retry_delay_ms(p, ++n, 1.0);
  EXPECT_GE(n, 75u);
}

TEST(WebhookSignature, MatchesTheStandardWebhooksExample) {
  // The example of the Standard Webhooks specification and its reference libraries.
  auto key = webhook_secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 24u);
  EXPECT_EQ(webhook_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                              R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_NE(webhook_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
                              R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, SecretsAreWhsecAndTwentyFourToSixtyFourBytes) {
  EXPECT_FALSE(webhook_secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_FALSE(webhook_secret_key("whsec_not base64!"));
  EXPECT_FALSE(webhook_secret_key("whsec_" + base64_encode(std::string(23, 'x'))));
  EXPECT_TRUE(webhook_secret_key("whsec_" + base64_encode(std::string(64, 'x'))));
  EXPECT_FALSE(webhook_secret_key("whsec_" + base64_encode(std::string(65, 'x'))));
  // Derived secrets: stable per (key, webhook, version), different otherwise, always valid.
  const std::string k(32, 's');
  EXPECT_EQ(webhook_secret(k, 1, 1), webhook_secret(k, 1, 1));
  EXPECT_NE(webhook_secret(k, 1, 1), webhook_secret(k, 1, 2));
  EXPECT_NE(webhook_secret(k, 1, 1), webhook_secret(k, 2, 1));
  EXPECT_NE(webhook_secret(k, 1, 1), webhook_secret(std::string(32, 't'), 1, 1));
  auto derived = webhook_secret_key(webhook_secret(k, 9, 3));
  ASSERT_TRUE(derived);
  EXPECT_EQ(derived->size(), 32u);
}

TEST(Base64, RoundTripsEveryLengthAndRefusesWhatIsNot) {
  std::mt19937 rng(3);
  for (size_t n = 0; n < 70; ++n) {
    std::string raw(n, '\0');
    for (char& c : raw) c = char(rng());
    std::string back;
    ASSERT_TRUE(base64_decode(base64_encode(raw), back)) << n;
    EXPECT_EQ(back, raw);
  }
  std::string out;
  EXPECT_FALSE(base64_decode("abc$", out));
  EXPECT_FALSE(base64_decode("a", out));
  EXPECT_TRUE(base64_decode("", out));
}

OutboxDelivery sample_delivery() {
  OutboxDelivery d;
  d.id = delivery_id(1'795'000'000'000, 1, 2);
  d.created_ms = 1'795'000'000'000;
  d.source = DeliverySource::kWebhook;
  d.source_id = 12;
  d.destination = destination_key(DeliverySource::kWebhook, 12);
  d.event = EventType::kLeadReturned;
  d.campaign_id = 100;
  d.lead_id = "P7QGVigaZqkseY0n930Q";
  d.url = "https://crm.example/hooks";
  d.headers = {{"Content-Type", "application/json"}};
  d.body = R"({"type":"lead.returned"})";
  d.next_attempt_ms = d.created_ms + 5000;
  d.give_up_ms = d.created_ms + 72LL * 3'600'000;
  d.add_attempt({d.created_ms, 503, "", 1234, "busy"});
  d.add_attempt({d.created_ms + 3000, 0, "timeout", 10'000'000, ""});
  return d;
}

TEST(DeliveryCodec, RoundTripsAndRefusesEveryCut) {
  const OutboxDelivery d = sample_delivery();
  const std::string bytes = storage::encode_delivery(d);
  EXPECT_EQ(uint8_t(bytes[0]), uint8_t(DeliveryStatus::kPending));  // the retention filter's byte
  auto back = storage::decode_delivery(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, d.id);
  EXPECT_EQ(back->event, d.event);
  EXPECT_EQ(back->destination, d.destination);
  EXPECT_EQ(back->lead_id, d.lead_id);
  EXPECT_EQ(back->headers, d.headers);
  EXPECT_EQ(back->body, d.body);
  EXPECT_EQ(back->give_up_ms, d.give_up_ms);
  ASSERT_EQ(back->attempts.size(), 2u);
  EXPECT_EQ(back->attempts[1].error, "timeout");
  EXPECT_EQ(back->attempts[0].excerpt, "busy");
  EXPECT_EQ(back->attempt_count, 2u);
  for (size_t cut = 0; cut < bytes.size(); ++cut)
    EXPECT_FALSE(storage::decode_delivery(bytes.substr(0, cut))) << cut;
  std::string bad = bytes;
  bad[0] = char(9);  // no such status
  EXPECT_FALSE(storage::decode_delivery(bad));
}

TEST(DeliveryAttempts, KeepTheFirstAndTheLatest) {
  OutboxDelivery d;
  for (int i = 0; i < 40; ++i) d.add_attempt({i, 500, "", 0, ""});
  EXPECT_EQ(d.attempt_count, 40u);
  ASSERT_EQ(d.attempts.size(), kAttemptsKept);
  EXPECT_EQ(d.attempts.front().at_ms, 0);
  EXPECT_EQ(d.attempts.back().at_ms, 39);
  EXPECT_EQ(d.attempts[1].at_ms, 40 - int64_t(kAttemptsKept) + 1);
}

TEST(DestinationKey, SourcesAndOrigins) {
  EXPECT_EQ(webhook_of_destination(destination_key(DeliverySource::kWebhook, 42)), 42);
  EXPECT_EQ(webhook_of_destination(destination_key(DeliverySource::kTrigger, 42)), 0);
  EXPECT_EQ(webhook_of_destination(url_destination_key("https://crm.example/")), 0);
  EXPECT_NE(destination_key(DeliverySource::kWebhook, 1),
            destination_key(DeliverySource::kWebhook, 2));
  EXPECT_NE(destination_key(DeliverySource::kWebhook, 1),
            destination_key(DeliverySource::kTrigger, 1));
  EXPECT_EQ(url_destination_key("https://Crm.Example/a?x=1"),
            url_destination_key("https://crm.example/b"));
  EXPECT_NE(url_destination_key("https://crm.example/a"),
            url_destination_key("https://crm.example:8443/a"));
  EXPECT_NE(url_destination_key("http://crm.example/a"),
            url_destination_key("https://crm.example/a"));
  EXPECT_NE(url_destination_key("https://crm.example/"),
            destination_key(DeliverySource::kWebhook, 1));
}

const char* kBase = R"({
    "account": {"timezone": "UTC"},
    "outbound": {"allow_private_networks": false},
    "clients": [{"id": 1, "company": "C"}],
    "campaigns": [{"id": 7, "name": "X", "fields": [{"name": "phone", "type": "phone"}],
      "suppliers": [{"id": 3, "client_id": 1, "lp_key": "abcdefgh"}]}]
  })";

json::object base_doc() { return json::parse(kBase).as_object(); }

TEST(WebhooksConfig, EveryProblemWithItsPath) {
  json::object doc = base_doc();
  doc["webhooks"] = json::parse(R"([
    {"id": 1, "url": "ftp://x", "events": []},
    {"id": 1, "url": "http://10.0.0.8/hook", "events": ["lead.sold", "*"], "campaigns": [9],
     "secrets": [{"version": 1}, {"version": 1, "expires_at": "soon"}, {"version": 2}],
     "max_in_flight": 0, "colour": "red"},
    {"id": 3, "url": "https://{{host}}/x", "events": ["lead.accepted"]}])");
  doc["outbox"] = json::parse(
      R"({"retry_base_ms": 10000, "retry_max_ms": 5000, "max_age_hours": 0, "breaker_failures": -1,
          "shape": "round"})");
  auto r = load_config_document(doc);
  ASSERT_FALSE(r.config);
  std::string all;
  for (const auto& e : r.errors) all += e + "\n";
  for (const char* want :
       {"$.webhooks[0].url: must start with http:// or https://",
        "$.webhooks[0].events: must name at least one event",
        "$.webhooks[1].id: duplicate webhook id 1", "$.webhooks[1].url: ",  // a private address
        "$.webhooks[1].events[0]: must be an event",
        "$.webhooks[1].campaigns[0]: must be a campaign id",
        "$.webhooks[1].secrets: must hold one or two secrets",
        "$.webhooks[1].secrets[1].version: duplicate secret version",
        "$.webhooks[1].secrets[1].expires_at: must be a UTC time",
        "$.webhooks[1].max_in_flight: must be between 1 and 256", "$.webhooks[1].colour",
        "$.webhooks[2].url: must be a fixed URL (no merge tags)",
        "$.outbox.retry_max_ms: must be at least retry_base_ms",
        "$.outbox.max_age_hours: must be between 1 and 720",
        "$.outbox.breaker_failures: must be between 0 and 1000", "$.outbox.shape"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
}

TEST(WebhooksConfig, DefaultsEventsAndSecretVersions) {
  json::object doc = base_doc();
  doc["webhooks"] = json::parse(R"([
    {"id": 4, "url": "https://crm.example/hook", "events": ["lead.accepted", "cap.reached"]},
    {"id": 5, "url": "https://ops.example/hook", "events": ["*"], "campaigns": [7],
     "enabled": false, "secrets": [{"version": 3}, {"version": 2,
                                                    "expires_at": "2026-11-28T04:00:00.250Z"}]}])");
  auto r = load_config_document(doc);
  ASSERT_TRUE(r.config) << r.errors[0];
  const Config& c = *r.config;
  const WebhookConfig* w4 = c.find_webhook(4);
  ASSERT_TRUE(w4);
  ASSERT_EQ(w4->secrets.size(), 1u);
  EXPECT_EQ(w4->secrets[0].version, 1u);
  EXPECT_TRUE(w4->wants(EventType::kLeadAccepted, 7));
  EXPECT_TRUE(w4->wants(EventType::kCapReached, 99));
  EXPECT_FALSE(w4->wants(EventType::kLeadRejected, 7));
  const WebhookConfig* w5 = c.find_webhook(5);
  ASSERT_TRUE(w5);
  EXPECT_FALSE(w5->wants(EventType::kLeadAccepted, 7)) << "disabled";
  EXPECT_EQ(w5->secrets[1].expires_ms % 1000, 250);
  EXPECT_EQ(w5->events, kAllEvents);
  // Only enabled webhooks' events are wanted by the account.
  EXPECT_EQ(c.webhook_events,
            event_bit(EventType::kLeadAccepted) | event_bit(EventType::kCapReached));
  EXPECT_EQ(c.outbox.retry.base_ms, 5000);
  EXPECT_EQ(c.outbox.retry.max_age_ms, 72LL * 3'600'000);
  EXPECT_EQ(c.outbox.max_in_flight_per_destination, 4u);
}

TEST(EventBatch, OneDeliveryPerWebhookThatWantsTheEvent) {
  json::object doc = base_doc();
  doc["webhooks"] = json::parse(R"([
    {"id": 1, "url": "https://a.example/", "events": ["lead.accepted"]},
    {"id": 2, "url": "https://b.example/", "events": ["*"], "campaigns": [7], "include_lead": true},
    {"id": 3, "url": "https://c.example/", "events": ["*"], "enabled": false}])");
  auto r = load_config_document(doc);
  ASSERT_TRUE(r.config) << r.errors[0];
  Lead lead;
  lead.id = "P7QGVigaZqkseY0n930Q";
  lead.campaign_id = 7;
  lead.supplier_id = 3;
  lead.status = LeadStatus::kAccepted;
  lead.cost = Money::from_units(42500);
  lead.fields = {{"phone", "4103097989"}};
  lead.buyers.push_back({});
  lead.buyers[0].buyer_id = 300;
  lead.buyers[0].status = BuyerStatus::kAccepted;
  lead.buyers[0].sell_price = Money::from_units(100000);
  engine::EventBatch ev(*r.config, 1'795'000'000'123);
  EXPECT_EQ(engine::lead_event(lead), EventType::kLeadAccepted);
  ev.add_lead(engine::lead_event(lead), lead);
  ASSERT_EQ(ev.puts().size(), 2u);
  std::set<std::string> ids;
  for (const auto& p : ev.puts()) {
    auto d = storage::decode_delivery(p.record);
    ASSERT_TRUE(d);
    ids.insert(d->id);
    EXPECT_EQ(p.id, d->id);
    EXPECT_EQ(p.due_ms, 1'795'000'000'123);
    EXPECT_EQ(d->give_up_ms, 1'795'000'000'123 + 72LL * 3'600'000);
    json::object body = json::parse(d->body).as_object();
    EXPECT_EQ(body["type"], "lead.accepted");
    EXPECT_EQ(body["timestamp"], "2026-11-18T11:06:40.123Z");
    json::object data = body["data"].as_object();
    EXPECT_EQ(data["cost"], 4.25);
    EXPECT_EQ(data["buyers"].as_array()[0].as_object()["price"], 10);
    EXPECT_EQ(data.contains("fields"), d->source_id == 2) << d->body;
    EXPECT_EQ(p.destination, destination_key(DeliverySource::kWebhook, d->source_id));
  }
  EXPECT_EQ(ids.size(), 2u);
  // Another campaign: only the unfiltered webhook; an event nobody wants: nothing built.
  lead.campaign_id = 8;
  engine::EventBatch other(*r.config, 1);
  other.add_lead(EventType::kLeadAccepted, lead);
  EXPECT_EQ(other.puts().size(), 1u);
  other.add_lead(EventType::kLeadRejected, lead);
  EXPECT_EQ(other.puts().size(), 1u);
  lead.status = LeadStatus::kDuplicated;
  EXPECT_EQ(engine::lead_event(lead), EventType::kLeadDuplicated);
  lead.status = LeadStatus::kError;
  EXPECT_EQ(engine::lead_event(lead), EventType::kLeadRejected);
}

// A cap rule is filled by exactly one sale however many leads settle at once; a sale that is not
// stored gives its filling back.
TEST(CapReached, ExactlyOneSaleFillsARule) {
  std::random_device rd;
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("pp-capreached-" + std::to_string(rd()))).string();
  std::string err;
  auto store = storage::Store::open(dir, {}, err);
  ASSERT_TRUE(store) << err;
  engine::CapLedger ledger(*store);
  Caps caps;
  caps.leads.push_back(CapRule{CapPeriod::kDay, -1, 50, "day"});
  caps.leads.push_back(CapRule{CapPeriod::kTotal, -1, 0, "total"});  // unlimited: never "reached"
  const UnixMs now = 1'795'000'000'000;
  std::atomic<int> reached{0}, sold{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        std::string failed;
        auto hold =
            ledger.reserve(CapOwner::kBuyer, 300, caps, TimeZone::utc(), now, Money(), failed);
        if (!hold) continue;
        std::vector<std::pair<std::string, int64_t>> deltas;
        std::vector<engine::CapLedger::Reached> r;
        ledger.settle(*hold, Money(), deltas, &r);
        reached += int(r.size());
        for (const auto& x : r) {
          EXPECT_EQ(x.limit, 50);
          EXPECT_EQ(x.rule->type, "day");
          EXPECT_EQ(x.id, 300);
        }
        ledger.commit(*hold);
        ++sold;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sold.load(), 50);
  EXPECT_EQ(reached.load(), 1);

  // A settled sale released (its lead was not stored): the next one fills the rule again.
  Caps two;
  two.leads.push_back(CapRule{CapPeriod::kDay, -1, 1, "day"});
  std::string failed;
  std::vector<std::pair<std::string, int64_t>> deltas;
  std::vector<engine::CapLedger::Reached> r;
  {
    auto h = ledger.reserve(CapOwner::kBuyer, 301, two, TimeZone::utc(), now, Money(), failed);
    ASSERT_TRUE(h);
    ledger.settle(*h, Money(), deltas, &r);
    EXPECT_EQ(r.size(), 1u);
  }  // released here
  auto h = ledger.reserve(CapOwner::kBuyer, 301, two, TimeZone::utc(), now, Money(), failed);
  ASSERT_TRUE(h);
  ledger.settle(*h, Money(), deltas, &r);
  EXPECT_EQ(r.size(), 2u);
  ledger.commit(*h);
  store.reset();
  std::filesystem::remove_all(dir);
}

class OutboxStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ =
        (std::filesystem::temp_directory_path() / ("pp-outbox-" + std::to_string(rd()))).string();
    open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open(storage::StoreOptions o = {}) {
    store_.reset();
    std::string err;
    store_ = storage::Store::open(dir_, o, err);
    ASSERT_TRUE(store_) << err;
    store_->set_outbox_listener([this](uint64_t d, int64_t due) {
      std::lock_guard lk(mu_);
      heard_.emplace_back(d, due);
    });
  }
  OutboxDelivery delivery(int64_t created, int64_t hook, int64_t due) {
    OutboxDelivery d = sample_delivery();
    d.id = delivery_id(created, ids_.next_u64(), ids_.next_u64());
    d.created_ms = created;
    d.source_id = hook;
    d.destination = destination_key(DeliverySource::kWebhook, hook);
    d.next_attempt_ms = due;
    d.attempts.clear();
    d.attempt_count = 0;
    return d;
  }
  std::vector<std::pair<int64_t, std::string>> due_of(int64_t hook) {
    std::vector<std::pair<int64_t, std::string>> out;
    EXPECT_TRUE(store_
                    ->scan_due(destination_key(DeliverySource::kWebhook, hook),
                               [&](int64_t due, std::string_view id) {
                                 out.emplace_back(due, std::string(id));
                                 return true;
                               })
                    .ok());
    return out;
  }
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  IdGenerator ids_{11};
  std::mutex mu_;
  std::vector<std::pair<uint64_t, int64_t>> heard_;
};

TEST_F(OutboxStore, DeliveriesAreWrittenWithTheLeadAndScheduledByDestination) {
  Lead lead;
  lead.id = "P7QGVigaZqkseY0n930Q";
  lead.campaign_id = 7;
  lead.created_ms = 1'795'000'000'000;
  storage::LeadExtras extras;
  const OutboxDelivery a = delivery(1000, 1, 5000), b = delivery(2000, 1, 3000),
                       c = delivery(3000, 2, 4000);
  for (const auto& d : {a, b, c}) extras.outbox.push_back(storage::outbox_put(d));
  std::promise<storage::Status> done;
  store_->save_lead(lead, DebugLog{}, std::move(extras),
                    [&](storage::Status s) { done.set_value(s); });
  ASSERT_TRUE(done.get_future().get().ok());
  {
    std::lock_guard lk(mu_);
    EXPECT_EQ(heard_.size(), 3u) << "the sender hears of each delivery once it is durable";
  }
  // Earliest first, per destination.
  auto one = due_of(1);
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0], std::make_pair(int64_t(3000), b.id));
  EXPECT_EQ(one[1], std::make_pair(int64_t(5000), a.id));
  std::map<uint64_t, int64_t> dests;
  ASSERT_TRUE(store_->scan_destinations([&](uint64_t d, int64_t due) { dests[d] = due; }).ok());
  EXPECT_EQ(dests.size(), 2u);
  EXPECT_EQ(dests[destination_key(DeliverySource::kWebhook, 1)], 3000);
  EXPECT_EQ(dests[destination_key(DeliverySource::kWebhook, 2)], 4000);

  // An attempt moves b's schedule entry; delivering it removes it.
  OutboxDelivery bb = *store_->read_delivery(b.id).value;
  bb.add_attempt({3000, 500, "", 10, "no"});
  bb.next_attempt_ms = 9000;
  ASSERT_TRUE(store_->update_delivery(bb, 3000).ok());
  one = due_of(1);
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0].second, a.id);
  EXPECT_EQ(one[1], std::make_pair(int64_t(9000), b.id));
  bb.status = DeliveryStatus::kDelivered;
  ASSERT_TRUE(store_->update_delivery(bb, 9000).ok());
  EXPECT_EQ(due_of(1).size(), 1u);

  // All of it survives a restart.
  open();
  EXPECT_EQ(due_of(1).size(), 1u);
  EXPECT_EQ(due_of(2).size(), 1u);
  auto back = store_->read_delivery(b.id);
  ASSERT_TRUE(back.found());
  EXPECT_EQ(back.value->status, DeliveryStatus::kDelivered);
  EXPECT_EQ(back.value->attempt_count, 1u);
  EXPECT_FALSE(store_->read_delivery("msg_" + std::string(26, 'z')).found());
}

TEST_F(OutboxStore, ConfigChangesAndQueuedEventsCarryDeliveriesToo) {
  const OutboxDelivery a = delivery(1000, 5, 1000);
  ASSERT_TRUE(store_->put_config(1, "{}", "{}", {storage::outbox_put(a)}).ok());
  EXPECT_EQ(due_of(5).size(), 1u);
  store_->add_deliveries({storage::outbox_put(delivery(1001, 5, 1001))});
  ASSERT_TRUE(store_->put_deliveries({storage::outbox_put(delivery(1002, 5, 1002))}).ok());
  store_->close();  // completes the queued write
  open();
  EXPECT_EQ(due_of(5).size(), 3u);
}

TEST_F(OutboxStore, PagesNewestFirstByCursor) {
  std::vector<std::string> made;
  std::vector<storage::OutboxPut> puts;
  for (int i = 0; i < 25; ++i) {
    OutboxDelivery d = delivery(1000 + i, 1, 1000 + i);
    made.push_back(d.id);
    puts.push_back(storage::outbox_put(d));
  }
  ASSERT_TRUE(store_->put_deliveries(puts).ok());
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    size_t n = 0;
    std::string last;
    ASSERT_TRUE(store_
                    ->scan_deliveries(cursor,
                                      [&](const OutboxDelivery& d) {
                                        if (n == 10) return false;
                                        seen.push_back(d.id);
                                        last = d.id;
                                        ++n;
                                        return true;
                                      })
                    .ok());
    if (n < 10) break;
    cursor = last;
  }
  std::reverse(made.begin(), made.end());
  EXPECT_EQ(seen, made);
}

TEST_F(OutboxStore, RetentionDropsFinishedDeliveriesButNeverWaitingOnes) {
  storage::StoreOptions o;
  o.outbox_retention_days = 1;
  open(o);
  const int64_t old = SystemClock::instance().now_ms() - 3 * 86'400'000LL;
  OutboxDelivery done = delivery(old, 1, old), waiting = delivery(old, 1, old),
                 fresh = delivery(SystemClock::instance().now_ms(), 1, 0);
  done.status = DeliveryStatus::kDelivered;
  fresh.status = DeliveryStatus::kFailed;
  ASSERT_TRUE(store_
                  ->put_deliveries({storage::outbox_put(done), storage::outbox_put(waiting),
                                    storage::outbox_put(fresh)})
                  .ok());
  store_->compact_all();
  EXPECT_FALSE(store_->read_delivery(done.id).found());
  EXPECT_TRUE(store_->read_delivery(waiting.id).found());
  EXPECT_TRUE(store_->read_delivery(fresh.id).found());
}

}  // namespace
}  // namespace pp

namespace pp {
namespace {

UnixMs utc(int y, unsigned mo, unsigned d, unsigned h, unsigned mi) {
  UnixMs out = 0;
  EXPECT_TRUE(local_to_utc(TimeZone::utc(), y, mo, d, h, mi, 0, out));
  return out;
}

TEST(TriggerDue, NextBusinessDayAndWindowsAcrossDaylightSavingTime) {
  TimeZone ny;
  ASSERT_TRUE(TimeZone::lookup("America/New_York", ny));
  TriggerTiming next;
  next.mode = TriggerTiming::Mode::kNextBusinessDay;
  // Friday 2026-03-06 18:00 EST (23:00 UTC): Monday 2026-03-09 09:00, which is EDT by then
  // (13:00 UTC, not 14:00: clocks went forward on Sunday the 8th).
  EXPECT_EQ(trigger_due(next, ny, utc(2026, 3, 6, 23, 0)), utc(2026, 3, 9, 13, 0));
  // The week before the change: 09:00 EST is 14:00 UTC.
  EXPECT_EQ(trigger_due(next, ny, utc(2026, 2, 27, 23, 0)), utc(2026, 3, 2, 14, 0));
  // Autumn: Friday 2026-10-30 18:00 EDT (22:00 UTC) -> Monday 2026-11-02 09:00 EST (14:00 UTC).
  EXPECT_EQ(trigger_due(next, ny, utc(2026, 10, 30, 22, 0)), utc(2026, 11, 2, 14, 0));
  // Monday 08:00 local: the next business day is Tuesday, not today.
  EXPECT_EQ(trigger_due(next, ny, utc(2026, 11, 2, 13, 0)), utc(2026, 11, 3, 14, 0));
  // A blocked date is skipped (Thanksgiving 2026-11-26 -> Friday the 27th).
  next.blocked_dates = {"2026-11-26"};
  EXPECT_EQ(trigger_due(next, ny, utc(2026, 11, 25, 20, 0)), utc(2026, 11, 27, 14, 0));

  TriggerTiming window;
  window.mode = TriggerTiming::Mode::kWindow;
  window.open_min = 9 * 60;
  window.close_min = 17 * 60;
  // Inside the window: at once; before it: its opening; after it or on a weekend: the next one.
  EXPECT_EQ(trigger_due(window, ny, utc(2026, 11, 3, 15, 30)), utc(2026, 11, 3, 15, 30));
  EXPECT_EQ(trigger_due(window, ny, utc(2026, 11, 3, 12, 0)), utc(2026, 11, 3, 14, 0));
  EXPECT_EQ(trigger_due(window, ny, utc(2026, 11, 3, 22, 0)), utc(2026, 11, 4, 14, 0));
  EXPECT_EQ(trigger_due(window, ny, utc(2026, 3, 7, 15, 0)), utc(2026, 3, 9, 13, 0));
  // A delay within a window: now + delay, pushed to the next opening when it falls outside.
  window.delay_ms = 30 * 60'000;
  EXPECT_EQ(trigger_due(window, ny, utc(2026, 11, 3, 15, 0)), utc(2026, 11, 3, 15, 30));
  EXPECT_EQ(trigger_due(window, ny, utc(2026, 11, 3, 21, 45)), utc(2026, 11, 4, 14, 0));
  // An opening that does not exist that day (02:30 on the spring-forward Sunday) is the change.
  TriggerTiming night;
  night.mode = TriggerTiming::Mode::kNextBusinessDay;
  night.days = 0x7F;
  night.open_min = 2 * 60 + 30;
  night.close_min = 3 * 60 + 30;
  EXPECT_EQ(trigger_due(night, ny, utc(2026, 3, 7, 12, 0)), utc(2026, 3, 8, 7, 0));

  TriggerTiming delay;
  delay.mode = TriggerTiming::Mode::kDelay;
  delay.delay_ms = 90 * 60'000;
  EXPECT_EQ(trigger_due(delay, ny, 1000), 1000 + 90 * 60'000);
  EXPECT_EQ(trigger_due(TriggerTiming{}, ny, 1000), 1000);
}

TEST(TriggersConfig, EveryProblemWithItsPath) {
  json::object doc = base_doc();
  doc["email"] = json::parse(R"({"smtp_host": "", "tls": "ssl", "username": "u", "from": "x"})");
  json::object& c = doc["campaigns"].as_array()[0].as_object();
  c["triggers"] = json::parse(R"([
    {"id": 1, "events": ["buyer.paused"], "actions": [],
     "timing": {"mode": "someday", "open": "9am", "close": "08:00", "days": ["funday"],
                "blocked_dates": ["tomorrow"]}},
    {"id": 1, "when": {"field": "lp_status", "op": "sounds_like", "value": "x"},
     "timing": {"mode": "delay"},
     "actions": [{"type": "http", "request": {"url": "http://169.254.169.254/latest"}},
                 {"type": "campaign", "campaign_id": 7, "supplier_id": 3},
                 {"type": "email", "to": ["nobody"], "subject": "{{lp_lead_id"},
                 {"type": "webhook", "webhook_id": 5},
                 {"type": "fax"}]}])");
  c["suppliers"].as_array()[0].as_object()["postbacks"] =
      json::parse(R"([{"on": "click", "request": {"url": "ftp://tracker"}}])");
  auto r = load_config_document(doc);
  ASSERT_FALSE(r.config);
  std::string all;
  for (const auto& e : r.errors) all += e + "\n";
  for (const char* want :
       {"$.email.tls: must be starttls, tls or none",
        "$.email.password_env: is required",
        "$.email.from: must be an email address",
        "$.campaigns[0].triggers[0].events[0]: must be lead.accepted",
        "$.campaigns[0].triggers[0].actions: must hold at least one action",
        "$.campaigns[0].triggers[0].timing.mode: must be immediate",
        "$.campaigns[0].triggers[0].timing.open: must be a local time",
        "$.campaigns[0].triggers[0].timing.days[0]: must be a weekday",
        "$.campaigns[0].triggers[0].timing.blocked_dates[0]: must be a date",
        "$.campaigns[0].triggers[1].id: duplicate trigger id 1",
        "$.campaigns[0].triggers[1].when.op: unknown operator",
        "$.campaigns[0].triggers[1].timing.delay_minutes: is required for a delay",
        "$.campaigns[0].triggers[1].actions[0].request.url: ",
        "$.campaigns[0].triggers[1].actions[1].campaign_id: must be another campaign",
        "$.campaigns[0].triggers[1].actions[2].to[0]: must be an email address",
        "$.campaigns[0].triggers[1].actions[2].body: is required",
        "$.campaigns[0].triggers[1].actions[3].webhook_id: must be a webhook",
        "$.campaigns[0].triggers[1].actions[4].type: must be http, campaign, email or webhook",
        "$.campaigns[0].suppliers[0].postbacks[0].on: must be sale or return",
        "$.campaigns[0].suppliers[0].postbacks[0].request.url: must start with http"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
}

}  // namespace
}  // namespace pp

namespace pp {
namespace {

TEST(AlertsConfig, EveryProblemWithItsPath) {
  json::object doc = base_doc();
  doc["alerts"] = json::parse(R"([
    {"id": 1, "metric": "error_rate", "campaign_id": 7, "supplier_id": 3, "threshold": 5},
    {"id": 1, "metric": "buyer_p99_ms", "campaign_id": 7, "threshold": "high"},
    {"id": 2, "metric": "temperature", "campaign_id": 99, "window_minutes": 61, "op": "=",
     "min_sample": 0, "cooldown_minutes": -1, "email": ["nobody"], "threshold": -1}])");
  auto r = load_config_document(doc);
  ASSERT_FALSE(r.config);
  std::string all;
  for (const auto& e : r.errors) all += e + "\n";
  for (const char* want :
       {"$.alerts[0]: needs exactly one of campaign_id, supplier_id, buyer_id",
        "$.alerts[1].id: duplicate alert id 1", "$.alerts[1].metric: buyer_p99_ms needs a buyer_id",
        "$.alerts[1].threshold: is required (a number)", "$.alerts[2].metric: must be error_rate",
        "$.alerts[2].campaign_id: unknown campaign 99",
        "$.alerts[2].window_minutes: must be between 1 and 60", "$.alerts[2].op: must be > or <",
        "$.alerts[2].min_sample: must be between 1",
        "$.alerts[2].cooldown_minutes: must be between",
        "$.alerts[2].email[0]: must be an email address",
        "$.alerts[2].threshold: must not be negative"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
}

// The monitor's windows slide by the minute: what is older than the rule's window is not read.
TEST(AlertMonitor, WindowsSlideAndSamplesGateTheReading) {
  json::object doc = base_doc();
  doc["alerts"] = json::parse(R"([
    {"id": 1, "metric": "error_rate", "campaign_id": 7, "threshold": 50, "min_sample": 3,
     "window_minutes": 5},
    {"id": 2, "metric": "no_leads_minutes", "supplier_id": 3, "threshold": 10}])");
  auto r = load_config_document(doc);
  ASSERT_TRUE(r.config) << r.errors[0];
  const AlertRule& rate = r.config->alerts[0];
  const AlertRule& quiet = r.config->alerts[1];
  EXPECT_EQ(rate.campaign_id, 7);
  EXPECT_EQ(quiet.campaign_id, 7);
  engine::AlertMonitor m;
  const UnixMs t0 = 1'795'000'020'000;  // 20 s into a minute
  m.started(t0);
  Lead bad, good;
  bad.campaign_id = good.campaign_id = 7;
  bad.supplier_id = good.supplier_id = 3;
  bad.status = LeadStatus::kError;
  good.status = LeadStatus::kAccepted;
  m.observe(*r.config, bad, DebugLog{}, t0);
  m.observe(*r.config, bad, DebugLog{}, t0 + 60'000);
  auto a = m.read(rate, t0 + 60'000);
  EXPECT_FALSE(a.evaluable) << "two leads, a sample of three is needed";
  m.observe(*r.config, good, DebugLog{}, t0 + 120'000);
  a = m.read(rate, t0 + 120'000);
  EXPECT_TRUE(a.evaluable);
  EXPECT_EQ(a.sample, 3u);
  EXPECT_NEAR(a.value, 66.67, 0.01);
  // Five minutes after the first lead's minute, it has left the window.
  a = m.read(rate, t0 + 5 * 60'000);
  EXPECT_EQ(a.sample, 2u);
  EXPECT_EQ(a.value, 50);
  a = m.read(rate, t0 + 7 * 60'000);
  EXPECT_EQ(a.sample, 0u);
  // Minutes without a lead, from the supplier's last one.
  auto q = m.read(quiet, t0 + 12 * 60'000);
  EXPECT_TRUE(q.evaluable);
  EXPECT_EQ(q.value, 10);
  // A bucket reused an hour later starts empty.
  m.observe(*r.config, good, DebugLog{}, t0 + 60 * 60'000);
  a = m.read(rate, t0 + 60 * 60'000);
  EXPECT_EQ(a.sample, 1u);
  EXPECT_EQ(a.value, 0);
}

}  // namespace
}  // namespace pp
