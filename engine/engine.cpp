// The engine's facade: a supplier request is authenticated, walks its campaign's plan of stages
// (engine/plan.h; the stages live in request_stages.cpp, rule_stages.cpp and
// delivery_stages.cpp), and the lead is stored durably before the supplier hears back. Reads,
// returns and pauses are here too.
#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "core/codes.h"
#include "core/hash.h"
#include "core/text.h"
#include "engine/async_store.h"
#include "engine/day_rows.h"
#include "engine/events.h"
#include "engine/notices.h"
#include "engine/pipeline.h"
#include "engine/settlement.h"
#include "engine/timeline.h"

namespace pp::engine {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

int64_t micros_since(SteadyClock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count();
}

}  // namespace

Engine::Engine(SnapshotPtr snapshot, storage::Store& store, const Clock& clock)
    : snapshot_(std::move(snapshot)),
      st_(store, clock,
          BuyerHealth::Options{snapshot_->config().outbound.breaker_failures,
                               snapshot_->config().outbound.breaker_open_ms}) {
  storage::Status st = ensure_day_rows(store, snapshot_->config(), nullptr, clock.now_ms());
  if (!st.ok())
    spdlog::error("daily statistics rows: the record could not be stored: {}", st.message);
  // Suppression lists (issue 17): a list that cannot be read makes its checks answer error
  // (their on_error decides), never "not on the list".
  st = st_.lists.load();
  if (!st.ok()) spdlog::error("suppression lists could not be loaded: {}", st.message);
}

void Engine::observe(const Lead& lead, const DebugLog& debug, bool pings_observed) {
  st_.metrics.observe_stages(debug.stages);
  st_.metrics.count_lead(lead.campaign_id, lead.supplier_id, lead.status);
  for (size_t i = 0; i < lead.buyers.size(); ++i) {
    const BuyerOutcome& o = lead.buyers[i];
    const BuyerDebug* d = debug_for(&debug, i, o);
    st_.metrics.count_outcome(lead.campaign_id, o.buyer_id, EngineMetrics::outcome_kind(o, d));
    if (d == nullptr) continue;
    // Only answered calls have a latency; the post of a supplier's ping counted its pings then.
    if (d->ping && d->ping->http_status != 0 && !pings_observed)
      st_.metrics.observe_buyer_call(lead.campaign_id, o.buyer_id, true, d->ping->exec_time_us);
    if (d->post && d->post->http_status != 0)
      st_.metrics.observe_buyer_call(lead.campaign_id, o.buyer_id, false, d->post->exec_time_us);
  }
}

Engine::Held Engine::held() {
  return Held{st_.caps.reserved_total(), st_.balances.reserved_total(), st_.dedup.in_flight(),
              st_.requests.in_flight()};
}

std::optional<Engine::DepositResult> Engine::refuse_deposit(const Config& cfg, ClientId client,
                                                            Money amount) {
  const ClientConfig* c = cfg.find_client(client);
  if (c == nullptr) return DepositResult{404, "Client not found", {}, false};
  if (!c->billing.prepaid())
    return DepositResult{409, "The client's billing mode is none: it has no balance", {}, false};
  if (amount.units() <= 0) return DepositResult{400, "amount must be positive", {}, false};
  if (amount < c->billing.minimum_deposit)
    return DepositResult{400,
                         "amount is below the client's minimum deposit (" +
                             c->billing.minimum_deposit.to_string() + ")",
                         {},
                         false};
  return std::nullopt;
}

