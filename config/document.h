#pragma once
// The configuration as a document (issue 14): the configuration file's JSON, which the store
// keeps and the admin API edits. Every entity the API serves — a client, a campaign, a supplier, a
// buyer, an API token — is exactly its object in this document, so the file and the API share one
// schema and one validator (core/config.h load_config), with the same messages.
//
// Pure functions over boost::json values: no I/O, no engine.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pp::config {

namespace json = boost::json;

enum class EntityKind : uint8_t {
  kConfig,
  kClient,
  kCampaign,
  kSupplier,
  kBuyer,
  kToken,
  kList,
  kWebhook,
};
std::string_view to_string(EntityKind k);  // "config", "client", "campaign", "supplier", ...
std::optional<EntityKind> parse_entity_kind(std::string_view s);

// Where an entity lives: suppliers and buyers within a campaign; tokens by name.
struct EntityRef {
  EntityKind kind = EntityKind::kConfig;
  int64_t campaign_id = 0;  // suppliers, buyers
  int64_t id = 0;           // clients, campaigns, suppliers, buyers
  std::string name;         // tokens
};

// An integer member's value (0 when absent or not an integer).
int64_t int_of(const json::value* v);
// Whether a member is `true` (false when absent or not a boolean).
bool flag_of(const json::object& o, std::string_view key);

// Parses a JSON document (comments and trailing commas allowed, as in the file); nullopt and
// `error` when it is not JSON.
std::optional<json::value> parse(std::string_view text, std::string& error);

// Replaces plain secrets by their SHA-256 (suppliers' lp_key -> lp_key_sha256, tokens' token ->
// token_sha256): the stored and served document never holds a secret.
void hash_secrets(json::object& doc);

// The array that holds entities of `ref.kind` (for suppliers and buyers, in the campaign
// ref.campaign_id); null when the campaign does not exist. Created empty when missing.
json::array* entity_array(json::object& doc, const EntityRef& ref);
// Index of the entity in its array, if present.
std::optional<size_t> find_entity(const json::array& list, const EntityRef& ref);
// The entity's index in its array, if present.
std::optional<size_t> entity_index(const json::object& doc, const EntityRef& ref);
// The entity, or null.
const json::object* get_entity(const json::object& doc, const EntityRef& ref);
// The document path of an entity ("$.campaigns[2].buyers[0]"), as the validator reports it.
std::string entity_path(const json::object& doc, const EntityRef& ref);
// The id an entity document carries (its "id", or a token's "name").
bool entity_matches(const json::object& entity, const EntityRef& ref);

// The next free id for a new entity of `kind`: the highest in use + 1 (supplier and buyer ids are
// unique across campaigns).
int64_t next_entity_id(const json::object& doc, EntityKind kind);

// Puts `value` as the entity (replacing it in place, or inserting it at `index`, else at the end);
// removes it when `value` is null. False when its array cannot exist (no such campaign).
bool set_entity(json::object& doc, const EntityRef& ref, const json::value* value,
                std::optional<size_t> index = std::nullopt);

// JSON Merge Patch (RFC 7396): objects merge key by key, null removes, anything else replaces.
void merge_patch(json::value& target, const json::value& patch);

// Settings that apply only when the server starts (edge limits, the outbound client's trust and
// address policy): the dotted names that differ between two documents.
std::vector<std::string> start_only_changes(const json::object& before, const json::object& after);

// Compact serialisation (what the store keeps) and an indented one (what GET /admin/config serves,
// usable as --config).
std::string serialize(const json::value& v);
std::string pretty(const json::value& v);

}  // namespace pp::config
