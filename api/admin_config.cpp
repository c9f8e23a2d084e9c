#include "api/admin_config.h"

#include <algorithm>

#include "core/hash.h"
#include "core/text.h"
#include "core/time.h"

namespace pp::api {

namespace json = boost::json;
using config::EntityKind;
using config::EntityRef;
using engine::ChangeResult;
using engine::ConfigService;

namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  for (std::string_view s : split(path.substr(std::string_view("/admin/").size()), "/"))
    out.push_back(s);
  return out;
}

std::optional<int64_t> positive_id(std::string_view s) {
  auto v = parse_int(s);
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

Response with_etag(Response r, uint64_t version) {
  r.headers.emplace_back("ETag", "\"" + std::to_string(version) + "\"");
  return r;
}

Response json_doc(int status, const json::value& v, uint64_t version) {
  return with_etag(json_response(status, config::serialize(v)), version);
}

// If-Match: "12", 12, W/"12" or *. nullopt: no precondition. A header that names no version can
// never match (0).
std::optional<uint64_t> if_match(const Request& req) {
  std::string_view h = trim(req.header("If-Match"));
  if (h.empty() || h == "*") return std::nullopt;
  if (h.rfind("W/", 0) == 0) h.remove_prefix(2);
  if (h.size() >= 2 && h.front() == '"' && h.back() == '"') h = h.substr(1, h.size() - 2);
  auto v = parse_int(h);
  return v && *v > 0 ? uint64_t(*v) : 0;
}

Response render(const ChangeResult& r) {
  if (!r.ok()) {
    Response e = r.details.empty() ? error_response(r.http_status, r.message)
                                   : error_response(r.http_status, r.message, r.details);
    return r.version ? with_etag(std::move(e), r.version) : e;
  }
  if (r.entity.is_null()) {
    json::object o;
    o["status"] = "ok";
    o["version"] = r.version;
    return json_doc(r.http_status, o, r.version);
  }
  return json_doc(r.http_status, r.entity, r.version);
}

ChangeResult refused(int status, std::string message,
                     std::vector<std::pair<std::string, std::string>> details = {}) {
  ChangeResult r;
  r.http_status = status;
  r.message = std::move(message);
  r.details = std::move(details);
  return r;
}

std::string entity_name(const EntityRef& ref) {
  std::string n(config::to_string(ref.kind));
  n[0] = char(std::toupper(uint8_t(n[0])));
  return n + " " + std::to_string(ref.id);
}

// The body of a write: a JSON object (or, for PATCH, any JSON value).
std::optional<json::value> body_json(const Request& req, bool object_only, Response& err) {
  std::string perr;
  auto v = config::parse(req.body, perr);
  if (!v) {
    err = error_response(400, "Malformed JSON body: " + perr);
    return std::nullopt;
  }
  if (object_only && !v->is_object()) {
    err = error_response(400, "The body must be a JSON object");
    return std::nullopt;
  }
  return v;
}

// An entity document's id: 0 when absent, -1 when not an integer (the validator says why).
int64_t id_of(const json::value& v) {
  const json::value* id = v.is_object() ? v.as_object().if_contains("id") : nullptr;
  if (id == nullptr) return 0;
  return id->is_int64() || id->is_uint64() ? config::int_of(id) : -1;
}

bool id_in_use(const json::object& doc, EntityKind kind, int64_t id) {
  if (kind != EntityKind::kSupplier && kind != EntityKind::kBuyer)
    return config::get_entity(doc, EntityRef{kind, 0, id, {}}) != nullptr;
  const json::value* cs = doc.if_contains("campaigns");
  if (cs == nullptr || !cs->is_array()) return false;
  for (const auto& c : cs->as_array()) {
    if (config::get_entity(doc, EntityRef{kind, id_of(c), id, {}})) return true;
  }
  return false;
}

bool campaign_missing(const json::object& doc, const EntityRef& ref) {
  return (ref.kind == EntityKind::kSupplier || ref.kind == EntityKind::kBuyer) &&
         config::get_entity(doc, EntityRef{EntityKind::kCampaign, 0, ref.campaign_id, {}}) ==
             nullptr;
}

bool is_archived(const json::value& e) {
  return e.is_object() && config::flag_of(e.as_object(), "archived");
}

// ?archived=1: archived entities are listed, read and changed too.
bool query_flag(const Request& req, std::string_view name) {
  auto q = parse_form(req.query);
  if (!q) return false;
  for (const auto& [k, v] : *q)
    if (k == name && (v == "1" || v == "true")) return true;
  return false;
}

bool with_archived(const Request& req) { return query_flag(req, "archived"); }

// A campaign without its supplier and buyer documents, with their counts (the console's list:
// `GET /admin/campaigns?summary=1` stays small however many buyers campaigns have).
json::object campaign_summary(const json::object& c) {
  json::object out;
  for (const auto& kv : c) {
    if (kv.key() == "suppliers" || kv.key() == "buyers") continue;
    out.emplace(kv.key(), kv.value());
  }
  int64_t suppliers = 0, buyers = 0, paused = 0;
  if (const json::value* s = c.if_contains("suppliers"); s && s->is_array())
    for (const auto& e : s->as_array()) suppliers += !is_archived(e);
  if (const json::value* b = c.if_contains("buyers"); b && b->is_array())
    for (const auto& e : b->as_array())
      if (!is_archived(e)) {
        ++buyers;
        paused += e.is_object() && config::flag_of(e.as_object(), "paused");
      }
  out["suppliers_count"] = suppliers;
  out["buyers_count"] = buyers;
  out["paused_buyers_count"] = paused;
  return out;
}

// An entity that can have leads: a campaign, or a campaign's supplier or buyer.
bool holds_leads(EntityKind k) {
  return k == EntityKind::kCampaign || k == EntityKind::kSupplier || k == EntityKind::kBuyer;
}

// POST to a list: creates the entity (its id given, or the next free one).
Response create(ConfigService& svc, const Request& req, const ApiTokenConfig& token,
                EntityRef ref) {
  Response err;
  auto body = body_json(req, true, err);
  if (!body) return err;
  ConfigService::Change c;
  c.op = "create";
  c.actor = token.name;
  c.if_match = if_match(req);
  c.ref = ref;
  c.edit = [&](json::object& doc, EntityRef& touched) -> std::optional<ChangeResult> {
    if (campaign_missing(doc, ref))
      return refused(404, "Campaign " + std::to_string(ref.campaign_id) + " not found");
    json::object& e = body->as_object();
    if (!e.contains("id")) e["id"] = config::next_entity_id(doc, ref.kind);
    ref.id = id_of(*body);
    if (ref.id <= 0)
      return refused(400, "Invalid document", {{"$.id", "must be a positive integer"}});
    if (id_in_use(doc, ref.kind, ref.id)) return refused(409, entity_name(ref) + " already exists");
    config::set_entity(doc, ref, &*body);
    touched = ref;
    return std::nullopt;
  };
  return render(svc.apply(c));
}

// PUT, PATCH or DELETE on one entity.
Response modify(ConfigService& svc, const Request& req, const ApiTokenConfig& token,
                const EntityRef& ref) {
  std::optional<json::value> body;
  Response err;
  if (req.method != "DELETE") {
    body = body_json(req, req.method == "PUT", err);
    if (!body) return err;
  }
  // Deleting what has leads archives it: kept for reports, gone from routing and lists.
  const bool archive =
      req.method == "DELETE" && holds_leads(ref.kind) &&
      svc.campaign_has_leads(ref.kind == EntityKind::kCampaign ? ref.id : ref.campaign_id);
  const bool archived_too = with_archived(req);
  ConfigService::Change c;
  c.ref = ref;
  c.op = req.method == "PUT"     ? "replace"
         : req.method == "PATCH" ? "patch"
         : archive               ? "archive"
                                 : "delete";
  c.actor = token.name;
  c.if_match = if_match(req);
  c.edit = [&](json::object& doc, EntityRef&) -> std::optional<ChangeResult> {
    const json::object* now = config::get_entity(doc, ref);
    if (now == nullptr || (is_archived(*now) && !archived_too))
      return refused(404, entity_name(ref) + " not found");
    json::value next = *now;
    if (req.method == "DELETE") {
      if (!archive) {
        config::set_entity(doc, ref, nullptr);
        return std::nullopt;
      }
      next.as_object()["archived"] = true;
    } else if (req.method == "PUT") {
      next = *body;
      if (!next.as_object().contains("id")) next.as_object()["id"] = ref.id;
    } else {
      config::merge_patch(next, *body);
      if (!next.is_object()) return refused(400, "A merge patch of an entity must be an object");
    }
    if (id_of(next) != ref.id)
      return refused(400, "Invalid document",
                     {{"$.id", "must be " + std::to_string(ref.id) + ", the id in the URL"}});
    config::set_entity(doc, ref, &next);
    return std::nullopt;
  };
  ChangeResult r = svc.apply(c);
  if (r.ok() && req.method == "DELETE") r.entity = nullptr;  // answered with the version
  return render(r);
}

Response list_or_one(const ConfigService& svc, const Request& req, const EntityRef& ref, bool one,
                     const ApiTokenConfig& token) {
  engine::ConfigState st = svc.current();
  const json::object& doc = *st.document;
  const bool archived_too = with_archived(req);
  if (one) {
    const json::object* e = config::get_entity(doc, ref);
    if (e == nullptr || (is_archived(*e) && !archived_too))
      return with_etag(error_response(404, entity_name(ref) + " not found"), st.version);
    if (ref.kind == EntityKind::kCampaign && query_flag(req, "summary"))
      return json_doc(200, campaign_summary(*e), st.version);
    return json_doc(200, *e, st.version);
  }
  if (campaign_missing(doc, ref))
    return error_response(404, "Campaign " + std::to_string(ref.campaign_id) + " not found");
  const json::value* list = nullptr;
  if (ref.kind == EntityKind::kSupplier || ref.kind == EntityKind::kBuyer) {
    const json::object* c =
        config::get_entity(doc, EntityRef{EntityKind::kCampaign, 0, ref.campaign_id, {}});
    list = c->if_contains(ref.kind == EntityKind::kBuyer ? "buyers" : "suppliers");
  } else {
    list = doc.if_contains(ref.kind == EntityKind::kClient    ? "clients"
                           : ref.kind == EntityKind::kList    ? "lists"
                           : ref.kind == EntityKind::kWebhook ? "webhooks"
                                                              : "campaigns");
  }
  const bool summary = ref.kind == EntityKind::kCampaign && query_flag(req, "summary");
  json::array out;
  if (list && list->is_array()) {
    for (const auto& e : list->as_array())
      if ((archived_too || !is_archived(e)) &&
          (ref.kind != EntityKind::kCampaign || token.sees(id_of(e))))
        out.push_back(summary && e.is_object() ? json::value(campaign_summary(e.as_object())) : e);
  }
  return json_doc(200, out, st.version);
}

Response changes(const ConfigService& svc, const Request& req) {
  auto q = parse_form(req.query);
  if (!q) return error_response(400, "Invalid query string");
  std::vector<std::pair<std::string, std::string>> problems;
  uint64_t since = 0;
  size_t limit = 100;
  std::optional<EntityKind> kind;
  std::string id;
  // before_version=N (or order=newest): newest first, versions below N (the console's pages).
  bool newest_first = false;
  for (const auto& [k, v] : *q) {
    if (k == "since_version" || k == "before_version") {
      auto n = parse_int(v);
      if (!n || *n < 0 || (k == "before_version" && *n < 1))
        problems.emplace_back(k, "must be a version number");
      else
        since = uint64_t(*n);
      if (k == "before_version") newest_first = true;
    } else if (k == "order") {
      if (v == "newest")
        newest_first = true;
      else if (v != "oldest")
        problems.emplace_back(k, "must be oldest or newest");
    } else if (k == "limit") {
      auto n = parse_int(v);
      if (!n || *n < 1 || *n > 1000)
        problems.emplace_back(k, "must be between 1 and 1000");
      else
        limit = size_t(*n);
    } else if (k == "entity") {
      kind = config::parse_entity_kind(v);
      if (!kind)
        problems.emplace_back(k,
                              "must be config, client, campaign, supplier, buyer, token or list");
    } else if (k == "id") {
      id = v;
    } else {
      problems.emplace_back(k, "unknown parameter");
    }
  }
  if (!id.empty() && !kind) problems.emplace_back("id", "needs entity");
  if (newest_first)
    for (const auto& [k, v] : *q)
      if (k == "since_version") problems.emplace_back(k, "pages oldest first: use before_version");
  if (!problems.empty()) return error_response(400, "Invalid parameters", problems);
  ConfigService::ChangesPage page = svc.changes(since, limit, kind, id, newest_first);
  if (!page.status.ok()) return storage_error();
  std::string body = "{\"changes\":[";
  for (size_t i = 0; i < page.entries.size(); ++i) {
    if (i) body += ",";
    body += page.entries[i];
  }
  body += newest_first ? "],\"next_before_version\":" : "],\"next_since_version\":";
  body += page.next ? std::to_string(*page.next) : "null";
  body += "}";
  return with_etag(json_response(200, std::move(body)), svc.current().version);
}

Response whole_config(ConfigService& svc, const Request& req, const ApiTokenConfig& token) {
  if (req.method == "GET") {
    engine::ConfigState st = svc.current();
    Response r = with_etag(json_response(200, config::pretty(*st.document)), st.version);
    return r;
  }
  Response err;
  auto body = body_json(req, true, err);
  if (!body) return err;
  ChangeResult r = svc.apply(ConfigService::replace_all("config", token.name, if_match(req),
                                                        std::move(body->as_object())));
  r.entity = nullptr;  // answered with the new version only
  return render(r);
}

Response rollback(ConfigService& svc, const Request& req, const ApiTokenConfig& token) {
  Response err;
  auto body = body_json(req, true, err);
  if (!body) return err;
  const json::value* v = body->as_object().if_contains("version");
  if (v == nullptr || config::int_of(v) <= 0)
    return error_response(400, "Invalid body", {{"version", "must be a version number"}});
  ChangeResult r = svc.rollback(uint64_t(config::int_of(v)), token.name, if_match(req));
  r.entity = nullptr;
  return render(r);
}

// A token as GET /admin/tokens shows it: never its hash.
json::object token_view(const json::object& t, TokenUsage& usage) {
  json::object o;
  for (const char* k : {"name", "role", "campaigns", "expires_at"})
    if (const json::value* v = t.if_contains(k)) o[k] = *v;
  if (!o.contains("role")) o["role"] = "read";
  const json::value* h = t.if_contains("token_sha256");
  auto used = h && h->is_string() ? usage.last_used(std::string(h->as_string())) : std::nullopt;
  o["last_used_at"] = used ? json::value(format_utc(*used)) : json::value(nullptr);
  return o;
}

// /admin/tokens[/{name}] (admins): list, read, create (the token is answered once, only its hash
// is stored), replace or patch (role, campaigns, expires_at; the secret stays), revoke (at once:
// the next request is refused).
Response tokens_route(ConfigService& svc, const Request& req, const ApiTokenConfig& token,
                      TokenUsage& usage, const std::vector<std::string_view>& seg) {
  const std::string& m = req.method;
  engine::ConfigState st = svc.current();
  if (seg.size() > 2) return error_response(404, "Not found");
  EntityRef ref{EntityKind::kToken, 0, 0, seg.size() == 2 ? url_decode(seg[1]).value_or("") : ""};
  if (seg.size() == 1 && m == "GET") {
    json::array out;
    if (const json::value* ts = st.document->if_contains("api_tokens"); ts && ts->is_array())
      for (const auto& t : ts->as_array())
        if (t.is_object()) out.push_back(token_view(t.as_object(), usage));
    return json_doc(200, out, st.version);
  }
  if (seg.size() == 2 && m == "GET") {
    const json::object* t = config::get_entity(*st.document, ref);
    if (t == nullptr) return error_response(404, "Token not found");
    return json_doc(200, token_view(*t, usage), st.version);
  }
  std::optional<json::value> body;
  Response err;
  if (m == "POST" || m == "PATCH" || m == "PUT") {
    body = body_json(req, true, err);
    if (!body) return err;
    for (const char* k : {"token", "token_sha256"})
      if (body->as_object().contains(k))
        return error_response(400, "Invalid document",
                              {{std::string("$.") + k, "tokens are made here, never given"}});
  }
  std::string secret;
  ConfigService::Change c;
  c.actor = token.name;
  c.if_match = if_match(req);
  if (seg.size() == 1 && m == "POST") {
    const json::value* name = body->as_object().if_contains("name");
    if (name == nullptr || !name->is_string())
      return error_response(400, "Invalid document", {{"$.name", "is required"}});
    ref.name = std::string(name->as_string());
    secret = random_token();
    body->as_object()["token_sha256"] = sha256_hex(secret);
    c.op = "create";
  } else if (seg.size() == 2 && (m == "PUT" || m == "PATCH" || m == "DELETE")) {
    c.op = m == "PUT" ? "replace" : m == "PATCH" ? "patch" : "revoke";
  } else {
    return method_not_allowed(seg.size() == 1 ? "GET, POST" : "GET, PUT, PATCH, DELETE");
  }
  c.ref = ref;
  c.edit = [&](json::object& doc, EntityRef&) -> std::optional<ChangeResult> {
    const json::object* now = config::get_entity(doc, ref);
    if (m == "POST") {
      if (now) return refused(409, "Token " + ref.name + " already exists");
      config::set_entity(doc, ref, &*body);
      return std::nullopt;
    }
    if (now == nullptr) return refused(404, "Token not found");
    if (m == "DELETE") {
      config::set_entity(doc, ref, nullptr);
      return std::nullopt;
    }
    json::value next = *now;
    if (m == "PUT") {
      // The whole token but its secret, which stays: a replaced token keeps working.
      next = *body;
      next.as_object()["token_sha256"] = now->at("token_sha256");
      if (!next.as_object().contains("name")) next.as_object()["name"] = ref.name;
    } else {
      config::merge_patch(next, *body);
    }
    const json::value* n = next.as_object().if_contains("name");
    if (n == nullptr || !n->is_string() || n->as_string() != ref.name)
      return refused(400, "Invalid document", {{"$.name", "must stay " + ref.name}});
    config::set_entity(doc, ref, &next);
    return std::nullopt;
  };
  ChangeResult r = svc.apply(c);
  if (!r.ok()) return render(r);
  if (m == "DELETE") {
    r.entity = nullptr;
    return render(r);
  }
  json::object view = token_view(r.entity.as_object(), usage);
  if (!secret.empty()) view["token"] = secret;  // shown this once
  return json_doc(r.http_status, view, r.version);
}

}  // namespace

