#include "engine/events.h"

#include "core/enum_names.h"
#include "core/ids.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "core/time.h"
#include "engine/lead_context.h"

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

namespace {

// What every delivery says of itself: where it came from and goes, and the event and lead.
OutboxDelivery delivery_of(DeliverySource source, int64_t source_id, uint64_t destination,
                           EventType e, CampaignId campaign, std::string_view lead_id) {
  OutboxDelivery d;
  d.source = source;
  d.source_id = source_id;
  d.destination = destination;
  d.event = e;
  d.campaign_id = campaign;
  d.lead_id = std::string(lead_id);
  return d;
}

// An event to one webhook: signed by the sender when it is sent.
OutboxDelivery webhook_delivery(const WebhookConfig& w, EventType e, CampaignId campaign,
                                std::string_view lead_id, std::string body) {
  OutboxDelivery d =
      delivery_of(DeliverySource::kWebhook, w.id, destination_key(DeliverySource::kWebhook, w.id),
                  e, campaign, lead_id);
  d.url = w.url;
  d.headers = {{"Content-Type", "application/json"}};
  d.body = std::move(body);
  return d;
}

// The buyer that bought the lead (0: none).
BuyerId sold_buyer(const Lead& lead) {
  BuyerId sold = 0;
  for (const auto& b : lead.buyers)
    if (b.status == BuyerStatus::kAccepted) sold = b.buyer_id;
  return sold;
}

}  // namespace

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
  std::string body, body_with_lead;
  for (const WebhookConfig& w : cfg_.webhooks) {
    if (!w.wants(e, campaign)) continue;
    const bool with_lead = w.include_lead && !data_with_lead.empty();
    std::string& b = with_lead ? body_with_lead : body;
    if (b.empty()) b = event_body(e, now_, with_lead ? data_with_lead : data);
    add_delivery(webhook_delivery(w, e, campaign, lead_id, b), now_);
  }
}

void EventBatch::add_delivery(OutboxDelivery d, UnixMs due) {
  IdGenerator& ids = thread_id_generator();
  d.id = delivery_id(now_, ids.next_u64(), ids.next_u64());
  d.created_ms = now_;
  d.next_attempt_ms = due;
  // Retries run for max_age after the delivery was due (a trigger delayed by days too).
  d.give_up_ms = due + cfg_.outbox.retry.max_age_ms;
  puts_.push_back(storage::outbox_put(d));
}

void EventBatch::add_to_webhook(const WebhookConfig& w, EventType e, const Lead& lead, UnixMs due) {
  add_delivery(webhook_delivery(w, e, lead.campaign_id, lead.id,
                                event_body(e, now_, lead_event_data(lead, w.include_lead))),
               due);
}

void EventBatch::add_lead(EventType e, const Lead& lead) {
  if (!wanted(e, lead.campaign_id)) return;
  bool any_with_lead = false;
  for (const WebhookConfig& w : cfg_.webhooks)
    any_with_lead |= w.include_lead && w.wants(e, lead.campaign_id);
  add(e, lead.campaign_id, lead.id, lead_event_data(lead, false),
      any_with_lead ? lead_event_data(lead, true) : std::string());
}

bool has_lead_actions(const Snapshot& snap, const CampaignConfig& campaign, SupplierId supplier) {
  return !snap.triggers(campaign.id).empty() || !snap.postbacks(supplier).empty();
}

namespace {

// The lead's fields and its outcome, for trigger conditions.
FieldList outcome_fields(const Lead& lead, EventType e) {
  FieldList f = lead.fields;
  f.emplace_back("lp_event", std::string(to_string(e)));
  f.emplace_back("lp_status", std::string(to_string(lead.status)));
  f.emplace_back("lp_code", std::to_string(lead.error_code));
  f.emplace_back("lp_buyer_id", std::to_string(sold_buyer(lead)));
  f.emplace_back("lp_price", lead.revenue.to_string());
  f.emplace_back("lp_cost", lead.cost.to_string());
  f.emplace_back("lp_supplier_id", std::to_string(lead.supplier_id));
  f.emplace_back("lp_test", lead.test ? "1" : "0");
  f.emplace_back("lp_return_reason", lead.return_reason);
  return f;
}

OutboxDelivery request_delivery(const buyers::OutboundRequest& r, DeliverySource source,
                                int64_t source_id, EventType e, const Lead& lead) {
  OutboxDelivery d =
      delivery_of(source, source_id, url_destination_key(r.url), e, lead.campaign_id, lead.id);
  d.method = r.method;
  d.url = r.url;
  d.headers = r.headers;
  d.body = r.body;
  return d;
}

}  // namespace

