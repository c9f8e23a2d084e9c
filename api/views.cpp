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

}  // namespace

std::string render_lead(const Lead& l, const Config& cfg) {
  const CampaignConfig* campaign = cfg.find_campaign(l.campaign_id);
  const SupplierConfig* supplier = campaign ? campaign->find_supplier(l.supplier_id) : nullptr;
  std::string out;
  out.reserve(1024);
  JsonWriter w(out);
  w.begin_object();
  w.kv("id", l.id);
  w.kv("status", to_string(l.status));
  w.kv("error_code", l.error_code);
  w.kv("error_message", l.error_message);
  w.kv("validation_error_provider", l.validation_error_provider);
  w.kv("validation_error_description", l.validation_error_description);
  w.kv("test", l.test);
  w.kv("cost", l.cost);
  w.kv("revenue", l.revenue);
  w.kv("campaign_id", int64_t(l.campaign_id));
  w.kv("campaign_name", campaign ? campaign->name : std::string());
  w.kv("returned", l.returned);
  w.kv("return_reason", l.return_reason);
  w.key("tags").begin_array();
  for (const auto& t : l.tags) w.value(t);
  w.end_array();
  w.key("lead_data").begin_object();
  for (const auto& [k, v] : l.fields) w.kv(k, v);
  w.end_object();
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
    w.kv("status", to_upper_string(b.status));
    w.kv("error_code", b.error_code);
    w.kv("error_message", b.error_message);
    w.kv("sell_price", b.sell_price);
    w.kv("returned", b.returned);
    w.kv("return_reason", b.return_reason);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return out;
}

}  // namespace pp::api
