#include "engine/config_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "core/config.h"
#include "engine/day_rows.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/reports.h"

namespace pp::engine {

namespace json = boost::json;
using config::EntityKind;
using config::EntityRef;

namespace {

// "$.campaigns[0].buyers[1].post.url: must start with http" -> (path, problem). An entity's own
// problems are reported relative to the entity document ("$.post.url") when `entity_path` is
// given; problems elsewhere keep their document path.
std::pair<std::string, std::string> split_problem(const std::string& e,
                                                  const std::string& entity_path) {
  size_t colon = e.find(": ");
  std::string path = colon == std::string::npos ? "$" : e.substr(0, colon);
  std::string what = colon == std::string::npos ? e : e.substr(colon + 2);
  if (entity_path != "$" && path.rfind(entity_path, 0) == 0 &&
      (path.size() == entity_path.size() || path[entity_path.size()] == '.' ||
       path[entity_path.size()] == '['))
    path = "$" + path.substr(entity_path.size());
  return {path, what};
}

// Problems by path, several at one path joined.
void add_problem(std::vector<std::pair<std::string, std::string>>& out, std::string path,
                 std::string what) {
  for (auto& [p, w] : out) {
    if (p == path) {
      w += "; " + what;
      return;
    }
  }
  out.emplace_back(std::move(path), std::move(what));
}

ChangeResult invalid(std::vector<std::pair<std::string, std::string>> details) {
  ChangeResult r;
  r.http_status = 400;
  r.message = "Invalid configuration: " + std::to_string(details.size()) + " problem(s)";
  r.details = std::move(details);
  return r;
}

json::value entity_value(const json::object& doc, const EntityRef& ref) {
  if (ref.kind == EntityKind::kConfig) return doc;
  const json::object* e = config::get_entity(doc, ref);
  return e ? json::value(*e) : json::value(nullptr);
}

// Validates a whole document: the loader's rules, then the compiler's (templates, mappings).
SnapshotPtr validate(const json::object& doc, uint64_t version, std::vector<std::string>& errors) {
  ConfigLoadResult loaded = load_config_document(doc);
  if (!loaded.config) {
    errors = std::move(loaded.errors);
    return nullptr;
  }
  return Snapshot::build(loaded.config, errors, version);
}

// Data directories from before issue 14 kept pause_buyer / resume_buyer as state flags
// ("pause/<buyer id>") over the configuration's `paused`. They become the document's, once.
// True when the document changed.
bool fold_pause_flags(storage::Store& store, json::object& doc) {
  if (store.get_state("migrated/pause")) return false;
  bool changed = false;
  json::value* cs = doc.if_contains("campaigns");
  if (cs == nullptr || !cs->is_array()) return false;
  for (auto& c : cs->as_array()) {
    json::value* bs = c.is_object() ? c.as_object().if_contains("buyers") : nullptr;
    if (bs == nullptr || !bs->is_array()) continue;
    for (auto& b : bs->as_array()) {
      if (!b.is_object()) continue;
      json::object& bo = b.as_object();
      auto flag = store.get_state("pause/" + std::to_string(config::int_of(bo.if_contains("id"))));
      if (!flag) continue;
      const bool paused = *flag == "1";
      if (config::flag_of(bo, "paused") == paused) continue;
      bo["paused"] = paused;
      changed = true;
    }
  }
  return changed;
}

// Validates a whole document: its snapshot, or null and `refused` (400, problems by path).
SnapshotPtr check(const json::object& doc, const EntityRef& ref, uint64_t version,
                  ChangeResult& refused) {
  std::vector<std::string> errors;
  SnapshotPtr snap = validate(doc, version, errors);
  if (snap) return snap;
  std::vector<std::pair<std::string, std::string>> problems;
  const std::string at = config::entity_path(doc, ref);
  for (const auto& e : errors) {
    auto [path, what] = split_problem(e, at);
    add_problem(problems, std::move(path), std::move(what));
  }
  refused = invalid(std::move(problems));
  return nullptr;
}

}  // namespace

std::string change_entry(uint64_t version, UnixMs at, const std::string& actor,
                         const EntityRef& ref, const std::string& op, const json::value& before,
                         const json::value& after, std::optional<size_t> index) {
  json::object e;
  e["version"] = version;
  e["at"] = format_utc(at);
  e["actor"] = actor;
  e["entity"] = config::to_string(ref.kind);
  if (ref.kind == EntityKind::kSupplier || ref.kind == EntityKind::kBuyer)
    e["campaign_id"] = ref.campaign_id;
  if (ref.kind == EntityKind::kToken)
    e["id"] = ref.name;
  else if (ref.kind != EntityKind::kConfig)
    e["id"] = ref.id;
  e["op"] = op;
  if (index) e["index"] = *index;
  e["before"] = before;
  e["after"] = after;
  return config::serialize(e);
}

std::optional<ConfigService::Start> ConfigService::open(storage::Store& store,
                                                        std::string_view file_text,
                                                        const Clock& clock,
                                                        std::vector<std::string>& errors) {
  storage::Read<storage::ConfigRecord> head = store.read_config();
  if (head.failed()) {
    errors.push_back("cannot read the stored configuration: " + head.status.message);
    return std::nullopt;
  }
  const bool stored = head.found();
  std::string text = stored ? head.value->document : std::string(file_text);
  std::string err;
  auto parsed = config::parse(text, err);
  if (!parsed || !parsed->is_object()) {
    errors.push_back(std::string(stored ? "stored configuration" : "$") + ": " +
                     (parsed ? "must be an object" : err));
    return std::nullopt;
  }
  json::object doc = std::move(parsed->as_object());
  config::hash_secrets(doc);
  const json::object as_stored = doc;
  const bool folded = fold_pause_flags(store, doc);
  const uint64_t version = stored ? head.value->version + (folded ? 1 : 0) : 1;
  SnapshotPtr snap = validate(doc, version, errors);
  if (!snap) {
    if (stored)
      errors.insert(errors.begin(), "the stored configuration (version " + std::to_string(version) +
                                        ") is invalid:");
    return std::nullopt;
  }
  if (!stored || folded) {
    // A new data directory: the file becomes version 1. An old one: its pause flags, a version.
    storage::Status st =
        store.put_config(version, config::serialize(doc),
                         stored ? change_entry(version, clock.now_ms(), "pingpostd", EntityRef{},
                                               "upgrade", as_stored, doc, std::nullopt)
                                : change_entry(1, clock.now_ms(), "--config", EntityRef{}, "seed",
                                               nullptr, doc, std::nullopt));
    if (!st.ok()) {
      errors.push_back("cannot store the configuration: " + st.message);
      return std::nullopt;
    }
  }
  if (!store.get_state("migrated/pause") && !store.put_state("migrated/pause", "1").ok()) {
    errors.push_back("cannot store the configuration's upgrade mark");
    return std::nullopt;
  }
  Start s;
  s.snapshot = std::move(snap);
  s.state.version = version;
  s.state.document = std::make_shared<const json::object>(std::move(doc));
  return s;
}

ConfigService::ConfigService(Engine& engine, storage::Store& store, const Clock& clock,
                             ConfigState initial)
    : engine_(engine), store_(store), clock_(clock), state_(std::move(initial)) {}

bool ConfigService::campaign_has_leads(int64_t campaign) const {
  bool found = false;
  store_.scan_campaign_leads(campaign, 0, std::numeric_limits<int64_t>::max(), std::nullopt,
                             [&](const storage::LeadIndexEntry&) {
                               found = true;
                               return false;
                             });
  return found;
}

ConfigState ConfigService::current() const {
  std::lock_guard lk(mu_);
  return state_;
}

ChangeResult ConfigService::apply(const Change& change) {
  std::lock_guard lk(mu_);
  if (change.if_match && *change.if_match != state_.version) {
    ChangeResult r;
    r.http_status = 412;
    r.message = "The configuration changed since version " + std::to_string(*change.if_match) +
                " (now " + std::to_string(state_.version) + "): read it again";
    r.version = state_.version;
    return r;
  }
  json::object next = *state_.document;
  Change c = change;
  if (auto refused = c.edit(next, c.ref)) {
    refused->version = state_.version;
    return *refused;
  }
  return commit(c, std::move(next));
}

// mu_ held.
ChangeResult ConfigService::commit(const Change& change, json::object next) {
  config::hash_secrets(next);
  const json::object& prev = *state_.document;
  const uint64_t version = state_.version + 1;
  std::vector<std::pair<std::string, std::string>> problems;
  for (const auto& name : config::start_only_changes(prev, next))
    add_problem(problems, "$." + name, "applies only at start: change the file and restart");
  if (!problems.empty()) return invalid(std::move(problems));

  ChangeResult refused;
  SnapshotPtr snap = check(next, change.ref, version, refused);
  if (!snap) return refused;

  // The change-log entry: the entity before and after (the whole document for whole changes),
  // and where it stood (an undone delete goes back to its place).
  json::value before = entity_value(prev, change.ref);
  json::value after = entity_value(next, change.ref);
  std::optional<size_t> index;
  if (change.ref.kind != EntityKind::kConfig) index = config::entity_index(prev, change.ref);
  auto not_stored = [&] {
    ChangeResult r;
    r.http_status = 500;
    r.message = "The change could not be stored; nothing changed. Retry later";
    r.version = state_.version;
    return r;
  };
  const UnixMs now = clock_.now_ms();
  const SnapshotPtr current = engine_.snapshot();
  // A field the change makes searchable has no index entries for the leads before it: searches
  // reaching back before now read leads instead (search_leads). Recorded before the version: a
  // crash in between leaves a record the stored configuration does not need, which only makes a
  // later search read leads it could have found in the index.
  for (const CampaignConfig& c : snap->config().campaigns) {
    const CampaignConfig* old = current ? current->config().find_campaign(c.id) : nullptr;
    if (old == nullptr) continue;  // a new campaign: every lead of it is indexed
    for (const std::string& f : c.indexed_fields) {
      if (std::find(old->indexed_fields.begin(), old->indexed_fields.end(), f) !=
          old->indexed_fields.end())
        continue;
      storage::Status fs = store_.put_state(field_indexed_since_key(c.id, f), std::to_string(now));
      if (!fs.ok()) {
        spdlog::error("configuration version {}: the search index record could not be stored: {}",
                      version, fs.message);
        return not_stored();
      }
    }
  }
  // Daily statistics rows of a campaign whose zone changes (or a new campaign) count from now on.
  if (storage::Status ds =
          ensure_day_rows(store_, snap->config(), current ? &current->config() : nullptr, now);
      !ds.ok()) {
    spdlog::error("configuration version {}: the daily statistics record could not be stored: {}",
                  version, ds.message);
    return not_stored();
  }
  const std::string text = config::serialize(next);
  // Notifications (issue 18), in the same write as the change: config.changed, and buyer.paused
  // or buyer.resumed for every buyer the change pauses or resumes (a pause, a patch, a rollback).
  EventBatch events(snap->config(), now);
  const int64_t campaign =
      change.ref.kind == EntityKind::kCampaign ? change.ref.id : change.ref.campaign_id;
  events.add_config_changed(version, change.op, config::to_string(change.ref.kind),
                            change.ref.kind == EntityKind::kToken ? 0 : change.ref.id, campaign,
                            change.actor);
  // (Buyers are compared only when a webhook wants these events: a change of a large
  // configuration does not walk every buyer for nothing.)
  const EventMask pause_events =
      event_bit(EventType::kBuyerPaused) | event_bit(EventType::kBuyerResumed);
  if (current && (snap->config().webhook_events & pause_events) != 0) {
    for (const CampaignConfig& c : snap->config().campaigns) {
      const CampaignConfig* old = current->config().find_campaign(c.id);
      if (old == nullptr) continue;
      for (const BuyerConfig& b : c.buyers) {
        const BuyerConfig* ob = old->find_buyer(b.id);
        if (ob == nullptr || ob->paused == b.paused) continue;
        events.add_buyer(b.paused ? EventType::kBuyerPaused : EventType::kBuyerResumed,
                         PauseCause::kManual, c.id, b.id);
      }
    }
  }
  storage::Status st = store_.put_config(
      version, text,
      change_entry(version, now, change.actor, change.ref, change.op, before, after, index),
      events.puts());
  if (!st.ok()) {
    spdlog::error("configuration version {} could not be stored: {}", version, st.message);
    return not_stored();
  }
  state_.version = version;
  state_.document = std::make_shared<const json::object>(std::move(next));
  engine_.swap_snapshot(std::move(snap));
  spdlog::info("configuration version {}: {} {} by {}", version, change.op,
               config::to_string(change.ref.kind), change.actor);
  ChangeResult r;
  r.http_status = change.op == "create" ? 201 : 200;
  r.version = version;
  r.entity = std::move(after);
  return r;
}

ChangeResult ConfigService::disable_webhook(int64_t id, const std::string& reason,
                                            const std::string& actor) {
  Change c;
  c.ref = {EntityKind::kWebhook, 0, id, {}};
  c.op = "disable";
  c.actor = actor;
  c.edit = [&](json::object& doc, config::EntityRef& ref) -> std::optional<ChangeResult> {
    const json::object* w = config::get_entity(doc, ref);
    ChangeResult none;
    none.http_status = 404;
    if (w == nullptr) return none;
    const json::value* en = w->if_contains("enabled");
    if (en && en->is_bool() && !en->as_bool()) {
      none.http_status = 409;
      return none;
    }
    json::value next = *w;
    next.as_object()["enabled"] = false;
    next.as_object()["disabled_reason"] = reason;
    config::set_entity(doc, ref, &next);
    return std::nullopt;
  };
  return apply(c);
}

std::optional<json::object> ConfigService::document_at(uint64_t version, std::string& error) const {
  ConfigState now = current();
  if (version == 0 || version > now.version) {
    error = "no configuration version " + std::to_string(version) + " (the latest is " +
            std::to_string(now.version) + ")";
    return std::nullopt;
  }
  json::object doc = *now.document;
  bool bad = false;
  // Undo the changes after `version`, newest first.
  storage::Status st = store_.scan_changes(0, true, [&](uint64_t v, std::string_view text) {
    if (v <= version) return false;
    if (v > now.version) return true;  // written after `now` was read
    std::string perr;
    auto e = config::parse(text, perr);
    if (!e || !e->is_object()) {
      bad = true;
      error = "change " + std::to_string(v) + " cannot be read";
      return false;
    }
    const json::object& entry = e->as_object();
    auto kind = config::parse_entity_kind(entry.contains("entity") && entry.at("entity").is_string()
                                              ? std::string_view(entry.at("entity").as_string())
                                              : std::string_view());
    const json::value* before = entry.if_contains("before");
    if (!kind || before == nullptr) {
      bad = true;
      error = "change " + std::to_string(v) + " cannot be undone";
      return false;
    }
    if (*kind == EntityKind::kConfig) {
      if (!before->is_object()) {
        bad = true;
        error = "change " + std::to_string(v) + " has no earlier document";
        return false;
      }
      doc = before->as_object();
      return true;
    }
    EntityRef ref{*kind, config::int_of(entry.if_contains("campaign_id")), 0, {}};
    if (*kind == EntityKind::kToken) {
      const json::value* id = entry.if_contains("id");
      ref.name = id && id->is_string() ? std::string(id->as_string()) : std::string();
    } else {
      ref.id = config::int_of(entry.if_contains("id"));
    }
    std::optional<size_t> index;
    if (const json::value* i = entry.if_contains("index")) index = size_t(config::int_of(i));
    config::set_entity(doc, ref, before->is_null() ? nullptr : before, index);
    return true;
  });
  if (!st.ok()) {
    error = "the change log cannot be read: " + st.message;
    return std::nullopt;
  }
  if (bad) return std::nullopt;
  return doc;
}

ConfigService::Change ConfigService::replace_all(std::string op, std::string actor,
                                                 std::optional<uint64_t> if_match,
                                                 json::object doc) {
  Change c;
  c.op = std::move(op);
  c.actor = std::move(actor);
  c.if_match = if_match;
  auto next = std::make_shared<json::object>(std::move(doc));
  c.edit = [next](json::object& d, EntityRef&) -> std::optional<ChangeResult> {
    d = *next;
    return std::nullopt;
  };
  return c;
}

ConfigService::ChangesPage ConfigService::changes(uint64_t since, size_t limit,
                                                  std::optional<EntityKind> kind,
                                                  const std::string& id, bool newest_first) const {
  ChangesPage page;
  uint64_t last = since;
  page.status = store_.scan_changes(since, newest_first, [&](uint64_t v, std::string_view text) {
    if (page.entries.size() == limit) {
      page.next = last;
      return false;
    }
    last = v;
    if (kind) {
      std::string perr;
      auto e = config::parse(text, perr);
      if (!e || !e->is_object()) return true;
      const json::object& o = e->as_object();
      const json::value* k = o.if_contains("entity");
      if (k == nullptr || !k->is_string() || k->as_string() != config::to_string(*kind))
        return true;
      if (!id.empty()) {
        const json::value* i = o.if_contains("id");
        std::string have = i == nullptr     ? std::string()
                           : i->is_string() ? std::string(i->as_string())
                                            : config::serialize(*i);
        if (have != id) return true;
      }
    }
    page.entries.emplace_back(text);
    return true;
  });
  return page;
}

SnapshotPtr ConfigService::trial(const json::object& doc, const EntityRef& ref,
                                 ChangeResult& problems) const {
  return check(doc, ref, 0, problems);
}

ChangeResult ConfigService::rollback(uint64_t version, const std::string& actor,
                                     std::optional<uint64_t> if_match) {
  std::string error;
  auto doc = document_at(version, error);
  if (!doc) {
    ChangeResult r;
    r.http_status = error.rfind("no configuration version", 0) == 0 ? 404 : 500;
    r.message = error;
    r.version = current().version;
    return r;
  }
  return apply(replace_all("rollback", actor, if_match, std::move(*doc)));
}

}  // namespace pp::engine
