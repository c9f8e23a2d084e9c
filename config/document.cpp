#include "config/document.h"

#include <algorithm>

#include "core/hash.h"

namespace pp::config {

std::string_view to_string(EntityKind k) {
  switch (k) {
    case EntityKind::kConfig:
      return "config";
    case EntityKind::kClient:
      return "client";
    case EntityKind::kCampaign:
      return "campaign";
    case EntityKind::kSupplier:
      return "supplier";
    case EntityKind::kBuyer:
      return "buyer";
    case EntityKind::kToken:
      return "token";
    case EntityKind::kList:
      return "list";
    case EntityKind::kWebhook:
      return "webhook";
  }
  return "config";
}

std::optional<EntityKind> parse_entity_kind(std::string_view s) {
  for (EntityKind k :
       {EntityKind::kConfig, EntityKind::kClient, EntityKind::kCampaign, EntityKind::kSupplier,
        EntityKind::kBuyer, EntityKind::kToken, EntityKind::kList, EntityKind::kWebhook}) {
    if (to_string(k) == s) return k;
  }
  return std::nullopt;
}

int64_t int_of(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return int64_t(v->as_uint64());
  return 0;
}

bool flag_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

std::optional<json::value> parse(std::string_view text, std::string& error) {
  boost::system::error_code ec;
  json::parse_options po;
  po.allow_comments = true;
  po.allow_trailing_commas = true;
  po.max_depth = 64;
  json::value v = json::parse(text, ec, {}, po);
  if (ec) {
    error = "not valid JSON: " + ec.message();
    return std::nullopt;
  }
  return v;
}

namespace {

void hash_key(json::object& o, std::string_view plain, std::string_view hashed) {
  auto it = o.find(plain);
  if (it == o.end() || !it->value().is_string() || o.contains(hashed)) return;
  std::string h = sha256_hex(std::string_view(it->value().as_string()));
  // Keep the key's place: the hash goes where the plain value was.
  it->value() = json::string(h);
  json::object out;
  for (auto& [k, v] : o) out[k == plain ? hashed : std::string_view(k)] = std::move(v);
  o = std::move(out);
}

json::array* array_at(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (v.is_null()) v = json::array();
  return v.if_array();
}

std::string_view array_key(EntityKind k) {
  switch (k) {
    case EntityKind::kClient:
      return "clients";
    case EntityKind::kCampaign:
      return "campaigns";
    case EntityKind::kSupplier:
      return "suppliers";
    case EntityKind::kBuyer:
      return "buyers";
    case EntityKind::kToken:
      return "api_tokens";
    case EntityKind::kList:
      return "lists";
    case EntityKind::kWebhook:
      return "webhooks";
    case EntityKind::kConfig:
      break;
  }
  return {};
}

bool in_campaign(EntityKind k) { return k == EntityKind::kSupplier || k == EntityKind::kBuyer; }

}  // namespace

void hash_secrets(json::object& doc) {
  if (json::value* ts = doc.if_contains("api_tokens"); ts && ts->is_array()) {
    for (auto& t : ts->as_array())
      if (t.is_object()) hash_key(t.as_object(), "token", "token_sha256");
  }
  if (json::value* cs = doc.if_contains("campaigns"); cs && cs->is_array()) {
    for (auto& c : cs->as_array()) {
      if (!c.is_object()) continue;
      if (json::value* bs = c.as_object().if_contains("buyers"); bs && bs->is_array())
        for (auto& b : bs->as_array())
          if (b.is_object())
            if (json::value* pull = b.as_object().if_contains("pull"); pull && pull->is_object())
              hash_key(pull->as_object(), "key", "key_sha256");
      json::value* ss = c.as_object().if_contains("suppliers");
      if (ss == nullptr || !ss->is_array()) continue;
      for (auto& s : ss->as_array())
        if (s.is_object()) hash_key(s.as_object(), "lp_key", "lp_key_sha256");
    }
  }
}

bool entity_matches(const json::object& e, const EntityRef& ref) {
  if (ref.kind == EntityKind::kToken) {
    const json::value* n = e.if_contains("name");
    return n && n->is_string() && n->as_string() == ref.name;
  }
  return int_of(e.if_contains("id")) == ref.id && e.contains("id");
}

std::optional<size_t> find_entity(const json::array& list, const EntityRef& ref) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].is_object() && entity_matches(list[i].as_object(), ref)) return i;
  }
  return std::nullopt;
}

json::array* entity_array(json::object& doc, const EntityRef& ref) {
  if (ref.kind == EntityKind::kConfig) return nullptr;
  if (!in_campaign(ref.kind)) return array_at(doc, array_key(ref.kind));
  json::array* campaigns = array_at(doc, "campaigns");
  if (campaigns == nullptr) return nullptr;
  auto at = find_entity(*campaigns, EntityRef{EntityKind::kCampaign, 0, ref.campaign_id, {}});
  if (!at) return nullptr;
  return array_at((*campaigns)[*at].as_object(), array_key(ref.kind));
}

namespace {

// The array holding entities of `ref.kind`, read-only (null when it or the campaign is missing).
const json::array* find_array(const json::object& doc, const EntityRef& ref) {
  const json::object* owner = &doc;
  if (in_campaign(ref.kind)) {
    const json::value* cs = doc.if_contains("campaigns");
    if (cs == nullptr || !cs->is_array()) return nullptr;
    auto at = find_entity(cs->as_array(), EntityRef{EntityKind::kCampaign, 0, ref.campaign_id, {}});
    if (!at) return nullptr;
    owner = &cs->as_array()[*at].as_object();
  }
  const json::value* v = owner->if_contains(array_key(ref.kind));
  return v ? v->if_array() : nullptr;
}

}  // namespace