Engine::DepositResult Engine::deposit(ClientId client, Money amount, Money fee,
                                      std::string_view kind, std::string_view note,
                                      std::string_view once_key) {
  auto snap = snapshot();
  const Config& cfg = snap->config();
  if (auto refused = refuse_deposit(cfg, client, amount)) return *refused;
  const ClientConfig* c = cfg.find_client(client);  // (there, and prepaid: refuse_deposit says)
  DepositResult r;
  const UnixMs now = st_.clock.now_ms();
  r.id = "dep_" + thread_id_generator().lead_id(now);
  BalanceLedger::Deposit d{amount,
                           fee,
                           r.id,
                           std::string(kind),
                           std::string(note.substr(0, 255)),
                           once_key.empty() ? std::string() : "charge/" + std::string(once_key)};
  std::string repeated;
  storage::Status st = st_.balances.deposit(
      client, d, c->billing.minimum_balance, now,
      [&](bool lifts) {
        r.resumed = lifts;
        EventBatch events(cfg, now);
        if (lifts) events.add_client_buyers(EventType::kBuyerResumed, PauseCause::kBalance, client);
        return std::move(events.puts());
      },
      &repeated);
  if (st.ok() && !repeated.empty()) return {200, "Already credited", repeated, false};
  if (!st.ok()) {
    spdlog::error("deposit to client {} not stored: {}", client, st.message);
    return {503, "Could not store the deposit; retry", {}, false};
  }
  spdlog::info("deposit {} to client {}: {}", r.id, client, amount.to_string());
  return r;
}

EngineCounters Engine::counters() const {
  return EngineCounters{st_.received.load(),       st_.accepted.load(),
                        st_.stored.load(),         st_.store_failures.load(),
                        st_.buyer_calls.load(),    st_.in_flight.load(),
                        st_.pings_received.load(), st_.pings_with_bids.load(),
                        st_.prepings.load(),       st_.prepings_accepted.load()};
}

storage::Read<Lead> Engine::lookup_lead(std::string_view id) const {
  if (!is_lead_id(id)) return {};
  return st_.store.read_lead(id);
}

storage::Read<DebugLog> Engine::lookup_debug(std::string_view id) const {
  if (!is_lead_id(id)) return {};
  return st_.store.read_debug(id);
}

asio::awaitable<Engine::ReturnResult> Engine::return_lead(std::string id, std::string reason) {
  if (!is_lead_id(id)) co_return ReturnResult::kNotFound;
  {
    // One return per lead at a time: the read-modify-write below spans a co_await.
    std::lock_guard lk(returning_mu_);
    if (std::find(returning_.begin(), returning_.end(), id) != returning_.end()) {
      co_return ReturnResult::kRefused;
    }
    returning_.push_back(id);
  }
  struct Release {
    Engine& e;
    const std::string& id;
    ~Release() {
      std::lock_guard lk(e.returning_mu_);
      e.returning_.erase(std::find(e.returning_.begin(), e.returning_.end(), id));
    }
  } release{*this, id};

  storage::Read<Lead> read = st_.store.read_lead(id);
  if (read.failed()) co_return ReturnResult::kUnreadable;
  std::optional<Lead>& lead = read.value;
  if (!lead) co_return ReturnResult::kNotFound;
  if (lead->status != LeadStatus::kAccepted) co_return ReturnResult::kNotSold;
  size_t sold = 0;
  BuyerOutcome* buyer = nullptr;
  for (auto& o : lead->buyers) {
    if (o.status == BuyerStatus::kAccepted) {
      ++sold;
      buyer = &o;
    }
  }
  if (lead->returned || sold != 1) co_return ReturnResult::kRefused;
  lead->returned = true;
  lead->return_reason = reason;
  buyer->returned = true;
  buyer->return_reason = std::move(reason);
  // The day rows in the campaign's zone of now (engine/day_rows.h: any other is not read; a
  // campaign that is gone adds to quarter hours only, and its record starts again if it returns).
  const SnapshotPtr snap = snapshot();
  const CampaignConfig* campaign = snap->config().find_campaign(lead->campaign_id);
  const TimeZone* zone = campaign ? &campaign->tz : nullptr;
  // lead.returned (issue 18), in the same write as the return.
  EventBatch events(snap->config(), st_.clock.now_ms());
  events.add_lead(EventType::kLeadReturned, *lead);
  if (campaign) add_lead_actions(events, *snap, *campaign, EventType::kLeadReturned, *lead);
  // A prepaid client gets back exactly what the sale charged (issue 20), in the same write; a
  // credit that lifts its balance above the minimum resumes its buyers.
  std::vector<storage::Posting> postings;
  const ClientId charged = buyer->charged_client;
  const int64_t credit = charged != 0 ? buyer->sell_price.units() : 0;
  if (credit > 0) {
    const UnixMs now = st_.clock.now_ms();
    postings.push_back({BalanceLedger::account(charged), credit, "return", lead->id, now, {}});
    postings.push_back(
        {std::string(BalanceLedger::kRevenue), -credit, "return", lead->id, now, {}});
    const ClientConfig* client = snap->config().find_client(charged);
    const Money minimum = client ? client->billing.minimum_balance : Money();
    if (st_.balances.would_lift(charged, credit, minimum).value_or(false))
      events.add_client_buyers(EventType::kBuyerResumed, PauseCause::kBalance, charged, lead->id);
  }
  storage::Status st = co_await async_update_lead(st_.store, *lead, return_rollups(*lead, zone),
                                                  std::move(events.puts()), std::move(postings),
                                                  asio::use_awaitable);
  if (!st.ok()) co_return ReturnResult::kFailed;
  if (credit > 0) st_.balances.credited(charged, credit);
  spdlog::info("lead {} returned by buyer {}", lead->id, buyer->buyer_id);
  co_return ReturnResult::kDone;
}

