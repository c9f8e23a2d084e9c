#include "engine/outbox_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <mutex>
#include <unordered_set>

#include "core/config.h"
#include "core/hash.h"
#include "core/ids.h"
#include "core/text.h"
#include "engine/events.h"
#include "engine/health.h"
#include "mail/smtp.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {
constexpr std::string_view kSigningKeyState = "outbox/signing_key";
constexpr int64_t kNever = INT64_MAX;
// The loop looks again at least this often (a breaker's open time ending; a missed wake-up).
constexpr int64_t kMaxSleepMs = 1000;
// Answers are read up to this size (the excerpt kept is smaller): a receiver answering 2xx with a
// large page still delivers.
constexpr size_t kMaxAnswerBytes = 1 << 20;
}  // namespace

struct OutboxSender::Impl {
  Impl(storage::Store& s, const Clock& c, Options o) : store(s), clock(c), opts(std::move(o)) {}

  storage::Store& store;
  const Clock& clock;
  Options opts;

  struct Destination {
    int64_t next_due = 0;  // earliest due time of a waiting delivery not in flight (kNever: none)
    std::unordered_set<std::string> in_flight;
    // Where the next scan of the schedule starts: nothing waits before it but deliveries in
    // flight (the head of a schedule is deleted entries until compaction: not stepped over again).
    int64_t resume_due = 0;
    std::string resume_id;
    // A delivery (new, rescheduled, replayed) due at `due`: the next scan starts no later.
    void waiting_at(int64_t due) {
      next_due = next_due == 0 ? due : std::min(next_due, due);
      if (due <= resume_due) {
        resume_due = due;
        resume_id.clear();
      }
    }
  };
  std::map<uint64_t, Destination> dests;  // the sender's thread only
  std::unique_ptr<BuyerHealth> health;    // circuit breakers per destination (keys as int64)
  uint32_t breaker_failures = 0;
  bool running = false;  // the sender's thread only
  // Set once the thread has ended: attempts cut short by stop() are destroyed with the
  // io_context afterwards, and must then touch nothing but counters.
  bool stopped = false;
  std::atomic<bool> started{false};
  std::atomic<uint64_t> attempts{0}, delivered{0}, retried{0}, failed{0}, cancelled{0},
      in_flight_total{0}, destinations{0};
  Histogram latency;
  std::unique_ptr<asio::steady_timer> wake;

  // Destroyed in this order: the thread (joined), the client, then the io_context with whatever
  // coroutines stop() cut short — the members above outlive them.
  asio::io_context ioc{1};
  std::unique_ptr<buyers::Transport> transport;
  std::thread thread;

  void wake_up() {
    if (wake) wake->cancel();
  }