std::optional<size_t> entity_index(const json::object& doc, const EntityRef& ref) {
  const json::array* list = find_array(doc, ref);
  return list ? find_entity(*list, ref) : std::nullopt;
}

const json::object* get_entity(const json::object& doc, const EntityRef& ref) {
  const json::array* list = find_array(doc, ref);
  if (list == nullptr) return nullptr;
  auto i = find_entity(*list, ref);
  return i ? &(*list)[*i].as_object() : nullptr;
}

std::string entity_path(const json::object& doc, const EntityRef& ref) {
  if (ref.kind == EntityKind::kConfig) return "$";
  auto i = entity_index(doc, ref);
  if (!i) return "$";
  std::string prefix = "$";
  if (in_campaign(ref.kind)) {
    // The campaign exists: entity_index found the entity in it.
    auto at = entity_index(doc, EntityRef{EntityKind::kCampaign, 0, ref.campaign_id, {}});
    prefix += ".campaigns[" + std::to_string(*at) + "]";
  }
  return prefix + "." + std::string(array_key(ref.kind)) + "[" + std::to_string(*i) + "]";
}

int64_t next_entity_id(const json::object& doc, EntityKind kind) {
  int64_t top = 0;
  auto scan = [&](const json::value* list) {
    if (list == nullptr || !list->is_array()) return;
    for (const auto& e : list->as_array())
      if (e.is_object()) top = std::max(top, int_of(e.as_object().if_contains("id")));
  };
  const json::value* cs = doc.if_contains("campaigns");
  if (kind == EntityKind::kClient) scan(doc.if_contains("clients"));
  if (kind == EntityKind::kList) scan(doc.if_contains("lists"));
  if (kind == EntityKind::kWebhook) scan(doc.if_contains("webhooks"));
  if (kind == EntityKind::kCampaign) scan(cs);
  if (in_campaign(kind) && cs && cs->is_array()) {
    for (const auto& c : cs->as_array())
      if (c.is_object()) scan(c.as_object().if_contains(array_key(kind)));
  }
  return top + 1;
}

bool set_entity(json::object& doc, const EntityRef& ref, const json::value* value,
                std::optional<size_t> index) {
  json::array* list = entity_array(doc, ref);
  if (list == nullptr) return false;
  auto at = find_entity(*list, ref);
  if (value == nullptr) {
    if (at) list->erase(list->begin() + std::ptrdiff_t(*at));
    return true;
  }
  if (at) {
    (*list)[*at] = *value;
  } else if (index && *index <= list->size()) {
    list->insert(list->begin() + std::ptrdiff_t(*index), *value);
  } else {
    list->push_back(*value);
  }
  return true;
}

void merge_patch(json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  json::object& t = target.as_object();
  for (const auto& [k, v] : patch.as_object()) {
    if (v.is_null()) {
      t.erase(k);
      continue;
    }
    merge_patch(t[k], v);
  }
}

std::vector<std::string> start_only_changes(const json::object& before, const json::object& after) {
  static const std::pair<std::string_view, std::string_view> kStartOnly[] = {
      {"server", "body_limit_bytes"},
      {"server", "header_limit_bytes"},
      {"server", "read_timeout_ms"},
      {"server", "idle_timeout_ms"},
      {"server", "max_connections"},
      {"server", "max_requests_per_connection"},
      {"server", "sandbox"},
      {"server", "upload_limit_bytes"},
      {"outbound", "ca_file"},
      {"outbound", "allow_private_networks"},
      {"jobs", "threads"},
      {"jobs", "download_window_days"},
  };
  auto value_of = [](const json::object& doc, std::string_view section,
                     std::string_view key) -> const json::value* {
    const json::value* s = doc.if_contains(section);
    if (s == nullptr || !s->is_object()) return nullptr;
    return s->as_object().if_contains(key);
  };
  std::vector<std::string> out;
  for (auto [section, key] : kStartOnly) {
    const json::value* a = value_of(before, section, key);
    const json::value* b = value_of(after, section, key);
    bool same = (a == nullptr && b == nullptr) || (a && b && *a == *b);
    if (!same) out.push_back(std::string(section) + "." + std::string(key));
  }
  return out;
}

std::string serialize(const json::value& v) { return json::serialize(v); }

namespace {

void pretty_into(std::string& out, const json::value& v, int indent) {
  const std::string pad(size_t(indent) * 2, ' ');
  const std::string inner(size_t(indent + 1) * 2, ' ');
  if (v.is_object()) {
    const json::object& o = v.as_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    size_t n = 0;
    for (const auto& [k, x] : o) {
      out += inner + json::serialize(json::string(k)) + ": ";
      pretty_into(out, x, indent + 1);
      out += ++n < o.size() ? ",\n" : "\n";
    }
    out += pad + "}";
  } else if (v.is_array()) {
    const json::array& a = v.as_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < a.size(); ++i) {
      out += inner;
      pretty_into(out, a[i], indent + 1);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    out += pad + "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string pretty(const json::value& v) {
  std::string out;
  pretty_into(out, v, 0);
  out += "\n";
  return out;
}

}  // namespace pp::config
