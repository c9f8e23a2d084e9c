#include "engine/events.h"

#include "core/enum_names.h"
#include "core/ids.h"
#include "core/json_writer.h"
#include "core/time.h"

namespace pp::engine {

namespace {
constexpr EnumNames<PauseCause, 4> kCauseNames{{
    {PauseCause::kManual, "manual"},
    {PauseCause::kCapReached, "cap_reached"},
    {PauseCause::kCircuitOpen, "circuit_open"},
    {PauseCause::kBalance, "balance"},
}};
}  // namespace

std::string_view to_string(PauseCause c) { return enum_name(kCauseNames, c); }

EventType lead_event(const Lead& lead) {
  switch (lead.status) {
    case LeadStatus::kAccepted:
      return EventType::kLeadAccepted;
    case LeadStatus::kDuplicated:
      return EventType::kLeadDuplicated;
    case LeadStatus::kError:
      break;
  }
  return EventType::kLeadRejected;
}

std::string iso_utc(UnixMs t) {
  std::string s = format_utc(t);  // "2026-11-27 04:17:09"
  if (s.size() > 10) s[10] = 'T';
  const int64_t ms = ((t % 1000) + 1000) % 1000;
  char frac[6];
  std::snprintf(frac, sizeof frac, ".%03d", int(ms));
  s += frac;
  s += 'Z';
  return s;
}

std::string event_body(EventType e, UnixMs at, std::string_view data) {
  std::string out;
  out.reserve(data.size() + 80);
  JsonWriter w(out);
  w.begin_object().kv("type", to_string(e)).kv("timestamp", iso_utc(at)).key("data").raw(data);
  w.end_object();
  return out;
}

std::string lead_event_data(const Lead& lead, bool with_fields) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .kv("lead_id", lead.id)
      .kv("campaign_id", lead.campaign_id)
      .kv("supplier_id", lead.supplier_id)
      .kv("status", to_string(lead.status))
      .kv("code", int64_t(lead.error_code))
      .kv("message", lead.status == LeadStatus::kAccepted ? "Lead accepted" : lead.error_message)
      .kv("test", lead.test)
      .kv("cost", lead.cost)
      .kv("revenue", lead.revenue)
      .kv("created_at", iso_utc(lead.created_ms));
  if (lead.returned) w.kv("returned", true).kv("return_reason", lead.return_reason);
  w.key("buyers").begin_array();
  for (const BuyerOutcome& b : lead.buyers) {
    if (b.status == BuyerStatus::kSkipped) continue;  // never tried
    w.begin_object()
        .kv("buyer_id", b.buyer_id)
        .kv("status", to_upper_string(b.status))
        .kv("price", b.sell_price);
    if (b.returned) w.kv("returned", true);
    w.end_object();
  }
  w.end_array();
  if (with_fields) {
    w.key("fields").begin_object();
    for (const auto& [k, v] : lead.fields) w.kv(k, v);
    w.end_object();
  }
  w.end_object();
  return out;
}

bool EventBatch::wanted(EventType e, CampaignId campaign) const {
  if ((cfg_.webhook_events & event_bit(e)) == 0) return false;
  for (const WebhookConfig& w : cfg_.webhooks)
    if (w.wants(e, campaign)) return true;
  return false;
}

void EventBatch::add(EventType e, CampaignId campaign, std::string_view lead_id,
                     std::string_view data, std::string_view data_with_lead) {
  if ((cfg_.webhook_events & event_bit(e)) == 0) return;
  IdGenerator& ids = thread_id_generator();
  std::string body, body_with_lead;
  for (const WebhookConfig& w : cfg_.webhooks) {
    if (!w.wants(e, campaign)) continue;
    const bool with_lead = w.include_lead && !data_with_lead.empty();
    std::string& b = with_lead ? body_with_lead : body;
    if (b.empty()) b = event_body(e, now_, with_lead ? data_with_lead : data);
    OutboxDelivery d;
    d.id = delivery_id(now_, ids.next_u64(), ids.next_u64());
    d.created_ms = now_;
    d.source = DeliverySource::kWebhook;
    d.source_id = w.id;
    d.destination = destination_key(DeliverySource::kWebhook, w.id);
    d.event = e;
    d.campaign_id = campaign;
    d.lead_id = std::string(lead_id);
    d.url = w.url;
    d.headers = {{"Content-Type", "application/json"}};
    d.body = b;
    d.next_attempt_ms = now_;
    d.give_up_ms = now_ + cfg_.outbox.retry.max_age_ms;
    puts_.push_back(storage::outbox_put(d));
  }
}

void EventBatch::add_lead(EventType e, const Lead& lead) {
  if (!wanted(e, lead.campaign_id)) return;
  bool any_with_lead = false;
  for (const WebhookConfig& w : cfg_.webhooks)
    any_with_lead |= w.include_lead && w.wants(e, lead.campaign_id);
  add(e, lead.campaign_id, lead.id, lead_event_data(lead, false),
      any_with_lead ? lead_event_data(lead, true) : std::string());
}

void EventBatch::add_buyer(EventType e, PauseCause cause, CampaignId campaign, BuyerId buyer,
                           std::string_view lead_id) {
  if (!wanted(e, campaign)) return;
  std::string data;
  JsonWriter w(data);
  w.begin_object().kv("campaign_id", campaign).kv("buyer_id", buyer).kv("cause", to_string(cause));
  if (!lead_id.empty()) w.kv("lead_id", lead_id);
  w.end_object();
  add(e, campaign, lead_id, data);
}

void EventBatch::add_cap_reached(CampaignId campaign, std::string_view owner, int64_t owner_id,
                                 bool budget, const CapRule& rule, std::string_view lead_id) {
  if (!wanted(EventType::kCapReached, campaign)) return;
  std::string data;
  JsonWriter w(data);
  w.begin_object()
      .kv("campaign_id", campaign)
      .kv("owner", owner)
      .kv("owner_id", owner_id)
      .kv("cap", budget ? "budget" : "leads")
      .kv("period", rule.type);
  if (budget)
    w.kv("limit", Money::from_units(rule.limit));
  else
    w.kv("limit", rule.limit);
  w.kv("lead_id", lead_id).end_object();
  add(EventType::kCapReached, campaign, lead_id, data);
}

void EventBatch::add_config_changed(uint64_t version, std::string_view op, std::string_view entity,
                                    int64_t entity_id, CampaignId campaign,
                                    std::string_view actor) {
  if (!wanted(EventType::kConfigChanged, campaign)) return;
  std::string data;
  JsonWriter w(data);
  w.begin_object()
      .kv("version", version)
      .kv("op", op)
      .kv("entity", entity)
      .kv("id", entity_id)
      .kv("campaign_id", campaign)
      .kv("actor", actor)
      .end_object();
  add(EventType::kConfigChanged, campaign, {}, data);
}

}  // namespace pp::engine
