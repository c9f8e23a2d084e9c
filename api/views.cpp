#include "api/views.h"

#include "core/json_writer.h"

namespace pp::api {

namespace {

void client_object(JsonWriter& w, const Config& cfg, ClientId id) {
  const ClientConfig* c = cfg.find_client(id);
  w.key("client").begin_object();
  w.kv("id", int64_t(id));
  w.kv("name", c ? c->company : std::string());
  w.end_object();
}

void caps_value(JsonWriter& w, const Caps& caps, CapOwner owner, int64_t id, const TimeZone& tz,
                engine::Engine& engine) {
  if (caps.empty()) {  // the seed shows an empty array, not an object, when there are no caps
    w.begin_array().end_array();
    return;
  }
  w.begin_object();
  for (int budget = 0; budget < 2; ++budget) {
    w.key(budget ? "budget" : "leads").begin_array();
    for (const CapRule& r : budget ? caps.budget : caps.leads) {
      int64_t used = engine.cap_used(owner, id, budget != 0, r, tz);
      w.begin_object();
      if (budget) {
        w.kv("limit", Money::from_units(r.limit));
        w.kv("used", Money::from_units(used).to_string());
      } else {
        w.kv("limit", r.limit);
        w.kv("used", std::to_string(used));
      }
      w.kv("type", r.type);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

void nickname(JsonWriter& w, const std::optional<std::string>& n) {
  w.key("nickname");
  if (n)
    w.value(*n);
  else
    w.null();
}

}  // namespace

void render_campaign(std::string& out, const CampaignConfig& c, const Config& cfg,
                     engine::Engine& engine) {
  JsonWriter w(out);
  w.begin_object();
  w.kv("id", int64_t(c.id));
  w.kv("name", c.name);
  w.kv("public_name", c.public_name);
  w.kv("campaign_type", to_string(c.type));
  w.key("suppliers").begin_array();
  for (const auto& s : c.suppliers) {
    if (s.archived) continue;  // kept for reports only
    const ClientConfig* client = cfg.find_client(s.client_id);
    w.begin_object();
    w.kv("id", int64_t(s.id));
    w.kv("client_id", int64_t(s.client_id));
    w.kv("client_name", client ? client->company : std::string());
    nickname(w, s.nickname);
    w.kv("paused", int64_t(s.paused ? 1 : 0));
    w.kv("test_mode", int64_t(s.test_mode ? 1 : 0));
    w.kv("hash", s.hash);
    w.kv("api_specs_url", cfg.account.public_base_url + "/api-specs?hash=" + s.hash);
    w.key("caps");
    caps_value(w, s.caps, CapOwner::kSupplier, s.id, c.tz, engine);
    w.end_object();
  }
  w.end_array();
  w.key("buyers").begin_array();
  for (const auto& b : c.buyers) {
    if (b.archived) continue;
    const ClientConfig* client = cfg.find_client(b.client_id);
    w.begin_object();
    w.kv("id", int64_t(b.id));
    w.kv("client_id", int64_t(b.client_id));
    w.kv("client_name", client ? client->company : std::string());
    nickname(w, b.nickname);
    w.kv("paused", int64_t(b.paused ? 1 : 0));
    w.key("caps");
    caps_value(w, b.caps, CapOwner::kBuyer, b.id, c.tz, engine);
    w.kv("real_time_delivery_type", to_string(b.type));
    w.end_object();
  }
  w.end_array();
  w.key("fields").begin_array();
  for (const auto& f : c.fields) w.value(f.name);
  w.value("lp_subid1").value("lp_subid2");
  w.end_array();
  w.end_object();
}

std::string render_campaigns(const Config& cfg, engine::Engine& engine,
                             const std::vector<CampaignId>& only) {
  std::string out = "[";
  bool first = true;
  for (const auto& c : cfg.campaigns) {
    if (c.archived) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), c.id) == only.end()) continue;
    if (!first) out.push_back(',');
    first = false;
    render_campaign(out, c, cfg, engine);
  }
  out.push_back(']');
  return out;
}

namespace {

std::string_view title_status(LeadStatus s) {
  switch (s) {
    case LeadStatus::kAccepted:
      return "Accepted";
    case LeadStatus::kDuplicated:
      return "Duplicated";
    case LeadStatus::kError:
      return "Error";
  }
  return "Error";
}

// The lead's outcome and money, in seed 000's order (lead views, and our admin view alike).
void outcome_keys(JsonWriter& w, const Lead& l) {
  w.kv("status", to_string(l.status));
  w.kv("error_code", l.error_code);
  w.kv("error_message", l.error_message);
  w.kv("validation_error_provider", l.validation_error_provider);
  w.kv("validation_error_description", l.validation_error_description);
  w.kv("test", l.test);
  w.kv("cost", l.cost);
  w.kv("revenue", l.revenue);
}

// `key`: {name: value, ...} in order.
void pairs_object(JsonWriter& w, std::string_view key,
                  const std::vector<std::pair<std::string, std::string>>& pairs) {
  w.key(key).begin_object();
  for (const auto& [k, v] : pairs) w.kv(k, v);
  w.end_object();
}

// A buyer's delivery type: as recorded with the lead, else as configured now.
DeliveryType buyer_type(const BuyerDebug* d, const BuyerConfig* bc) {
  return d ? d->type : (bc ? bc->type : DeliveryType::kIncomplete);
}

// The head of a buyer in our admin views: id, name, type.
void buyer_head(JsonWriter& w, const BuyerOutcome& o, const BuyerDebug* d, const BuyerConfig* bc) {
  w.kv("id", int64_t(o.buyer_id));
  w.kv("name", bc ? bc->name : std::string());
  w.kv("type", to_string(buyer_type(d, bc)));
}

// One ping or post exchange. `ours` adds what seed 000's shape has no key for (the transport
// error) for the admin view.
void exchange_object(JsonWriter& w, const std::optional<HttpExchangeLog>& x, bool ours = false) {
  if (!x) {
    w.null();
    return;
  }
  w.begin_object();
  if (ours) w.kv("transport_error", x->transport_error);
  w.kv("url", x->url);
  w.kv("method", x->method);
  w.kv("payload", x->payload);
  w.kv("response", x->response);
  w.kv("http_status", x->http_status);
  w.key("exec_time").fixed(double(x->exec_time_us) / 1000.0, 2);
  pairs_object(w, "request_headers", x->request_headers);
  pairs_object(w, "response_headers", x->response_headers);
  w.end_object();
}

// What every view of a check shows.
void check_head(JsonWriter& w, const CheckRecord& c) {
  w.kv("name", c.name);
  w.kv("type", c.type);
  w.kv("provider", c.provider);
  w.key("buyer_id");
  if (c.buyer_id != 0)
    w.value(int64_t(c.buyer_id));
  else
    w.null();
  w.kv("status", to_string(c.status));
  w.kv("reason", c.reason);
  w.kv("error_passed", c.error_passed);
  w.kv("cached", c.cached);
  w.kv("async", c.async);
  w.kv("duration_us", c.duration_us);
  pairs_object(w, "values", c.values);
}

}  // namespace

void render_debug_lead(JsonWriter& w, const Lead& l, const DebugLog& debug, const Config& cfg) {
  const CampaignConfig* campaign = cfg.find_campaign(l.campaign_id);
  const SupplierConfig* supplier = campaign ? campaign->find_supplier(l.supplier_id) : nullptr;
  w.begin_object();
  w.kv("id", l.id);
  w.kv("lead_date_ms", int64_t(l.created_ms));
  w.kv("campaign_id", int64_t(l.campaign_id));
  w.kv("status", title_status(l.status));
  w.kv("error_code", l.error_code);
  w.kv("error_message", l.error_message);
  w.kv("returned", l.returned);
  w.kv("return_reason", l.return_reason);
  w.kv("test", l.test);
  w.key("cost").money_string(l.cost);
  w.key("revenue").money_string(l.revenue);
  w.key("exec_time").fixed(double(l.exec_time_us) / 1000.0, 2);
  pairs_object(w, "lead_data", l.fields);
  w.key("supplier").begin_object();
  w.kv("id", int64_t(l.supplier_id));
  w.kv("nickname", supplier && supplier->nickname ? *supplier->nickname : std::string());
  client_object(w, cfg, supplier ? supplier->client_id : 0);
  w.end_object();
  w.key("buyers").begin_array();
  for (size_t i = 0; i < l.buyers.size(); ++i) {
    const BuyerOutcome& o = l.buyers[i];
    const BuyerDebug* d = debug_for(&debug, i, o);
    const BuyerConfig* bc = campaign ? campaign->find_buyer(o.buyer_id) : nullptr;
    w.begin_object();
    w.kv("id", int64_t(o.buyer_id));
    w.kv("nickname", bc && bc->nickname ? *bc->nickname : std::string());
    client_object(w, cfg, bc ? bc->client_id : 0);
    w.kv("type", to_string(buyer_type(d, bc)));
    w.kv("status", to_title_string(o.status));
    w.kv("error_code", o.error_code);
    w.kv("error_message", o.error_message);
    w.kv("paused", o.error_code == 1039);
    w.kv("returned", o.returned);
    w.kv("return_reason", o.return_reason);
    w.kv("sell_price", o.sell_price);
    w.kv("buyer_group_id", int64_t(bc ? bc->group_id : 0));
    w.key("exec_time").fixed(double(o.exec_time_us) / 1000.0, 2);
    w.key("bid");
    if (d && d->has_bid) {
      w.begin_object()
          .key("raw")
          .money_string(d->bid_raw)
          .key("adjusted")
          .money_string(d->bid_adjusted)
          .end_object();
    } else {
      w.null();
    }
    w.key("ping");
    exchange_object(w, d ? d->ping : std::nullopt);
    w.key("post");
    exchange_object(w, d ? d->post : std::nullopt);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

std::string render_lead(const Lead& l, const Config& cfg) {
  std::string out;
  out.reserve(1024);
  JsonWriter w(out);
  write_lead(w, l, cfg, false);
  return out;
}

void write_lead(JsonWriter& w, const Lead& l, const Config& cfg, bool with_date) {
  const CampaignConfig* campaign = cfg.find_campaign(l.campaign_id);
  const SupplierConfig* supplier = campaign ? campaign->find_supplier(l.supplier_id) : nullptr;
  w.begin_object();
  w.kv("id", l.id);
  if (with_date) w.kv("lead_date_ms", std::to_string(l.created_ms));  // a string, as the seed
  outcome_keys(w, l);
  w.kv("campaign_id", int64_t(l.campaign_id));
  w.kv("campaign_name", campaign ? campaign->name : std::string());
  w.kv("returned", l.returned);
  w.kv("return_reason", l.return_reason);
  w.key("tags").begin_array();
  for (const auto& t : l.tags) w.value(t);
  w.end_array();
  pairs_object(w, "lead_data", l.fields);
  w.key("supplier").begin_object();
  w.kv("id", int64_t(l.supplier_id));
  w.kv("name", supplier ? supplier->name : std::string());
  client_object(w, cfg, supplier ? supplier->client_id : 0);
  w.end_object();
  w.key("buyers").begin_array();
  for (const auto& b : l.buyers) {
    // Buyers that never saw the lead (skipped) are in the debug log, not in the lead view.
    if (b.status == BuyerStatus::kSkipped) continue;
    const BuyerConfig* bc = campaign ? campaign->find_buyer(b.buyer_id) : nullptr;
    w.begin_object();
    w.kv("id", int64_t(b.buyer_id));
    w.kv("name", bc ? bc->name : std::string());
    client_object(w, cfg, bc ? bc->client_id : 0);
    // The lead view shows auction losers as PINGED (seed 000's Solar Exchange lead); the debug
    // log keeps the finer "Outbid".
    w.kv("status",
         b.status == BuyerStatus::kOutbid ? std::string_view("PINGED") : to_upper_string(b.status));
    w.kv("error_code", b.error_code);
    w.kv("error_message", b.error_message);
    w.kv("sell_price", b.sell_price);
    w.kv("returned", b.returned);
    w.kv("return_reason", b.return_reason);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

std::string render_admin_lead(const Lead& l, const DebugLog* debug, const Config& cfg) {
  const CampaignConfig* campaign = cfg.find_campaign(l.campaign_id);
  const SupplierConfig* supplier = campaign ? campaign->find_supplier(l.supplier_id) : nullptr;
  std::string out;
  out.reserve(2048);
  JsonWriter w(out);
  w.begin_object();
  w.kv("id", l.id);
  w.kv("lead_date_utc", format_utc(l.created_ms));
  w.kv("request_uuid", l.request_uuid);
  w.kv("campaign_id", int64_t(l.campaign_id));
  w.kv("campaign_name", campaign ? campaign->name : std::string());
  w.kv("supplier_id", int64_t(l.supplier_id));
  w.kv("supplier_name", supplier ? supplier->name : std::string());
  outcome_keys(w, l);
  w.kv("returned", l.returned);
  w.kv("return_reason", l.return_reason);
  w.key("tags").begin_array();
  for (const auto& t : l.tags) w.value(t);
  w.end_array();
  pairs_object(w, "lead_data", l.fields);
  w.kv("redirect_url", l.redirect_url);
  w.key("exec_time_ms").fixed(double(l.exec_time_us) / 1000.0, 2);
  w.key("buyers").begin_array();
  for (size_t i = 0; i < l.buyers.size(); ++i) {
    const BuyerOutcome& o = l.buyers[i];
    const BuyerDebug* d = debug_for(debug, i, o);
    const BuyerConfig* bc = campaign ? campaign->find_buyer(o.buyer_id) : nullptr;
    w.begin_object();
    buyer_head(w, o, d, bc);
    w.kv("status", to_upper_string(o.status));
    w.kv("error_code", o.error_code);
    w.kv("error_message", o.error_message);
    w.kv("sell_price", o.sell_price);
    w.kv("price_missing", o.price_missing);
    w.kv("buyer_lead_id", o.buyer_lead_id);
    pairs_object(w, "buyer_data", o.kept);
    w.kv("returned", o.returned);
    w.kv("return_reason", o.return_reason);
    w.key("exec_time_ms").fixed(double(o.exec_time_us) / 1000.0, 2);
    w.key("bid");
    if (d && d->has_bid) {
      w.begin_object().kv("raw", d->bid_raw).kv("adjusted", d->bid_adjusted).end_object();
    } else {
      w.null();
    }
    w.kv("decision", d ? d->decision : std::string());
    w.key("ping");
    exchange_object(w, d ? d->ping : std::nullopt, true);
    w.key("post");
    exchange_object(w, d ? d->post : std::nullopt, true);
    w.end_object();
  }
  w.end_array();
  // Compliance checks (issue 17), with the raw exchange of remote ones.
  w.key("checks").begin_array();
  if (debug) {
    for (const CheckRecord& c : debug->checks) {
      w.begin_object();
      check_head(w, c);
      w.key("exchange");
      exchange_object(w, c.exchange, true);
      w.end_object();
    }
  }
  w.end_array();
  w.kv("debug_available", debug != nullptr);
  w.end_object();
  return out;
}

namespace {

// One ping or post of the timeline: status, time, and the transport error if any.
void timeline_exchange(JsonWriter& w, std::string_view key,
                       const std::optional<HttpExchangeLog>& x) {
  w.key(key);
  if (!x) {
    w.null();
    return;
  }
  w.begin_object();
  w.kv("http_status", x->http_status);
  w.key("duration_ms").fixed(double(x->exec_time_us) / 1000.0, 2);
  w.kv("transport_error", x->transport_error);
  w.end_object();
}

}  // namespace

std::string render_timeline(const Lead& l, const DebugLog* debug, const Config& cfg) {
  const CampaignConfig* campaign = cfg.find_campaign(l.campaign_id);
  std::string out;
  out.reserve(2048);
  JsonWriter w(out);
  w.begin_object();
  w.kv("lead_id", l.id);
  w.kv("lead_date_utc", format_utc(l.created_ms));
  w.kv("status", to_string(l.status));
  w.kv("error_code", l.error_code);
  w.kv("error_message", l.error_message);
  w.kv("config_version", int64_t(debug ? debug->config_version : 0));
  w.kv("exec_time_us", l.exec_time_us);
  w.kv("timeline_available", debug != nullptr);
  w.key("stages").begin_array();
  if (debug) {
    for (const auto& st : debug->stages) {
      w.begin_object()
          .kv("stage", st.stage)
          .kv("verdict", to_string(st.verdict))
          .kv("reason", st.reason)
          .kv("duration_us", st.duration_us)
          .end_object();
    }
  }
  w.end_array();
  w.key("buyers").begin_array();
  for (size_t i = 0; i < l.buyers.size(); ++i) {
    const BuyerOutcome& o = l.buyers[i];
    const BuyerDebug* d = debug_for(debug, i, o);
    const BuyerConfig* bc = campaign ? campaign->find_buyer(o.buyer_id) : nullptr;
    w.begin_object();
    buyer_head(w, o, d, bc);
    // Eligible: the buyer was asked (pinged or posted); skipped buyers say why.
    w.kv("eligible", o.status != BuyerStatus::kSkipped);
    w.kv("status", to_upper_string(o.status));
    w.kv("error_code", o.error_code);
    w.kv("reason", o.error_message);
    w.kv("decision", d ? d->decision : std::string());
    w.key("bid_raw");
    if (d && d->has_bid)
      w.money_string(d->bid_raw);
    else
      w.null();
    w.key("bid_adjusted");
    if (d && d->has_bid)
      w.money_string(d->bid_adjusted);
    else
      w.null();
    w.key("rank");
    if (d && d->rank > 0)
      w.value(int64_t(d->rank));
    else
      w.null();
    w.kv("sell_price", o.sell_price);
    timeline_exchange(w, "ping", d ? d->ping : std::nullopt);
    timeline_exchange(w, "post", d ? d->post : std::nullopt);
    w.end_object();
  }
  w.end_array();
  // Each check with its latency (the "checks" stage above is their sum, and async ones ran after
  // the answer); remote checks with their call's status and time.
  w.key("checks").begin_array();
  if (debug) {
    for (const CheckRecord& c : debug->checks) {
      w.begin_object();
      check_head(w, c);
      timeline_exchange(w, "call", c.exchange);
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
  return out;
}

}  // namespace pp::api