int64_t Engine::cap_used(CapOwner owner, int64_t id, bool budget, const CapRule& rule,
                         const TimeZone& tz) {
  return st_.caps.used(owner, id, budget, rule, tz, st_.clock.now_ms());
}

// The authenticate stage: by the current configuration, always.
std::optional<IntakeResult> Engine::authenticate(LeadRun& run) {
  const FieldList& params = run.req.params;
  const std::string* cid_s = find_field(params, "lp_campaign_id");
  const std::string* sid_s = find_field(params, "lp_supplier_id");
  const std::string* key = find_field(params, "lp_key");
  for (auto [p, name] : {std::pair{cid_s, "lp_campaign_id"}, std::pair{sid_s, "lp_supplier_id"},
                         std::pair{key, "lp_key"}}) {
    if (run.req.internal && p == key) continue;  // the engine's own lead: no key
    if (p == nullptr || trim(*p).empty()) {
      return unstored(Code::kMissingField, std::string("Missing required parameter ") + name);
    }
  }
  auto cid = parse_int(*cid_s);
  auto sid = parse_int(*sid_s);
  const CampaignConfig* campaign = cid ? run.current->config().find_campaign(*cid) : nullptr;
  if (campaign == nullptr || campaign->archived)
    return unstored(Code::kBadCredentials, "Invalid lp_campaign_id");
  const SupplierConfig* supplier = sid ? campaign->find_supplier(*sid) : nullptr;
  if (supplier && supplier->archived) supplier = nullptr;  // deleted: kept for reports only
  // Hash and compare even when the supplier is unknown, so timing does not tell which part failed.
  const std::string presented = key ? sha256_hex(trim(*key)) : std::string();
  const std::string& expected = supplier ? supplier->key_sha256 : presented;
  bool key_ok = run.req.internal || constant_time_equals(presented, expected);
  if (supplier == nullptr || !key_ok) {
    return unstored(Code::kBadCredentials,
                    "Invalid credentials: check lp_campaign_id, lp_supplier_id and lp_key");
  }
  const std::string which = "Campaign " + std::to_string(campaign->id) + " is a ";
  if (run.mode == LeadMode::kPost && campaign->type == CampaignType::kDirectPost)
    return unstored(Code::kWrongEndpoint, which + "direct_post campaign: use /direct_post");
  if (run.mode == LeadMode::kDirect && campaign->type == CampaignType::kOneToOne) {
    return unstored(Code::kWrongEndpoint, which + std::string(to_string(campaign->type)) +
                                              " campaign: use /ping and /post");
  }
  run.campaign = campaign;
  run.supplier = supplier;
  return std::nullopt;
}

