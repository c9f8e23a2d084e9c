// Micro benchmarks for the direct-post hot path: intake parsing, field validation, payload
// rendering, answer mapping. Report ratios measured in one run, never absolute thresholds.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include "api/app.h"
#include "api/intake.h"
#include "buyers/payload.h"
#include "buyers/response.h"
#include "core/config.h"
#include "engine/lead_context.h"

namespace {

std::string demo_text() {
  return *pp::api::read_file(std::string(PP_SOURCE_DIR) + "/configs/demo.json");
}

const std::string kLead =
    R"({"lp_campaign_id":21624,"lp_supplier_id":55077,"lp_key":"mva-landing-page-key","lp_subid1":"fb",)"
    R"("first_name":"Leanne","last_name":"Sanford","email":"ahamill@example.org","phone":"4103097989",)"
    R"("date_of_birth":"1980-04-02","gender":"Female","address":"847 Weber Groves Suite 308",)"
    R"("city":"North Aida","state":"NM","zip_code":"01341","ip_address":"36e1:e77:b803:84d5:303:cf53:1cc8:31bb",)"
    R"("user_agent":"Mozilla/5.0 (X11; Linux i686; rv:7.0) Gecko/20170324 Firefox/36.0",)"
    R"("landing_page_url":"https://example.org/aliquid","jornaya_leadid":"AAE08A69-B688-319C-81B4-965529B1648A",)"
    R"("trustedform_cert_url":"https://cert.trustedform.com/8a04a0b5e4bd36f17d9dc1c15d88b7fe7488e399",)"
    R"("debt_amount":"12000","retirement_account":"Yes","click_id":"abc","vehicle_type":"car"})";

void BM_ParseIntakeJson(benchmark::State& st) {
  pp::api::Request r;
  r.method = "POST";
  r.headers = {{"Content-Type", "application/json"}};
  r.body = kLead;
  for (auto _ : st) {
    pp::api::Response err;
    auto in = pp::api::parse_intake(r, err);
    benchmark::DoNotOptimize(in);
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(kLead.size()));
}
BENCHMARK(BM_ParseIntakeJson);

// Reference: the general tool, Boost.JSON's DOM parser, turning the same body into field pairs.
void BM_ParseIntakeJson_Reference(benchmark::State& st) {
  for (auto _ : st) {
    std::vector<std::pair<std::string, std::string>> fields;
    boost::json::value v = boost::json::parse(kLead);
    for (const auto& [k, x] : v.as_object()) {
      if (x.is_string())
        fields.emplace_back(std::string(k), std::string(x.get_string()));
      else
        fields.emplace_back(std::string(k), boost::json::serialize(x));
    }
    benchmark::DoNotOptimize(fields);
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(kLead.size()));
}
BENCHMARK(BM_ParseIntakeJson_Reference);

void BM_ValidateCampaignFields(benchmark::State& st) {
  auto cfg = pp::load_config(demo_text()).config;
  const auto* c = cfg->find_campaign(21624);
  pp::api::Request r;
  r.body = kLead;
  pp::api::Response err;
  auto in = pp::api::parse_intake(r, err);
  for (auto _ : st) {
    size_t ok = 0;
    for (const auto& [k, v] : in->params) {
      if (const auto* spec = c->find_field_spec(k)) ok += pp::validate_field(*spec, v).ok;
    }
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_ValidateCampaignFields);

void BM_RenderJsonPayload(benchmark::State& st) {
  auto cfg = pp::load_config(demo_text()).config;
  const auto* c = cfg->find_campaign(21624);
  const auto* b = c->find_buyer(55082);
  std::string err;
  auto req = pp::buyers::CompiledRequest::compile(b->post, err);
  pp::Lead lead;
  lead.id = "AbCdEfGhIjKlMnOpQrSt";
  lead.created_ms = 1737149951570;
  pp::api::Request r;
  r.body = kLead;
  pp::api::Response e;
  lead.fields = pp::api::parse_intake(r, e)->params;
  pp::engine::LeadContext ctx(lead, *c, lead.created_ms);
  for (auto _ : st) {
    auto out = req->render(ctx, "pingpost");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_RenderJsonPayload);

void BM_MapJsonAnswer(benchmark::State& st) {
  pp::ResponseMappingConfig c;
  c.accepted = {"status", {"accepted"}, "", ""};
  c.duplicate = {"status", {"duplicate"}, "", ""};
  c.price = {"price", ""};
  c.lead_id = {"lead_id", ""};
  c.redirect_url = {"redirect_url", ""};
  std::string err;
  auto m = pp::buyers::CompiledMapping::compile(c, err);
  pp::buyers::HttpResult res;
  res.status = 200;
  res.body =
      R"({"status":"accepted","lead_id":"sbx-1","price":"12.50","redirect_url":"https://example.com/t"})";
  for (auto _ : st) {
    auto out = m->map(res);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_MapJsonAnswer);

}  // namespace

BENCHMARK_MAIN();