bool is_config_route(std::string_view path) {
  for (std::string_view p :
       {"/admin/config", "/admin/changes", "/admin/clients", "/admin/campaigns", "/admin/tokens",
        "/admin/lists", "/admin/webhooks"}) {
    if (path.rfind(p, 0) == 0 && (path.size() == p.size() || path[p.size()] == '/')) return true;
  }
  return false;
}

Response config_route(ConfigService& svc, const Request& req, const ApiTokenConfig& token,
                      TokenUsage& usage) {
  const std::vector<std::string_view> seg = segments(req.path);
  const std::string& m = req.method;
  const bool write = m != "GET";
  const bool limited = !token.campaigns.empty();
  // Tokens, clients and the whole document are the account's: admins change them, and a token
  // limited to some campaigns does not even read them.
  // Suppression lists are the account's too; editors change them.
  if (seg[0] == "lists" && limited)
    return error_response(403, "Forbidden: this token is limited to some campaigns");
  // Webhooks send the account's events (lead data with include_lead) anywhere: admins change them.
  if (seg[0] == "webhooks") {
    if (limited) return error_response(403, "Forbidden: this token is limited to some campaigns");
    if (write && token.role != Role::kAdmin)
      return error_response(403, "Forbidden: only an admin token changes webhooks");
  }
  if (seg[0] == "tokens" || seg[0] == "config" || seg[0] == "changes" || seg[0] == "clients") {
    if (limited) return error_response(403, "Forbidden: this token is limited to some campaigns");
    if ((write || seg[0] == "tokens") && token.role != Role::kAdmin)
      return error_response(403, "Forbidden: this token cannot change the account's settings");
  } else if (write && !token.may_change()) {
    return error_response(403, "Forbidden: this token cannot change the configuration");
  }
  if (seg[0] == "tokens") return tokens_route(svc, req, token, usage, seg);
  if (seg.size() == 1 && seg[0] == "config") {
    if (m != "GET" && m != "PUT") return method_not_allowed("GET, PUT");
    return whole_config(svc, req, token);
  }
  if (seg.size() == 2 && seg[0] == "config" && seg[1] == "rollback") {
    if (m != "POST") return method_not_allowed("POST");
    return rollback(svc, req, token);
  }
  if (seg.size() == 1 && seg[0] == "changes") {
    if (m != "GET") return method_not_allowed("GET");
    return changes(svc, req);
  }
  // A limited token: its campaigns only (others are not found); it creates none.
  if (limited && seg[0] == "campaigns") {
    if (seg.size() == 1 && m == "POST")
      return error_response(403, "Forbidden: this token is limited to some campaigns");
    if (seg.size() >= 2) {
      auto cid = positive_id(seg[1]);
      if (!cid || !token.sees(*cid)) return error_response(404, "Campaign not found");
    }
  }
  // Entities: clients/{id}, campaigns/{id}, campaigns/{id}/suppliers|buyers/{id}.
  EntityRef ref;
  bool one = false;
  if (seg[0] == "clients" && seg.size() <= 2) {
    ref.kind = EntityKind::kClient;
    one = seg.size() == 2;
  } else if (seg[0] == "lists" && seg.size() <= 2) {
    ref.kind = EntityKind::kList;
    one = seg.size() == 2;
  } else if (seg[0] == "webhooks" && seg.size() <= 2) {
    ref.kind = EntityKind::kWebhook;
    one = seg.size() == 2;
  } else if (seg[0] == "campaigns" && seg.size() <= 2) {
    ref.kind = EntityKind::kCampaign;
    one = seg.size() == 2;
  } else if (seg[0] == "campaigns" && seg.size() <= 4 &&
             (seg[2] == "suppliers" || seg[2] == "buyers")) {
    ref.kind = seg[2] == "buyers" ? EntityKind::kBuyer : EntityKind::kSupplier;
    auto cid = positive_id(seg[1]);
    if (!cid) return error_response(404, "Campaign not found");
    ref.campaign_id = *cid;
    one = seg.size() == 4;
  } else {
    return error_response(404, "Not found");
  }
  if (one) {
    auto id = positive_id(seg.back());
    if (!id) return error_response(404, "Not found");
    ref.id = *id;
    if (m == "GET") return list_or_one(svc, req, ref, true, token);
    if (m == "PUT" || m == "PATCH" || m == "DELETE") return modify(svc, req, token, ref);
    return method_not_allowed("GET, PUT, PATCH, DELETE");
  }
  if (m == "GET") return list_or_one(svc, req, ref, false, token);
  if (m == "POST") return create(svc, req, token, ref);
  return method_not_allowed("GET, POST");
}

}  // namespace pp::api
