#pragma once
// Duplicate checks (B4): a lead claims its keys before delivery. A claim fails when another lead
// in flight holds one of the keys, or when an accepted lead stored one within the look-back.
// Keys of a sold lead are written with it (expiring after the look-back) and released from the
// in-flight table only once that write is durable, so two identical leads can never both sell.
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "storage/store.h"

namespace pp::engine {

class DedupTable {
 public:
  explicit DedupTable(storage::Store& store) : store_(store) {}

  // The keys of a lead for a campaign's check: one per non-empty field (ANY), or one for all the
  // fields together (ALL, only when every field has a value). Values compare case-insensitively.
  static std::vector<std::string> keys(const CampaignConfig& c, const FieldList& fields);
  // Buyer-level keys: the lead's keys scoped to one buyer.
  static std::vector<std::string> for_buyer(const std::vector<std::string>& keys, BuyerId buyer);

  // Claims every key for `lead_id`, or none. On conflict, `holder` gets the lead id that holds it.
  bool claim(const std::vector<std::string>& keys, const std::string& lead_id, UnixMs now,
             std::string& holder);
  void release(const std::vector<std::string>& keys, const std::string& lead_id);
  // Whether any key is held (in flight or stored), without claiming (pre-ping, A3).
  bool held(const std::vector<std::string>& keys, UnixMs now, std::string& holder);

  // Claims held right now (leads or requests in flight).
  size_t in_flight() {
    std::lock_guard lk(mu_);
    return in_flight_.size();
  }

 private:
  bool held_locked(const std::vector<std::string>& keys, UnixMs now,
                   std::string& holder);  // mu_ held

  storage::Store& store_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> in_flight_;  // key -> lead id
};

}  // namespace pp::engine
