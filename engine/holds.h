#pragma once
// What a lead holds while it is in flight, as handles that give it back when they go out of scope
// (Prebid's `defer cancel()`, in C++): a duplicate claim is released, a request claim forgotten.
// A cap reservation is CapLedger::Hold, which releases itself the same way. No lead path releases
// anything by hand: whatever it did not commit is returned on every exit.
//
// Timing matters for both handles here: a sold lead's duplicate keys and a request's answer are
// written with the lead, so their handles must live until that write is durable — the lead keeps
// them in scope until after the store, and only then may a second identical lead or request see
// the stored keys instead of the claim.
#include <optional>
#include <string>
#include <vector>

#include "engine/dedup.h"
#include "engine/request_guard.h"

namespace pp::engine {

// Duplicate-check keys claimed by one lead.
class DedupHold {
 public:
  DedupHold() = default;
  // Claims every key for `lead_id`, or none (nullopt, with `holder` the lead that has one).
  static std::optional<DedupHold> take(DedupTable& table, std::vector<std::string> keys,
                                       const std::string& lead_id, UnixMs now,
                                       std::string& holder) {
    if (!table.claim(keys, lead_id, now, holder)) return std::nullopt;
    DedupHold h;
    h.table_ = &table;
    h.keys_ = std::move(keys);
    h.lead_id_ = lead_id;
    return h;
  }
  DedupHold(DedupHold&& o) noexcept { *this = std::move(o); }
  DedupHold& operator=(DedupHold&& o) noexcept {
    if (this != &o) {
      release();
      table_ = o.table_;
      keys_ = std::move(o.keys_);
      lead_id_ = std::move(o.lead_id_);
      o.table_ = nullptr;
    }
    return *this;
  }
  DedupHold(const DedupHold&) = delete;
  DedupHold& operator=(const DedupHold&) = delete;
  ~DedupHold() { release(); }

  const std::vector<std::string>& keys() const { return keys_; }
  void release() {
    if (table_) table_->release(keys_, lead_id_);
    table_ = nullptr;
  }

 private:
  DedupTable* table_ = nullptr;
  std::vector<std::string> keys_;
  std::string lead_id_;
};

// A request claimed as the first of its kind (A7). Forgotten when the handle goes: after the
// lead and its answer are stored (complete) or when no lead was stored (abandon) — the guard
// treats both alike, a later repeat reads the stored answer or starts afresh.
class RequestHold {
 public:
  RequestHold(RequestGuard& guard, std::string key) : guard_(&guard), key_(std::move(key)) {}
  RequestHold(RequestHold&& o) noexcept : guard_(o.guard_), key_(std::move(o.key_)) {
    o.guard_ = nullptr;
  }
  RequestHold& operator=(RequestHold&&) = delete;
  RequestHold(const RequestHold&) = delete;
  RequestHold& operator=(const RequestHold&) = delete;
  ~RequestHold() {
    if (guard_) guard_->abandon(key_);
  }
  const std::string& key() const { return key_; }

 private:
  RequestGuard* guard_;
  std::string key_;
};

}  // namespace pp::engine