OutboxDelivery email_delivery(DeliverySource source, int64_t source_id, EventType e,
                              CampaignId campaign, std::string_view lead_id,
                              const std::vector<std::string>& to, std::string subject,
                              std::string body) {
  // One relay: one destination.
  OutboxDelivery d =
      delivery_of(source, source_id, url_destination_key("smtp://relay"), e, campaign, lead_id);
  d.method = std::string(kEmailMethod);
  d.url = "mailto:" + join(to, ",");
  d.headers = {{"Subject", std::move(subject)}};
  d.body = std::move(body);
  return d;
}

void add_lead_actions(EventBatch& batch, const Snapshot& snap, const CampaignConfig& campaign,
                      EventType e, const Lead& lead) {
  const Config& cfg = snap.config();
  LeadContext ctx(lead, campaign, batch.now());
  ctx.set_buyer(sold_buyer(lead));
  ctx.set_outcome(to_string(e));
  std::optional<FieldList> fields;  // built for the first condition that needs them
  for (const CompiledTrigger& ct : snap.triggers(campaign.id)) {
    const TriggerConfig& t = *ct.config;
    if (!t.enabled || (t.events & event_bit(e)) == 0) continue;
    if (t.when.kind() != Condition::Kind::kAlways) {
      if (!fields) fields = outcome_fields(lead, e);
      if (!t.when.matches(EvalContext{*fields, batch.now()})) continue;
    }
    const UnixMs due = trigger_due(t.timing, campaign.tz, batch.now());
    for (size_t i = 0; i < t.actions.size(); ++i) {
      const TriggerAction& a = t.actions[i];
      const CompiledTrigger::Action& ca = ct.actions[i];
      switch (a.type) {
        case TriggerAction::Type::kHttp:
          batch.add_delivery(request_delivery(ca.request->render(ctx, cfg.outbound.user_agent),
                                              DeliverySource::kTrigger, t.id, e, lead),
                             due);
          break;
        case TriggerAction::Type::kEmail:
          batch.add_delivery(
              email_delivery(DeliverySource::kTrigger, t.id, e, lead.campaign_id, lead.id, a.to,
                             ca.subject->render(ctx, buyers::Escape::kHeader),
                             ca.body->render(ctx, buyers::Escape::kNone)),
              due);
          break;
        case TriggerAction::Type::kCampaign: {
          OutboxDelivery d =
              delivery_of(DeliverySource::kTrigger, t.id,
                          url_destination_key("campaign://" + std::to_string(a.campaign_id)), e,
                          lead.campaign_id, lead.id);
          d.method = std::string(kLeadMethod);
          d.url = "campaign:" + std::to_string(a.campaign_id) + "/" + std::to_string(a.supplier_id);
          std::string body;
          JsonWriter w(body);
          w.begin_object().kv("linked_lead_id", lead.id).key("tags").begin_array();
          if (t.timing.delayed()) w.value("delayed_lead");
          w.end_array().key("fields").begin_object();
          for (const auto& [k, v] : lead.fields) w.kv(k, v);
          w.end_object().end_object();
          d.body = std::move(body);
          batch.add_delivery(std::move(d), due);
          break;
        }
        case TriggerAction::Type::kWebhook:
          if (const WebhookConfig* wh = cfg.find_webhook(a.webhook_id); wh && wh->enabled)
            batch.add_to_webhook(*wh, e, lead, due);
          break;
      }
    }
  }
  for (const CompiledPostback& pb : snap.postbacks(lead.supplier_id)) {
    if (pb.config->event != e) continue;
    batch.add_delivery(request_delivery(pb.request->render(ctx, cfg.outbound.user_agent),
                                        DeliverySource::kPostback, lead.supplier_id, e, lead),
                       batch.now());
  }
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

void EventBatch::add_client_buyers(EventType e, PauseCause cause, ClientId client,
                                   std::string_view lead_id) {
  for (const CampaignConfig& c : cfg_.campaigns)
    for (const BuyerConfig& b : c.buyers)
      if (b.client_id == client && !b.archived) add_buyer(e, cause, c.id, b.id, lead_id);
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