asio::awaitable<IntakeResult> Engine::direct_post(IntakeRequest req, buyers::Transport& transport) {
  return deliver(std::move(req), transport, LeadMode::kDirect);
}

asio::awaitable<IntakeResult> Engine::resend(IntakeRequest req, buyers::Transport& transport) {
  req.internal = true;
  return deliver(std::move(req), transport, LeadMode::kDirect);
}

asio::awaitable<LeadResend> Engine::resend_delivery(OutboxDelivery d,
                                                    buyers::Transport& transport) {
  LeadResend out;
  // url "campaign:<campaign>/<supplier>"; body {"linked_lead_id", "tags": [...], "fields": {...}}
  const std::string_view target = std::string_view(d.url).substr(9);
  const size_t slash = target.find('/');
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(d.body, ec);
  if (!d.url.starts_with("campaign:") || slash == std::string_view::npos || ec ||
      !body.is_object()) {
    out.permanent = true;
    out.error = "not a lead delivery";
    co_return out;
  }
  IntakeRequest req;
  req.params.emplace_back("lp_campaign_id", std::string(target.substr(0, slash)));
  req.params.emplace_back("lp_supplier_id", std::string(target.substr(slash + 1)));
  const boost::json::object& o = body.as_object();
  if (const auto* f = o.if_contains("fields"); f && f->is_object())
    for (const auto& [k, v] : f->as_object())
      if (v.is_string()) req.params.emplace_back(std::string(k), std::string(v.as_string()));
  if (const auto* t = o.if_contains("tags"); t && t->is_array())
    for (const auto& v : t->as_array())
      if (v.is_string()) req.tags.emplace_back(v.as_string());
  req.tags.push_back("from:" + d.lead_id);
  // The request guard remembers the answer by delivery: a delivery sent twice (a crash before its
  // outcome was written) within the guard's window gets the first lead's answer.
  req.body_hash = sha256_hex(d.id);
  IntakeResult r = co_await resend(std::move(req), transport);
  if (!r.lead_id.empty()) {
    out.stored = true;
    out.summary = "lead " + r.lead_id + " " + std::string(to_string(r.status));
    if (r.status != LeadStatus::kAccepted) out.summary += ": " + r.message;
  } else {
    out.error = std::to_string(r.code) + " " + r.message;
    out.permanent =
        r.code == code_int(Code::kBadCredentials) || r.code == code_int(Code::kWrongEndpoint);
  }
  co_return out;
}

asio::awaitable<IntakeResult> Engine::post(IntakeRequest req, buyers::Transport& transport) {
  return deliver(std::move(req), transport, LeadMode::kPost);
}

asio::awaitable<IntakeResult> Engine::deliver(IntakeRequest req, buyers::Transport& transport,
                                              LeadMode mode) {
  st_.received.fetch_add(1, std::memory_order_relaxed);
  InFlight in_flight_guard(st_.in_flight);
  // The lead runs on one configuration: the current one, or its ping's (set by ping_record).
  LeadRun run(st_, req, transport, mode, snapshot(), SteadyClock::now(), st_.clock.now_ms(),
              &st_.stage_fault);
  run.timeline.enter(kStageAuthenticate);
  if (auto refused = authenticate(run)) co_return *refused;
  run.timeline.mark(kStageAuthenticate, StageVerdict::kContinue,
                    "campaign " + std::to_string(run.campaign->id) + ", supplier " +
                        std::to_string(run.supplier->id));
  auto out = co_await run_plan(run.current->plan(run.campaign->id, mode), run);
  if (out && out->verdict == StageVerdict::kRefuse) {
    st_.metrics.count_refusal(run.stages.back().stage);
    co_return std::move(*out->answer);
  }
  if (out) {
    run.lead.status = out->status;
    run.lead.error_code = out->code;
    run.lead.error_message = std::move(out->message);
  }
  co_return co_await store_lead(run);
}