  asio::awaitable<void> run() {
    // Every destination with deliveries waiting (after a restart: all of them).
    storage::Status st =
        store.scan_destinations([&](uint64_t dest, int64_t due) { dests[dest].waiting_at(due); });
    if (!st.ok()) spdlog::error("outbox: cannot read the schedule: {}", st.message);
    while (running) {
      const int64_t next = pass();
      destinations.store(dests.size(), std::memory_order_relaxed);
      const int64_t now = clock.now_ms();
      const int64_t sleep_ms = std::clamp<int64_t>(next - now, 0, kMaxSleepMs);
      if (sleep_ms == 0 && next <= now) continue;  // more is due already (a scan stopped short)
      wake->expires_after(std::chrono::milliseconds(sleep_ms));
      boost::system::error_code ec;
      co_await wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Starts what is due; returns when to look again.
  int64_t pass() {
    const SnapshotPtr snap = opts.snapshot();
    const Config& cfg = snap->config();
    breaker_failures = cfg.outbox.breaker_failures;
    const int64_t now = clock.now_ms();
    int64_t next = now + kMaxSleepMs;
    for (auto it = dests.begin(); it != dests.end();) {
      const uint64_t key = it->first;
      Destination& d = it->second;
      if (d.next_due == kNever && d.in_flight.empty()) {
        it = dests.erase(it);
        continue;
      }
      ++it;
      if (d.next_due > now) {
        next = std::min(next, d.next_due);
        continue;
      }
      const uint32_t limit = in_flight_limit(cfg, key);
      if (d.in_flight.size() >= limit) continue;  // a completion wakes the loop
      int64_t first_waiting = kNever;
      bool more_due = false;
      int64_t stop_due = d.resume_due;  // where this scan stopped: the next one starts there
      std::string stop_id = d.resume_id;
      storage::Status st =
          store.scan_due(key, d.resume_due, d.resume_id, [&](int64_t due, std::string_view id) {
            stop_due = due;
            stop_id.assign(id);
            if (due > now) {
              first_waiting = due;
              return false;
            }
            if (d.in_flight.count(stop_id)) return true;
            if (d.in_flight.size() >= limit) {
              more_due = true;
              return false;
            }
            if (breaker_failures > 0) {
              const auto gate = health->admit(int64_t(key), now);
              if (gate == BuyerHealth::Gate::kOpen) {
                more_due = true;
                return false;
              }
            }
            std::string sid(id);
            d.in_flight.insert(sid);
            in_flight_total.fetch_add(1, std::memory_order_relaxed);
            asio::co_spawn(ioc, attempt(key, std::move(sid), due), asio::detached);
            return true;
          });
      if (!st.ok()) {
        spdlog::error("outbox: cannot read a destination's schedule: {}", st.message);
        d.next_due = now + kMaxSleepMs;
        continue;
      }
      d.resume_due = stop_due;
      d.resume_id = std::move(stop_id);
      // What stays due waits for a completion or the breaker; otherwise the next due time.
      d.next_due = more_due ? now + kMaxSleepMs : first_waiting;
      next = std::min(next, d.next_due);
    }
    return next;
  }

  uint32_t in_flight_limit(const Config& cfg, uint64_t key) const {
    uint32_t limit = cfg.outbox.max_in_flight_per_destination;
    if (const int64_t id = webhook_of_destination(key))
      if (const WebhookConfig* w = cfg.find_webhook(id); w && w->max_in_flight > 0)
        limit = w->max_in_flight;
    return std::max<uint32_t>(limit, 1);
  }

  // Storage failed under an attempt (its delivery unreadable, or its outcome not written): the
  // destination is looked at again only after a pause, not at once (no tight loop re-sending).
  bool storage_failed = false;

  // Writes a delivery's outcome: finished (delivered, failed, cancelled) or rescheduled, durably
  // enough (in the WAL).
  void write(const OutboxDelivery& d, int64_t old_due) {
    storage::Status st = store.update_delivery(d, old_due);
    if (!st.ok()) {
      storage_failed = true;
      spdlog::error("outbox: delivery {} not updated: {} (it will be sent again)", d.id,
                    st.message);
    }
  }

  // Ends a delivery, counted by how it ended (the metrics).
  void finish(OutboxDelivery& d, DeliveryStatus status, std::string reason, int64_t now) {
    d.status = status;
    d.reason = std::move(reason);
    d.finished_ms = now;
    std::atomic<uint64_t>& counter = status == DeliveryStatus::kDelivered ? delivered
                                     : status == DeliveryStatus::kFailed  ? failed
                                                                          : cancelled;
    counter.fetch_add(1, std::memory_order_relaxed);
  }
  void give_up(OutboxDelivery& d, int64_t now) {
    finish(d, DeliveryStatus::kFailed,
           "gave up after " + std::to_string(d.attempt_count) + " attempts (max age)", now);
  }

  // What one attempt came to, whatever carried it.
  struct Outcome {
    bool success = false;
    bool gone = false;       // 410: disable the endpoint
    bool permanent = false;  // retrying cannot help (a 5xx from a mail relay, a removed campaign)
    int status = 0;          // HTTP status or SMTP reply code; 0: none
    std::string error;
    std::string excerpt;
    int64_t latency_us = 0;
  };

  static bool trigger_enabled(const Config& cfg, int64_t id) {
    for (const CampaignConfig& c : cfg.campaigns)
      for (const TriggerConfig& t : c.triggers)
        if (t.id == id) return t.enabled;
    return false;
  }

  // A webhook (signed, Standard Webhooks) or a trigger's or supplier's postback.
  asio::awaitable<Outcome> send_http(const OutboxDelivery& d, const Config& cfg,
                                     const WebhookConfig* hook, int64_t now) {
    buyers::OutboundRequest req;
    req.method = d.method;
    req.url = hook ? hook->url : d.url;
    req.headers = d.headers;
    const bool has_agent = std::any_of(req.headers.begin(), req.headers.end(), [](const auto& h) {
      return iequals(h.first, "User-Agent");
    });
    if (!has_agent) req.headers.emplace_back("User-Agent", opts.user_agent);
    req.body = d.body;
    const int64_t timestamp_s = now / 1000;
    if (hook) {
      std::string sigs;
      for (const WebhookSecret& s : hook->secrets) {
        if (s.expires_ms != 0 && s.expires_ms < now) continue;
        const std::string secret = webhook_secret(opts.signing_key, hook->id, s.version);
        if (auto k = webhook_secret_key(secret)) {
          if (!sigs.empty()) sigs += ' ';
          sigs += webhook_signature(*k, d.id, timestamp_s, d.body);
        }
      }
      req.headers.emplace_back("webhook-id", d.id);
      req.headers.emplace_back("webhook-timestamp", std::to_string(timestamp_s));
      req.headers.emplace_back("webhook-signature", sigs);
    }
    const uint32_t timeout_ms =
        hook && hook->timeout_ms ? hook->timeout_ms : cfg.outbox.attempt_timeout_ms;
    req.timeout = std::chrono::milliseconds(timeout_ms);
    req.connect_timeout = std::chrono::milliseconds(std::min<uint32_t>(timeout_ms, 5000));
    req.deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
    req.max_response_bytes = kMaxAnswerBytes;
    buyers::HttpResult res = co_await transport->send(std::move(req));
    Outcome o;
    o.status = res.ok() ? res.status : 0;
    o.error = res.ok() ? std::string() : std::string(buyers::to_string(res.error));
    o.latency_us = res.elapsed_us;
    o.excerpt = std::move(res.body);
    o.success = res.ok() && res.status >= 200 && res.status < 300;
    o.gone = res.ok() && res.status == 410;
    co_return o;
  }

  // A trigger's email, through the configured relay.
  asio::awaitable<Outcome> send_email(const OutboxDelivery& d, const Config& cfg) {
    Outcome o;
    const EmailConfig& e = cfg.email;
    if (e.smtp_host.empty()) {
      o.error = "no mail relay configured ($.email)";
      co_return o;  // retried: the operator may configure one
    }
    mail::SmtpSettings s;
    s.host = e.smtp_host;
    s.port = e.smtp_port;
    s.tls = e.tls == "tls"    ? mail::SmtpSettings::Tls::kImplicit
            : e.tls == "none" ? mail::SmtpSettings::Tls::kNone
                              : mail::SmtpSettings::Tls::kStartTls;
    s.username = e.username;
    if (!e.password_env.empty())
      if (const char* pw = std::getenv(e.password_env.c_str())) s.password = pw;
    s.from = e.from;
    s.timeout = std::chrono::milliseconds(e.timeout_ms);
    s.ca_file = e.ca_file.empty() ? opts.ca_file : e.ca_file;
    mail::Message m;
    for (std::string_view to : split(std::string_view(d.url).substr(7), ","))  // "mailto:"
      m.to.emplace_back(to);
    for (const auto& [k, v] : d.headers)
      if (k == "Subject") m.subject = v;
    m.body = d.body;
    m.message_id = "<" + d.id + "@pingpost>";  // the same on every attempt
    m.date_ms = d.created_ms;
    mail::SendResult r = co_await mail::send(ioc.get_executor(), std::move(s), std::move(m));
    o.success = r.ok;
    o.status = r.code;
    o.permanent = r.permanent;
    o.error = r.ok ? std::string() : r.error;
    o.latency_us = r.elapsed_us;
    co_return o;
  }

  // A trigger's "send to another campaign": the lead enters it as a new lead.
  asio::awaitable<Outcome> send_lead(const OutboxDelivery& d) {
    Outcome o;
    if (!opts.send_lead) {
      o.error = "no engine to send leads to";
      co_return o;
    }
    const auto t0 = SteadyClock::now();
    LeadResend r = co_await opts.send_lead(d, *transport);
    o.latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count();
    o.success = r.stored;
    o.permanent = r.permanent;
    o.error = r.error;
    o.excerpt = r.summary;
    co_return o;
  }

  asio::awaitable<void> attempt(uint64_t key, std::string id, int64_t due) {
    struct Done {
      Impl& self;
      uint64_t key;
      const std::string& id;
      ~Done() {
        self.in_flight_total.fetch_sub(1, std::memory_order_relaxed);
        if (self.stopped) return;
        auto it = self.dests.find(key);
        if (it != self.dests.end()) {
          it->second.in_flight.erase(id);
          // Look at this destination again: now, or after a pause when storage failed.
          it->second.next_due =
              self.storage_failed ? self.clock.now_ms() + kMaxSleepMs : int64_t(0);
        }
        self.storage_failed = false;
        self.wake_up();
      }
    } done{*this, key, id};

    storage::Read<OutboxDelivery> read = store.read_delivery(id);
    if (read.failed()) {
      storage_failed = true;
      spdlog::error("outbox: delivery {} cannot be read: {}", id, read.status.message);
      co_return;
    }
    if (!read.found()) {
      // A schedule entry without its record: remove it.
      OutboxDelivery ghost;
      ghost.id = id;
      ghost.destination = key;
      ghost.status = DeliveryStatus::kCancelled;
      write(ghost, due);
      co_return;
    }
    OutboxDelivery d = std::move(*read.value);
    d.destination = key;
    int64_t now = clock.now_ms();
    if (d.status != DeliveryStatus::kPending) {  // a stale schedule entry
      write(d, due);
      co_return;
    }
    const SnapshotPtr snap = opts.snapshot();
    const Config& cfg = snap->config();
    const WebhookConfig* hook = nullptr;
    if (d.source == DeliverySource::kWebhook) {
      hook = cfg.find_webhook(d.source_id);
      if (hook == nullptr || !hook->enabled) {
        finish(d, DeliveryStatus::kCancelled,
               hook == nullptr ? "webhook removed" : "webhook disabled", now);
        write(d, due);
        co_return;
      }
    }
    if (now > d.give_up_ms) {
      give_up(d, now);
      write(d, due);
      co_return;
    }

    // A trigger removed or disabled since the event: its deliveries are cancelled.
    if (d.source == DeliverySource::kTrigger && !trigger_enabled(cfg, d.source_id)) {
      finish(d, DeliveryStatus::kCancelled, "trigger removed or disabled", now);
      write(d, due);
      co_return;
    }

    attempts.fetch_add(1, std::memory_order_relaxed);
    Outcome o;
    if (d.method == kEmailMethod)
      o = co_await send_email(d, cfg);
    else if (d.method == kLeadMethod)
      o = co_await send_lead(d);
    else
      o = co_await send_http(d, cfg, hook, now);
    latency.observe(o.latency_us);
    now = clock.now_ms();
    DeliveryAttempt a;
    a.at_ms = now;
    a.http_status = o.status;
    a.error = std::move(o.error);
    a.latency_us = o.latency_us;
    a.excerpt = o.excerpt.substr(0, cfg.outbox.response_excerpt_bytes);
    d.add_attempt(std::move(a));

    if (breaker_failures > 0) health->record(int64_t(key), o.success, now);
    if (o.success) {
      finish(d, DeliveryStatus::kDelivered, {}, now);
    } else if (o.gone) {
      finish(d, DeliveryStatus::kCancelled, "410 Gone: the endpoint was disabled", now);
    } else if (o.permanent) {
      finish(d, DeliveryStatus::kFailed, "refused for good: " + d.attempts.back().error, now);
    } else {
      const double unit = double(thread_id_generator().next_u64() >> 11) * 0x1.0p-53;
      const int64_t next = now + retry_delay_ms(cfg.outbox.retry, d.attempt_count, unit);
      if (next > d.give_up_ms) {
        give_up(d, now);
      } else {
        retried.fetch_add(1, std::memory_order_relaxed);
        d.next_attempt_ms = next;
      }
    }
    write(d, due);
    if (d.status == DeliveryStatus::kPending && !stopped) dests[key].waiting_at(d.next_attempt_ms);
    // After the delivery's own outcome is written: whoever sees the webhook disabled sees why.
    if (o.gone && hook && opts.on_gone) opts.on_gone(hook->id, "410 Gone from " + hook->url);
  }
};

OutboxSender::OutboxSender(storage::Store& store, const Clock& clock, Options options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options))) {}

