#include "api/specs.h"

#include <boost/json.hpp>

#include "core/codes.h"
#include "core/text.h"

namespace pp::api {

namespace json = boost::json;

namespace {

struct Found {
  const CampaignConfig* campaign = nullptr;
  const SupplierConfig* supplier = nullptr;
};

Found find_by_hash(const Config& cfg, std::string_view hash) {
  for (const auto& c : cfg.campaigns) {
    if (c.archived) continue;
    for (const auto& s : c.suppliers) {
      if (!s.archived && !s.hash.empty() && constant_time_equals(s.hash, hash)) return {&c, &s};
    }
  }
  return {};
}

// The body of a request, as the supplier sends it: credentials, then every field `pick` takes
// with its example value.
template <class Pick>
json::object example_body(const CampaignConfig& c, const SupplierConfig& s, Pick pick) {
  json::object o;
  o["lp_campaign_id"] = c.id;
  o["lp_supplier_id"] = s.id;
  o["lp_key"] = "$LP_KEY";
  for (const auto& f : c.fields)
    if (pick(f)) o[f.name] = example_value(f);
  return o;
}

std::string curl_json(const std::string& url, const json::object& body) {
  // The key comes from the shell: single quotes around the JSON, closed around $LP_KEY.
  std::string b = json::serialize(body);
  const std::string key = "\"$LP_KEY\"";
  size_t at = b.find(key);
  if (at != std::string::npos) b.replace(at, key.size(), "\"'\"$LP_KEY\"'\"");
  return "curl -s -X POST '" + url + "' -H 'Content-Type: application/json' -d '" + b + "'";
}

std::string curl_form(const std::string& url, const json::object& body) {
  std::string cmd = "curl -s -X POST '" + url + "'";
  for (const auto& [k, v] : body) {
    std::string value = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
    if (value == "$LP_KEY")
      cmd += " --data-urlencode \"" + std::string(k) + "=$LP_KEY\"";
    else
      cmd += " --data-urlencode '" + std::string(k) + "=" + value + "'";
  }
  return cmd;
}

json::object field_doc(const FieldSpec& f, bool exchange) {
  json::object o;
  o["name"] = f.name;
  o["type"] = to_string(f.type);
  o["required"] = f.required;
  if (exchange) {
    o["on_ping"] = f.on_ping || f.required_on_ping;
    o["required_on_ping"] = f.required_on_ping;
  }
  if (!f.allowed_values.empty()) {
    json::array a;
    for (const auto& v : f.allowed_values) a.push_back(json::value(v));
    o["allowed_values"] = a;
  }
  o["max_length"] = f.max_length;
  o["description"] = f.description;
  o["example"] = example_value(f);
  return o;
}

json::object specs(const Config& cfg, const CampaignConfig& c, const SupplierConfig& s) {
  const std::string base = cfg.account.public_base_url;
  const bool exchange = c.type != CampaignType::kDirectPost;
  json::object o;
  o["campaign"] = {{"id", c.id}, {"name", c.public_name}, {"type", to_string(c.type)}};
  o["supplier"] = {{"id", s.id}, {"name", s.name}};
  o["credentials"] = {{"lp_campaign_id", c.id},
                      {"lp_supplier_id", s.id},
                      {"lp_key", "the key you were given (stored hashed here, never shown)"}};
  json::array endpoints, fields;
  json::object examples;
  auto everything = [](const FieldSpec&) { return true; };
  if (c.type != CampaignType::kOneToOne) {
    json::object full = example_body(c, s, everything);
    endpoints.push_back({{"name", "direct_post"},
                         {"method", "POST"},
                         {"url", base + "/direct_post"},
                         {"what", exchange ? "a full lead, pinged and posted in one go"
                                           : "a full lead, delivered at once"}});
    examples["direct_post"] = {{"body", full},
                               {"curl_json", curl_json(base + "/direct_post", full)},
                               {"curl_form", curl_form(base + "/direct_post", full)}};
  }
  if (exchange) {
    json::object ping =
        example_body(c, s, [](const FieldSpec& f) { return f.on_ping || f.required_on_ping; });
    json::object post = example_body(c, s, everything);
    post["lp_ping_id"] = "<ping_id from the ping's answer>";
    if (c.type == CampaignType::kOneToOne)
      post["lp_consent_bids"] = "<bid_id of each bid the consumer consented to, comma separated>";
    else if (c.exchange.shared)
      post["lp_bid_id"] = "<bid_id of each bid you choose, comma separated>";
    endpoints.push_back({{"name", "ping"},
                         {"method", "POST"},
                         {"url", base + "/ping"},
                         {"what", "the ping fields only: answered with a ping_id and the offer"}});
    endpoints.push_back({{"name", "post"},
                         {"method", "POST"},
                         {"url", base + "/post"},
                         {"what", "the full lead with lp_ping_id, within " +
                                      std::to_string(c.exchange.ping_ttl_ms / 1000) +
                                      " s of the ping; each ping_id is posted once"}});
    examples["ping"] = {{"body", ping}, {"curl_json", curl_json(base + "/ping", ping)}};
    examples["post"] = {{"body", post}, {"curl_json", curl_json(base + "/post", post)}};
  }
  for (const auto& f : c.fields) fields.push_back(field_doc(f, exchange));
  for (int i = 1; i <= 6; ++i)
    fields.push_back({{"name", "lp_subid" + std::to_string(i)},
                      {"type", "text"},
                      {"required", false},
                      {"max_length", 75},
                      {"description", "your own tracking value, reported back in statistics"}});
  o["endpoints"] = endpoints;
  o["fields"] = fields;
  o["examples"] = examples;
  o["testing"] =
      "add lp_action=test: the lead runs the whole path, is stored tagged test, and is never "
      "billed";
  json::array codes;
  for (const auto& ci : kSupplierCodes)
    codes.push_back({{"code", code_int(ci.code)}, {"meaning", ci.meaning}});
  o["answer_codes"] = codes;
  o["answer"] =
      "JSON: status (ACCEPTED, DUPLICATED, ERROR), lead_id, code, message, payout, "
      "redirect_url; HTTP 200 unless stated";
  return o;
}

// HTML text and attribute values: XML's escaping is HTML5's too.
std::string esc(std::string_view s) { return xml_escape(s); }

std::string text_of(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

std::string html(const json::object& o) {
  const json::object& c = o.at("campaign").as_object();
  std::string h = "<!doctype html><html><head><meta charset=\"utf-8\"><title>API specs: " +
                  esc(text_of(c.at("name"))) +
                  "</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
                  "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}"
                  "pre{background:#f4f4f4;padding:.8em;overflow-x:auto}</style></head><body>";
  h += "<h1>" + esc(text_of(c.at("name"))) + "</h1><p>Campaign " + text_of(c.at("id")) + " (" +
       esc(text_of(c.at("type"))) + "), supplier " +
       esc(text_of(o.at("supplier").as_object().at("name"))) + ".</p>";
  h += "<h2>Credentials</h2><table>";
  for (const auto& [k, v] : o.at("credentials").as_object())
    h += "<tr><th>" + esc(k) + "</th><td>" + esc(text_of(v)) + "</td></tr>";
  h += "</table><h2>Endpoints</h2><table><tr><th>endpoint</th><th>URL</th><th>what</th></tr>";
  for (const auto& e : o.at("endpoints").as_array()) {
    const json::object& eo = e.as_object();
    h += "<tr><td>POST " + esc(text_of(eo.at("name"))) + "</td><td><code>" +
         esc(text_of(eo.at("url"))) + "</code></td><td>" + esc(text_of(eo.at("what"))) +
         "</td></tr>";
  }
  h += "</table><p>Bodies: JSON (<code>Content-Type: application/json</code>) or form-encoded. "
       "An optional <code>Idempotency-Key</code> header makes retries safe.</p>";
  h += "<h2>Fields</h2><table><tr><th>field</th><th>type</th><th>required</th><th>allowed "
       "values</th><th>example</th><th>description</th></tr>";
  for (const auto& f : o.at("fields").as_array()) {
    const json::object& fo = f.as_object();
    std::string allowed;
    if (const json::value* a = fo.if_contains("allowed_values"))
      for (const auto& v : a->as_array()) allowed += (allowed.empty() ? "" : ", ") + text_of(v);
    h += "<tr><td><code>" + esc(text_of(fo.at("name"))) + "</code></td><td>" +
         esc(text_of(fo.at("type"))) + "</td><td>" + (fo.at("required").as_bool() ? "yes" : "no") +
         "</td><td>" + esc(allowed) + "</td><td>" +
         esc(fo.contains("example") ? text_of(fo.at("example")) : "") + "</td><td>" +
         esc(fo.contains("description") ? text_of(fo.at("description")) : "") + "</td></tr>";
  }
  h += "</table><h2>Examples</h2><p>Set your key first: <code>export LP_KEY=...</code></p>";
  for (const auto& [name, ex] : o.at("examples").as_object()) {
    h += "<h3>" + esc(name) + "</h3>";
    for (const auto& [k, v] : ex.as_object()) {
      if (k == "body") continue;
      h += "<pre class=\"" + esc(k) + "\" data-endpoint=\"" + esc(name) + "\">" + esc(text_of(v)) +
           "</pre>";
    }
  }
  h += "<h2>Answers</h2><p>" + esc(text_of(o.at("answer"))) + ". " + esc(text_of(o.at("testing"))) +
       ".</p><table><tr><th>code</th><th>meaning</th></tr>";
  for (const auto& ci : o.at("answer_codes").as_array())
    h += "<tr><td>" + text_of(ci.as_object().at("code")) + "</td><td>" +
         esc(text_of(ci.as_object().at("meaning"))) + "</td></tr>";
  h += "</table></body></html>\n";
  return h;
}

}  // namespace

Response api_specs(const Config& cfg, const Request& req) {
  std::string hash;
  if (auto q = parse_form(req.query)) {
    for (const auto& [k, v] : *q)
      if (k == "hash") hash = v;
  }
  Found f = hash.empty() || hash.size() > 64 ? Found{} : find_by_hash(cfg, hash);
  if (f.campaign == nullptr) return error_response(404, "Not found");
  json::object o = specs(cfg, *f.campaign, *f.supplier);
  if (req.header("Accept").find("application/json") != std::string_view::npos)
    return json_response(200, json::serialize(o));
  Response r = json_response(200, html(o));
  r.content_type = "text/html; charset=utf-8";
  return r;
}

}  // namespace pp::api