asio::awaitable<IntakeResult> Engine::store_lead(LeadRun& run) {
  Lead& lead = run.lead;
  DebugLog& debug = run.debug;
  lead.exec_time_us = micros_since(run.t0);
  IntakeResult r;
  r.status = lead.status;
  r.lead_id = lead.id;
  r.code = lead.error_code;
  r.message = lead.status == LeadStatus::kAccepted ? "Lead accepted" : lead.error_message;
  r.payout = lead.cost;
  r.redirect_url = lead.redirect_url;
  // A lead that failed a check: its provider and reason, where the campaign shows them.
  if (lead.error_code == code_int(Code::kFailedValidation) && run.campaign &&
      run.campaign->validation_error_details.shows_to(lead.supplier_id)) {
    const ValidationErrorDetails& d = run.campaign->validation_error_details;
    if (d.provider) r.meta_provider = lead.validation_error_provider;
    if (d.description) r.meta_description = lead.validation_error_description;
  }
  // The request guard's claims are answered with the lead: a repeat reads this answer.
  const std::string answer = encode_result(r);
  const UnixMs now = lead.created_ms;
  for (const RequestHold& h : run.request_claims) {
    for (const auto& [rk, window] : run.request_keys) {
      if (rk != h.key()) continue;
      run.extras.requests.push_back(
          {rk, RequestGuard::persisted_value(run.req.body_hash, answer, now + window),
           now + window});
    }
  }
  debug.stages = std::move(run.stages);
  debug.config_version = run.snap->version();
  run.extras.rollups = lead_rollups(lead, debug, run.campaign ? &run.campaign->tz : nullptr);
  static const std::vector<std::string> kNoFields;  // a lead refused before its campaign
  run.extras.index_fields = run.campaign ? &run.campaign->indexed_fields : &kNoFields;
  // A lead sold to a lead_store buyer waits in its pull queue (issue 19, GET /v1/leads).
  if (lead.status == LeadStatus::kAccepted && run.campaign)
    for (const BuyerOutcome& o : lead.buyers)
      if (o.status == BuyerStatus::kAccepted)
        if (const BuyerConfig* b = run.campaign->find_buyer(o.buyer_id);
            b && b->type == DeliveryType::kLeadStore)
          run.extras.pull_buyers.push_back(o.buyer_id);
  // Notifications (issue 18), in the same write as the lead: none for a lead not stored.
  // (A balance that pauses its client's buyers emails the client, webhooks or not.)
  if (const Config& cfg = run.snap->config();
      cfg.webhook_events != 0 || !run.balances_paused.empty() ||
      (run.campaign && has_lead_actions(*run.snap, *run.campaign, lead.supplier_id)))
    add_lead_events(run, cfg, now);

  // Durable before the answer (invariant 1); the claims and holds go back when the run ends,
  // after the keys they guard are stored.
  const auto stored_at = SteadyClock::now();
  storage::Status st =
      co_await async_save_lead(st_.store, lead, debug, std::move(run.extras), asio::use_awaitable);
  st_.metrics.observe_stage(kStageStorage, micros_since(stored_at));
  if (!st.ok()) {
    st_.store_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("lead {} could not be stored: {}", lead.id, st.message);
    co_return unstored(Code::kUnavailable, "Lead could not be stored; retry later");
  }
  // Stored: the sales' cap use is now permanent (before, it was only reserved; a lead that did not
  // store gives it back when its holds go).
  for (auto& h : run.sold_caps) st_.caps.commit(h);
  for (auto& h : run.sold_balances) {
    st_.balances.commit(h);
    // A client that recharges itself is topped up once a sale leaves it low (never waited for).
    if (!low_balance_) continue;
    const ClientConfig* c = run.snap->config().find_client(h.client());
    if (c && c->billing.auto_recharge() &&
        st_.balances.view(h.client()).balance < c->billing.recharge_below.units())
      low_balance_(h.client());
  }
  if (run.supplier_hold) st_.caps.commit(*run.supplier_hold);
  st_.stored.fetch_add(1, std::memory_order_relaxed);
  if (lead.status == LeadStatus::kAccepted) st_.accepted.fetch_add(1, std::memory_order_relaxed);
  observe(lead, debug, /*pings_observed=*/run.mode == LeadMode::kPost);
  st_.alerts.observe(run.snap->config(), lead, debug, now);

  spdlog::info("lead {} campaign={} supplier={} status={} code={} buyers={} test={} ms={:.1f}",
               lead.id, lead.campaign_id, lead.supplier_id, to_string(lead.status), lead.error_code,
               lead.buyers.size(), lead.test, double(lead.exec_time_us) / 1000.0);
  if (!run.async_checks.empty()) {
    asio::co_spawn(
        co_await asio::this_coro::executor,
        run_late_checks(lead, run.snap, run.campaign, std::move(run.async_checks), run.transport),
        asio::detached);
  }
  co_return r;
}

