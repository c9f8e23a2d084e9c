#pragma once
// The exchange's ping stage result and the ping records suppliers post against (A2, D1-D5).
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "buyers/cookies.h"
#include "core/lead.h"
#include "routing/ranking.h"

namespace pp::engine {

class Snapshot;

// What an auction's ping stage produced, self-contained (it outlives the request that ran it when
// a supplier pings and posts later). Vectors are indexed by campaign.buyers.
struct AuctionResult {
  std::vector<routing::RankedBid> ranked;             // best first; not-offered bids last
  std::vector<std::optional<BuyerOutcome>> outcome;   // per buyer: its outcome so far
  std::vector<BuyerDebug> dbg;                        // per buyer: ping log, decision
  std::vector<std::optional<std::string>> ping_body;  // per buyer: its ping answer, if any
  std::vector<size_t> ping_failures;                  // buyers pinged without a usable bid
  std::vector<size_t> skipped;                        // buyers not asked
  std::vector<std::string> bid_ids;                   // per ranked bid: the id the supplier sees
  std::vector<std::vector<std::pair<std::string, std::string>>> extra;  // per buyer: mapped data
  std::vector<std::vector<buyers::Cookie>> cookies;  // per buyer: set by its ping answer
  std::vector<bool> removed;  // per buyer, at the post: gone from the configuration since the ping
};

// A supplier's ping, waiting for its post (in memory; a restart forgets pings in flight).
struct PingRecord {
  std::shared_ptr<const Snapshot> snapshot;  // the configuration the ping ran on
  std::string ping_id;
  CampaignId campaign_id = 0;
  SupplierId supplier_id = 0;
  int64_t expires_ms = 0;
  AuctionResult auction;
};

// Thread-safe; a ping can be taken (posted) once.
class PingStore {
 public:
  enum class Take { kOk, kUnknown, kExpired, kUsed };

  // Keeps a ping until it is posted or expires; `now_ms` is the engine clock (expired records are
  // pruned, amortised, relative to it).
  void put(PingRecord r, int64_t now_ms);
  // Takes the record for a post by this campaign and supplier.
  Take take(const std::string& ping_id, CampaignId campaign, SupplierId supplier, int64_t now_ms,
            PingRecord& out);
  size_t size();

 private:
  void prune(int64_t now_ms);  // mu_ held

  std::mutex mu_;
  std::unordered_map<std::string, PingRecord> live_;
  struct Gone {
    int64_t forget_at_ms;  // after this a post of the id is just "unknown"
    bool posted;           // posted (a replay) rather than expired
  };
  std::unordered_map<std::string, Gone> gone_;
  uint64_t puts_ = 0;
};

}  // namespace pp::engine
