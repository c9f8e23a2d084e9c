#include "engine/buyer_test.h"

#include "core/ids.h"
#include "engine/lead_context.h"

namespace pp::engine {

FieldList sample_lead(const CampaignConfig& campaign, const FieldList& given,
                      std::vector<std::pair<std::string, std::string>>& problems) {
  FieldList out;
  for (const auto& [name, raw] : given) {
    const FieldSpec* spec = campaign.find_field_spec(name);
    if (spec == nullptr) {
      out.emplace_back(name, raw);  // additional fields go as sent, as on a real lead
      continue;
    }
    FieldCheck c = validate_field(*spec, raw);
    if (c.ok)
      out.emplace_back(name, std::move(c.value));
    else
      problems.emplace_back("lead." + name, c.error);
  }
  for (const auto& f : campaign.fields) {
    if (find_field(out, f.name) == nullptr && find_field(given, f.name) == nullptr)
      out.emplace_back(f.name, example_value(f));
  }
  return out;
}

namespace {

boost::asio::awaitable<BuyerTestStep> step(const buyers::CompiledRequest& req,
                                           const buyers::CompiledMapping& mapping,
                                           const LeadContext& ctx, const Config& cfg,
                                           const std::vector<buyers::Cookie>* cookies, bool dry_run,
                                           buyers::Transport& transport) {
  BuyerTestStep s;
  s.request = req.render(ctx, cfg.outbound.user_agent);
  if (cookies) buyers::add_cookies(s.request, *cookies);
  if (dry_run) co_return s;
  s.response = co_await transport.send(s.request);
  s.outcome = mapping.map(*s.response, s.request.url);
  co_return s;
}

}  // namespace

boost::asio::awaitable<BuyerTestResult> test_buyer(SnapshotPtr snap, const CampaignConfig& campaign,
                                                   const CompiledBuyer& buyer, FieldList fields,
                                                   bool dry_run, buyers::Transport& transport,
                                                   UnixMs now) {
  BuyerTestResult r;
  r.dry_run = dry_run;
  Lead lead;
  lead.created_ms = now;
  lead.id = thread_id_generator().lead_id(now);
  lead.request_uuid = thread_id_generator().uuid_v4();
  lead.campaign_id = campaign.id;
  if (!campaign.suppliers.empty()) lead.supplier_id = campaign.suppliers.front().id;
  lead.test = true;
  lead.fields = std::move(fields);
  LeadContext ctx(lead, campaign, now);
  ctx.set_buyer(buyer.config->id);
  const Config& cfg = snap->config();
  std::vector<buyers::Cookie> cookies;
  std::string ping_body;
  if (buyer.ping && buyer.ping_mapping) {
    r.ping = co_await step(*buyer.ping, *buyer.ping_mapping, ctx, cfg, nullptr, dry_run, transport);
    if (r.ping->outcome) {
      if (r.ping->outcome->verdict != buyers::Verdict::kAccepted) {
        r.note = "not posted: the ping was not accepted, as a lead would not be";
        r.lead = std::move(lead.fields);
        co_return r;
      }
      cookies = r.ping->outcome->cookies;
      ping_body = r.ping->response->body;
    }
  }
  if (!buyer.post || !buyer.post_mapping) {
    r.note = "this buyer type makes no HTTP post";
    r.lead = std::move(lead.fields);
    co_return r;
  }
  ctx.set_ping_response(buyer.ping ? &ping_body : nullptr);
  r.post = co_await step(*buyer.post, *buyer.post_mapping, ctx, cfg, &cookies, dry_run, transport);
  r.lead = std::move(lead.fields);
  co_return r;
}

}  // namespace pp::engine