void Engine::add_lead_events(LeadRun& run, const Config& cfg, UnixMs now) {
  EventBatch events(cfg, now);
  const Lead& lead = run.lead;
  events.add_lead(lead_event(lead), lead);
  if (run.campaign) add_lead_actions(events, *run.snap, *run.campaign, lead_event(lead), lead);
  for (const CapLedger::Reached& r : run.caps_reached) {
    const bool buyer = r.owner == CapOwner::kBuyer;
    events.add_cap_reached(lead.campaign_id, buyer ? "buyer" : "supplier", r.id, r.budget, *r.rule,
                           lead.id);
    // A buyer whose cap is full takes no more leads until its period ends.
    if (buyer)
      events.add_buyer(EventType::kBuyerPaused, PauseCause::kCapReached, lead.campaign_id, r.id,
                       lead.id);
  }
  // A prepaid client's balance at or below its minimum: its buyers take no more leads until a
  // deposit (issue 20).
  for (ClientId client : run.balances_paused) {
    events.add_client_buyers(EventType::kBuyerPaused, PauseCause::kBalance, client, lead.id);
    // ... and the client is told by email (the balance_low notice, issue 20).
    const ClientConfig* c = cfg.find_client(client);
    if (c == nullptr || c->email.empty()) continue;
    NoticeContext ctx(now);
    ctx.set("account", cfg.account.name)
        .set("client_id", std::to_string(client))
        .set("client_company", c->company)
        .set("minimum_balance", c->billing.minimum_balance.to_string())
        .set("currency", cfg.account.currency)
        .set("lead_id", lead.id)
        .set("portal_url", portal_base_url(cfg) + "/portal/buyer/balance");
    if (auto d = notice_email(*run.snap, "balance_low", EventType::kBuyerPaused, lead.campaign_id,
                              lead.id, {c->email}, ctx))
      events.add_delivery(std::move(*d), now);
  }
  run.extras.outbox = std::move(events.puts());
}

asio::awaitable<void> Engine::run_late_checks(
    Lead lead, SnapshotPtr snap, const CampaignConfig* campaign,
    std::vector<std::pair<const CompiledCheck*, BuyerId>> checks, buyers::Transport& transport) {
  InFlight in_flight_guard(st_.in_flight);
  CheckEnv env{st_.lists, st_.check_cache, transport, snap->config(), 0};
  const auto deadline =
      SteadyClock::now() + std::chrono::milliseconds(campaign->delivery_deadline_ms);
  std::vector<CheckRecord> records;
  for (const auto& [cc, buyer] : checks) {
    env.now_ms = st_.clock.now_ms();
    CheckRecord rec = co_await run_check(*cc, lead, *campaign, env, deadline, buyer);
    rec.async = true;
    records.push_back(std::move(rec));
  }
  storage::Status st =
      co_await async_save_late_checks(st_.store, lead.id, records, asio::use_awaitable);
  if (!st.ok()) spdlog::error("lead {}: async checks not recorded: {}", lead.id, st.message);
}

}  // namespace pp::engine
