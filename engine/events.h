#pragma once
// Events as outbox deliveries (issue 18): which webhooks want an event, and the JSON each receives.
// A delivery is made in the same atomic write as what caused it — a lead, a return, a change — so
// these functions only build records (storage::OutboxPut); the sender (outbox_sender.h) sends them.
//
// The body is Standard Webhooks' shape: {"type": "lead.accepted", "timestamp": "...Z", "data":
// {...}}. Lead events carry ids, statuses and money, never the lead's fields, unless the webhook
// says include_lead (personal data goes only where the operator sends it).
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/lead.h"
#include "engine/snapshot.h"
#include "storage/store.h"

namespace pp::engine {

// The event a stored lead is: lead.accepted (sold), lead.duplicated, or lead.rejected.
EventType lead_event(const Lead& lead);

// Why a buyer stopped or started taking leads (buyer.paused / buyer.resumed).
enum class PauseCause : uint8_t { kManual, kCapReached, kCircuitOpen, kBalance };
std::string_view to_string(PauseCause c);  // "manual", "cap_reached", "circuit_open", "balance"

// Collects the deliveries of one atomic write.
class EventBatch {
 public:
  EventBatch(const Config& cfg, UnixMs now) : cfg_(cfg), now_(now) {}

  // Whether any enabled webhook wants `e` for `campaign` (callers skip building data otherwise).
  bool wanted(EventType e, CampaignId campaign) const;
  // One delivery per webhook that wants the event. `data` is the event's JSON object;
  // `data_with_lead`, when not empty, is what webhooks with include_lead get instead.
  void add(EventType e, CampaignId campaign, std::string_view lead_id, std::string_view data,
           std::string_view data_with_lead = {});

  void add_lead(EventType e, const Lead& lead);
  void add_buyer(EventType e, PauseCause cause, CampaignId campaign, BuyerId buyer,
                 std::string_view lead_id = {});
  // add_buyer for every live buyer of `client`, in every campaign (a prepaid balance pauses or
  // resumes all of a client's buyers at once, issue 20).
  void add_client_buyers(EventType e, PauseCause cause, ClientId client,
                         std::string_view lead_id = {});
  void add_cap_reached(CampaignId campaign, std::string_view owner, int64_t owner_id, bool budget,
                       const CapRule& rule, std::string_view lead_id);
  void add_config_changed(uint64_t version, std::string_view op, std::string_view entity,
                          int64_t entity_id, CampaignId campaign, std::string_view actor);

  // A delivery made elsewhere (a trigger's action, a postback): its id, times and give-up time
  // are set here.
  void add_delivery(OutboxDelivery d, UnixMs due);
  // A lead event to one webhook, subscribed to it or not (a trigger's webhook action).
  void add_to_webhook(const WebhookConfig& w, EventType e, const Lead& lead, UnixMs due);
  UnixMs now() const { return now_; }

  std::vector<storage::OutboxPut>& puts() { return puts_; }
  bool empty() const { return puts_.empty(); }

 private:
  const Config& cfg_;
  UnixMs now_;
  std::vector<storage::OutboxPut> puts_;
};

// Campaign triggers and the supplier's postbacks that a lead's event sets off (issue 18): each
// action whose trigger wants the event and whose condition holds becomes a delivery, rendered now
// (merge tags with the lead's outcome), due at the trigger's timing in the campaign's zone.
void add_lead_actions(EventBatch& batch, const Snapshot& snap, const CampaignConfig& campaign,
                      EventType e, const Lead& lead);
// Whether a lead of `campaign` from `supplier` may set off triggers or postbacks at all.
bool has_lead_actions(const Snapshot& snap, const CampaignConfig& campaign, SupplierId supplier);

// An email as an outbox delivery (method EMAIL, url "mailto:a,b", the Subject header), sent through
// $.email's relay by the sender.
OutboxDelivery email_delivery(DeliverySource source, int64_t source_id, EventType e,
                              CampaignId campaign, std::string_view lead_id,
                              const std::vector<std::string>& to, std::string subject,
                              std::string body);

// What a "campaign" action sends (the method of its delivery is "LEAD"): the lead's fields for
// another campaign, as a new lead linked to this one.
inline constexpr std::string_view kLeadMethod = "LEAD";
inline constexpr std::string_view kEmailMethod = "EMAIL";

// The JSON of a lead event's data (`with_fields`: the lead's fields too).
std::string lead_event_data(const Lead& lead, bool with_fields);
// An event's whole body.
std::string event_body(EventType e, UnixMs at, std::string_view data);
// "2026-11-27T04:17:09.123Z"
std::string iso_utc(UnixMs t);

}  // namespace pp::engine
