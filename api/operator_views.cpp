// Views the console needs beyond the configuration and read APIs (issue 15):
// GET /admin/whoami — the caller's token (name, role, campaigns, expiry) and the account;
// GET /admin/buyers/health — every visible buyer's circuit, call latency and outcomes.
#include <map>

#include "api/router.h"
#include "core/json_writer.h"

namespace pp::api {

Response Router::admin_whoami(const ApiTokenConfig& token) {
  auto snap = engine_.snapshot();
  const Config& cfg = snap->config();
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.kv("name", token.name);
  w.kv("role", to_string(token.role));
  w.key("campaigns").begin_array();
  for (CampaignId c : token.campaigns) w.value(int64_t(c));
  w.end_array();
  w.key("expires_at");
  if (token.expires_ms)
    w.value(format_utc(*token.expires_ms));
  else
    w.null();
  w.kv("may_change", token.may_change());
  w.kv("config_version", int64_t(snap->version()));
  w.key("account").begin_object();
  w.kv("name", cfg.account.name);
  w.kv("timezone", cfg.account.tz.name());
  w.kv("currency", cfg.account.currency);
  w.end_object();
  w.end_object();
  return json_response(200, std::move(out));
}

namespace {

std::string_view circuit_name(engine::BuyerHealth::State s) {
  switch (s) {
    case engine::BuyerHealth::State::kClosed:
      return "closed";
    case engine::BuyerHealth::State::kOpen:
      return "open";
    case engine::BuyerHealth::State::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

void call_summary(JsonWriter& w, std::string_view key,
                  const engine::EngineMetrics::CallSummary& c) {
  w.key(key).begin_object();
  w.kv("count", int64_t(c.count));
  w.key("p50_ms").fixed(double(c.p50_us) / 1000.0, 3);
  w.key("p95_ms").fixed(double(c.p95_us) / 1000.0, 3);
  w.end_object();
}

}  // namespace

Response Router::admin_buyer_health(const ApiTokenConfig& token) {
  auto snap = engine_.snapshot();
  const Config& cfg = snap->config();
  std::map<BuyerId, engine::BuyerHealth::Snapshot> circuits;
  for (const auto& h : engine_.buyer_health()) circuits.emplace(h.buyer, h);
  std::map<std::pair<CampaignId, BuyerId>, engine::EngineMetrics::BuyerSummary> figures;
  for (auto& s : engine_.metrics().buyer_summaries())
    figures.emplace(std::pair{s.campaign, s.buyer}, std::move(s));
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("buyers").begin_array();
  for (const auto& c : cfg.campaigns) {
    if (c.archived || !token.sees(c.id)) continue;
    for (const auto& b : c.buyers) {
      if (b.archived) continue;
      w.begin_object();
      w.kv("campaign_id", int64_t(c.id));
      w.kv("campaign_name", c.name);
      w.kv("id", int64_t(b.id));
      // (The loader gives a buyer without a name its client's company.)
      w.kv("name", b.nickname ? *b.nickname : b.name);
      w.kv("paused", b.paused);
      auto ci = circuits.find(b.id);
      w.kv("circuit", ci == circuits.end() ? "closed" : circuit_name(ci->second.state));
      w.kv("consecutive_failures",
           int64_t(ci == circuits.end() ? 0 : ci->second.consecutive_failures));
      w.kv("circuit_opened_total", int64_t(ci == circuits.end() ? 0 : ci->second.opened_total));
      auto fi = figures.find({c.id, b.id});
      const engine::EngineMetrics::BuyerSummary empty;
      const auto& f = fi == figures.end() ? empty : fi->second;
      call_summary(w, "ping", f.ping);
      call_summary(w, "post", f.post);
      w.key("outcomes").begin_object();
      for (const auto& [kind, n] : f.outcomes) w.kv(kind, int64_t(n));
      w.end_object();
      w.end_object();
    }
  }
  w.end_array().end_object();
  return json_response(200, std::move(out));
}

}  // namespace pp::api