OutboxSender::~OutboxSender() { stop(); }

void OutboxSender::start() {
  if (impl_->started.exchange(true)) return;
  Impl& I = *impl_;
  I.transport = I.opts.transport(I.ioc.get_executor());
  const OutboxConfig& oc = I.opts.snapshot()->config().outbox;
  I.health = std::make_unique<BuyerHealth>(
      BuyerHealth::Options{std::max<uint32_t>(oc.breaker_failures, 1), oc.breaker_open_ms});
  I.wake = std::make_unique<asio::steady_timer>(I.ioc);
  I.running = true;
  asio::co_spawn(I.ioc, I.run(), asio::detached);
  I.thread = std::thread([&I] {
    pthread_setname_np(pthread_self(), "pp-outbox");
    I.ioc.run();
  });
}

void OutboxSender::stop(std::chrono::milliseconds grace) {
  Impl& I = *impl_;
  if (!I.thread.joinable()) return;
  asio::post(I.ioc, [&I] {
    I.running = false;
    I.wake_up();
  });
  const auto until = SteadyClock::now() + grace;
  while (I.in_flight_total.load() > 0 && SteadyClock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  I.ioc.stop();
  I.thread.join();
  I.stopped = true;
  I.wake.reset();
}

void OutboxSender::notify(uint64_t destination, int64_t due_ms) {
  Impl& I = *impl_;
  asio::post(I.ioc, [&I, destination, due_ms] {
    I.dests[destination].waiting_at(due_ms);
    I.wake_up();
  });
}

OutboxSender::ReplayResult OutboxSender::replay(std::string_view id) {
  Impl& I = *impl_;
  storage::Read<OutboxDelivery> read = I.store.read_delivery(id);
  if (read.failed()) return ReplayResult::kFailed;
  if (!read.found()) return ReplayResult::kNotFound;
  OutboxDelivery d = std::move(*read.value);
  const int64_t now = I.clock.now_ms();
  const int64_t old_due = d.status == DeliveryStatus::kPending ? d.next_attempt_ms : -1;
  if (d.status != DeliveryStatus::kPending) {
    const SnapshotPtr snap = I.opts.snapshot();
    d.give_up_ms = now + snap->config().outbox.retry.max_age_ms;
  }
  d.status = DeliveryStatus::kPending;
  d.reason.clear();
  d.finished_ms = 0;
  d.next_attempt_ms = now;
  if (!I.store.update_delivery(d, old_due).ok()) return ReplayResult::kFailed;
  notify(d.destination, now);
  return ReplayResult::kDone;
}

std::string OutboxSender::secret(int64_t webhook_id, uint32_t version) const {
  return webhook_secret(impl_->opts.signing_key, webhook_id, version);
}

OutboxStats OutboxSender::stats() const {
  const Impl& I = *impl_;
  OutboxStats s;
  s.attempts = I.attempts.load();
  s.delivered = I.delivered.load();
  s.retried = I.retried.load();
  s.failed = I.failed.load();
  s.cancelled = I.cancelled.load();
  s.in_flight = I.in_flight_total.load();
  s.destinations = I.destinations.load();
  return s;
}

void OutboxSender::render_metrics(std::string& out) const {
  const OutboxStats s = stats();
  render_metric(out, "pingpost_outbox_attempts_total", "counter",
                "Outbox delivery attempts (webhooks, postbacks)", int64_t(s.attempts));
  render_metric(out, "pingpost_outbox_delivered_total", "counter", "Outbox deliveries answered 2xx",
                int64_t(s.delivered));
  render_metric(out, "pingpost_outbox_retried_total", "counter",
                "Outbox attempts that failed and were rescheduled", int64_t(s.retried));
  render_metric(out, "pingpost_outbox_failed_total", "counter",
                "Outbox deliveries given up (max age)", int64_t(s.failed));
  render_metric(out, "pingpost_outbox_cancelled_total", "counter",
                "Outbox deliveries cancelled (endpoint disabled or removed)", int64_t(s.cancelled));
  render_metric(out, "pingpost_outbox_in_flight", "gauge", "Outbox attempts in flight",
                int64_t(s.in_flight));
  render_metric(out, "pingpost_outbox_destinations", "gauge",
                "Outbox destinations with deliveries waiting or in flight",
                int64_t(s.destinations));
  render_metric_header(out, "pingpost_outbox_attempt_seconds", "histogram",
                       "Outbox attempt latency");
  impl_->latency.render(out, "pingpost_outbox_attempt_seconds", "");
}

std::string OutboxSender::load_signing_key(storage::Store& store, std::string& error) {
  if (auto v = store.get_state(kSigningKeyState)) {
    std::string key;
    if (base64_decode(*v, key) && key.size() == 32) return key;
    error = "the stored webhook signing key is damaged";
    return {};
  }
  const std::string key = random_bytes(32);
  storage::Status st = store.put_state(kSigningKeyState, base64_encode(key));
  if (!st.ok()) {
    error = "cannot store the webhook signing key: " + st.message;
    return {};
  }
  return key;
}

}  // namespace pp::engine
