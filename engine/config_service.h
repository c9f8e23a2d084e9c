#pragma once
// Live configuration (issue 14): the configuration document lives in the store, versioned, with an
// append-only change log. A change is validated whole (the same loader and compiler as at start,
// the same messages), written durably with its change-log entry in one atomic write, then
// published as the engine's next snapshot; leads in flight finish on the version they started on.
//
// Changes are serialised (one at a time, under a mutex); each does one synced write, so call it
// off the I/O threads. Reads of the current document are cheap (a shared pointer copy).
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/document.h"
#include "core/time.h"
#include "engine/snapshot.h"
#include "storage/store.h"

namespace pp::engine {

class Engine;

// The configuration now: its version and document (secrets hashed).
struct ConfigState {
  uint64_t version = 0;
  std::shared_ptr<const config::json::object> document;
};

// What a change answers: 200/201 with the new version and the entity after it; 400 with every
// problem by JSON path; 404, 409, 412; or 500 when it could not be stored.
struct ChangeResult {
  int http_status = 200;
  std::string message;
  std::vector<std::pair<std::string, std::string>> details;  // JSON path -> problem
  uint64_t version = 0;                                      // the configuration's, after
  config::json::value entity;                                // the entity after (null: deleted)
  bool ok() const { return http_status < 300; }
};

class ConfigService {
 public:
  // The starting configuration: the store's when it has one (the store is the truth), else the
  // file's (`file_text`), stored as version 1. Null and `errors` when neither is usable.
  struct Start {
    SnapshotPtr snapshot;
    ConfigState state;
  };
  static std::optional<Start> open(storage::Store& store, std::string_view file_text,
                                   const Clock& clock, std::vector<std::string>& errors);

  ConfigService(Engine& engine, storage::Store& store, const Clock& clock, ConfigState initial);

  ConfigState current() const;

  // Whether the campaign has stored leads (then deleting it, or one of its suppliers or buyers,
  // archives instead: kept for reports).
  bool campaign_has_leads(int64_t campaign) const;

  // One change to the document. `edit` changes it (or answers why not, e.g. 404/409, by
  // returning a result) and may name the entity it touched (a created entity's id is known only
  // then); the service validates, stores and publishes the rest.
  struct Change {
    config::EntityRef ref;  // kConfig for the whole document
    std::string op;         // create, replace, patch, delete, config, rollback, pause, resume
    std::string actor;      // the API token's name, "--config", "SIGHUP"
    std::optional<uint64_t> if_match;
    std::function<std::optional<ChangeResult>(config::json::object& doc, config::EntityRef& ref)>
        edit;
  };
  ChangeResult apply(const Change& change);
  // A change that makes the whole document `doc` (PUT /admin/config, SIGHUP, rollback).
  static Change replace_all(std::string op, std::string actor, std::optional<uint64_t> if_match,
                            config::json::object doc);

  // Validates `doc` as a configuration without storing or publishing it (the buyer test tool's
  // unsaved buyer): its snapshot, or null with the problems by path (relative to `ref`).
  SnapshotPtr trial(const config::json::object& doc, const config::EntityRef& ref,
                    ChangeResult& problems) const;

  // Disables a webhook (the outbox got 410 Gone from it, issue 18): a change like any other, in
  // the change log, with `reason` kept on the webhook. Not found / already disabled: no change.
  ChangeResult disable_webhook(int64_t id, const std::string& reason, const std::string& actor);

  // Makes the configuration equal to `version` again, as a new change.
  ChangeResult rollback(uint64_t version, const std::string& actor,
                        std::optional<uint64_t> if_match);

  // Change-log entries (JSON text) with a version above `since`, oldest first, at most `limit`,
  // those of one entity kind (and id) when given. `next` is the `since` of the next page.
  // `newest_first`: versions below `since` (0: from the newest), newest first; `next` is then the
  // `since` of the next (older) page.
  struct ChangesPage {
    std::vector<std::string> entries;
    std::optional<uint64_t> next;
    storage::Status status;
  };
  ChangesPage changes(uint64_t since, size_t limit, std::optional<config::EntityKind> kind,
                      const std::string& id, bool newest_first = false) const;

  // The document as it was at `version` (the change log undone back to it); nullopt and `error`
  // when the version does not exist or the log cannot be read.
  std::optional<config::json::object> document_at(uint64_t version, std::string& error) const;

 private:
  ChangeResult commit(const Change& change, config::json::object next);

  Engine& engine_;
  storage::Store& store_;
  const Clock& clock_;
  mutable std::mutex mu_;  // serialises changes; guards state_
  ConfigState state_;
};

// A change-log entry (what the store keeps, as JSON).
std::string change_entry(uint64_t version, UnixMs at, const std::string& actor,
                         const config::EntityRef& ref, const std::string& op,
                         const config::json::value& before, const config::json::value& after,
                         std::optional<size_t> index);

}  // namespace pp::engine
