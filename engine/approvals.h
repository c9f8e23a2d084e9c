#pragma once
// Portal requests and their approval (issue 20, H1): a buyer's portal user asks to return a lead,
// pause or resume one of its buyers, or change a buyer's price, caps or filters. Each request is
// checked when made (the buyer or lead is one of the user's clients', the client's permission is
// not off, the change is a valid configuration), then stored `pending` with its
// approval.requested notice (webhooks and the admins' email) in one write — or, when the client's
// permission is "auto", applied at once. An admin approves (the change goes through the live
// configuration with the portal user as the change log's actor; a return credits what the lead
// cost) or denies with a note; the requester may cancel while it is pending. The decision and its
// approval.decided notice (webhooks, the requester's email; a return's return_credited to the
// client) are one write.
//
// Requests live in the store's state family as JSON ("portal/request/<id>", ids sortable by
// creation time). Applying and recording are two writes: a crash between them leaves the request
// pending with its effect done; approving it again is safe (a change sets values, and a lead
// already returned counts as returned).
//
// Synchronous (configuration changes and returns wait for their synced writes): report threads.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/portal.h"
#include "storage/store.h"

namespace pp::engine {

class Engine;
class ConfigService;

enum class RequestKind : uint8_t { kReturn, kPause, kResume, kPricing, kCaps, kFilters };
std::string_view to_string(RequestKind k);  // return, pause, resume, pricing, caps, filters
bool parse_request_kind(std::string_view s, RequestKind& out);
enum class RequestStatus : uint8_t { kPending, kApproved, kDenied, kCancelled };
std::string_view to_string(RequestStatus s);  // pending, approved, denied, cancelled
bool parse_request_status(std::string_view s, RequestStatus& out);

struct PortalRequest {
  std::string id;  // "req_" + 20 characters (creation time first)
  ClientId client = 0;
  std::string user_id, user_email;
  RequestKind kind = RequestKind::kReturn;
  RequestStatus status = RequestStatus::kPending;
  CampaignId campaign = 0;
  BuyerId buyer = 0;
  std::string lead_id;  // returns
  std::string reason;   // the requester's words
  std::string change;   // pricing / caps / filters: the buyer's new "price", "caps" or "filters"
                        // (JSON text, the configuration file's shape)
  bool auto_approved = false;
  UnixMs created_ms = 0;
  UnixMs decided_ms = 0;
  std::string decided_by;  // the admin token's name, or the requester (cancelled, auto)
  std::string note;        // the admin's note (a denial's reason)
  std::string result;      // what approving it did
};
std::string render_request(const PortalRequest& r);

struct RequestFilter {
  std::optional<RequestStatus> status;
  std::optional<RequestKind> kind;
  std::vector<ClientId> clients;  // empty: every client
  std::string before;             // ids strictly older than this (paging), empty: newest
  size_t limit = 100;
};

class Approvals {
 public:
  Approvals(Engine& engine, ConfigService& config);

  struct Outcome {
    int http_status = 200;
    std::string message;
    std::vector<std::pair<std::string, std::string>> details;  // JSON path -> problem
    std::optional<PortalRequest> request;
  };
  // A portal user's request (`draft`: kind, campaign/buyer or lead, reason, change). 201 pending,
  // 200 applied (auto-approved), 403 permission off, 404 not the user's, 400/422 invalid.
  Outcome submit(const PortalUser& user, PortalRequest draft);
  // The requester cancels a pending request of its own.
  Outcome cancel(const PortalUser& user, std::string_view id);
  // An admin's decision: approve (applies it), or deny with `note`.
  Outcome decide(std::string_view id, bool approve, std::string note, const std::string& actor);

  storage::Read<PortalRequest> find(std::string_view id);
  storage::Status list(const RequestFilter& f, std::vector<PortalRequest>& out, bool& more);

 private:
  // Whether the request may be made: the buyer (or the lead's buyer) belongs to `client`s of the
  // user, the permission is on; fills campaign/buyer/client of a return from its lead. nullopt
  // when fine, else the refusal.
  std::optional<Outcome> check(const PortalUser& user, PortalRequest& r);
  // Does what the request asks; nullopt when done (r.result says what), else the refusal.
  std::optional<Outcome> apply(PortalRequest& r);
  // The request stored, with the notices of its state (pending: approval.requested; decided:
  // approval.decided, and a credited return's return_credited), in one write.
  storage::Status record(const PortalRequest& r, bool credited, int64_t credit_units);
  // What an applied return credited its client (the sale's price when a prepaid client was
  // charged; 0 otherwise).
  int64_t credited_units(const PortalRequest& r);

  Engine& engine_;
  ConfigService& config_;
  std::mutex mu_;  // one decision at a time (a request is decided once)
};

}  // namespace pp::engine
