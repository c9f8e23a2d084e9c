#include "engine/dedup.h"

#include "core/hash.h"
#include "core/text.h"

namespace pp::engine {

std::vector<std::string> DedupTable::keys(const CampaignConfig& c, const FieldList& fields) {
  std::vector<std::string> out;
  const auto& d = c.dupe_check;
  if (!d.enabled()) return out;
  std::string prefix = "d/" + std::to_string(c.id) + "/";
  if (d.match_all) {
    std::string joined;
    for (const auto& f : d.fields) {
      const std::string* v = find_field(fields, f);
      if (v == nullptr || trim(*v).empty()) return out;  // ALL needs every value
      joined += f + "=" + to_lower(trim(*v)) + "\x1f";
    }
    out.push_back(prefix + "all/" + sha256_hex(joined).substr(0, 32));
    return out;
  }
  for (const auto& f : d.fields) {
    const std::string* v = find_field(fields, f);
    if (v == nullptr || trim(*v).empty()) continue;  // an empty value never makes a duplicate
    out.push_back(prefix + f + "/" + sha256_hex(to_lower(trim(*v))).substr(0, 32));
  }
  return out;
}

std::vector<std::string> DedupTable::for_buyer(const std::vector<std::string>& keys,
                                               BuyerId buyer) {
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(k + "/b/" + std::to_string(buyer));
  return out;
}

bool DedupTable::claim(const std::vector<std::string>& keys, const std::string& lead_id, UnixMs now,
                       std::string& holder) {
  if (keys.empty()) return true;
  std::lock_guard lk(mu_);
  if (held_locked(keys, now, holder)) return false;
  for (const auto& k : keys) in_flight_.emplace(k, lead_id);
  return true;
}

bool DedupTable::held(const std::vector<std::string>& keys, UnixMs now, std::string& holder) {
  std::lock_guard lk(mu_);
  return held_locked(keys, now, holder);
}

bool DedupTable::held_locked(const std::vector<std::string>& keys, UnixMs now,
                             std::string& holder) {
  for (const auto& k : keys) {
    auto it = in_flight_.find(k);
    if (it != in_flight_.end()) {
      holder = it->second;
      return true;
    }
    if (auto stored = store_.get_expiring(storage::Space::kDedup, k, now)) {
      holder = *stored;
      return true;
    }
  }
  return false;
}

void DedupTable::release(const std::vector<std::string>& keys, const std::string& lead_id) {
  if (keys.empty()) return;
  std::lock_guard lk(mu_);
  for (const auto& k : keys) {
    auto it = in_flight_.find(k);
    if (it != in_flight_.end() && it->second == lead_id) in_flight_.erase(it);
  }
}

}  // namespace pp::engine
