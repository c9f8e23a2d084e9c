#pragma once
// The configuration schema: one JSON file (see configs/demo.json and README "Configuration").
// Loaded once, validated completely (every problem reported with its JSON path), then immutable:
// the engine swaps whole snapshots.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/check_types.h"
#include "core/condition.h"
#include "core/fields.h"
#include "core/ids.h"
#include "core/lead.h"
#include "core/money.h"
#include "core/outbox.h"
#include "core/time.h"

namespace boost::json {
class object;
}

namespace pp {

struct AccountConfig {
  std::string name = "pingpost";
  // Base of public links (api_specs_url). Default http://127.0.0.1:8080.
  std::string public_base_url = "http://127.0.0.1:8080";
  TimeZone tz = TimeZone::utc();
  std::string currency = "USD";
};

// How a client pays for the leads its buyers buy (C8, issue 20). none: invoiced, no balance.
// manual: a prepaid balance the admin credits (POST /admin/clients/{id}/deposits); realtime: the
// same balance, also funded through the payment provider. Every sale to a prepaid client's buyer
// is charged to the balance at the moment of sale; a balance that cannot cover a lead is not
// sold to, and one at or below its minimum pauses the client's buyers until a deposit.
struct BillingConfig {
  enum class Mode : uint8_t { kNone, kManual, kRealtime };
  Mode mode = Mode::kNone;
  Money minimum_balance;       // at or below it: the client's buyers are paused
  Money minimum_deposit;       // smallest deposit accepted (0: any)
  int64_t deposit_fee_bp = 0;  // fee on deposits through the provider, basis points (<= 1500)
  // Realtime billing's auto-recharge: when a sale leaves the balance below `recharge_below`, the
  // provider charges `recharge_amount` (+ the fee) and it is credited. 0: off.
  Money recharge_below;
  Money recharge_amount;
  bool prepaid() const { return mode != Mode::kNone; }
  bool auto_recharge() const { return mode == Mode::kRealtime && recharge_amount.units() > 0; }
};
std::string_view to_string(BillingConfig::Mode m);

// What a client's portal users may do (issue 20, H1), each off, on with an admin's approval, or
// on at once (auto-approved): return leads, pause and resume its buyers, change their prices,
// caps and filters.
enum class PortalGrant : uint8_t { kOff, kApproval, kAuto };
std::string_view to_string(PortalGrant g);  // "off", "approval", "auto"
struct PortalPermissions {
  PortalGrant returns = PortalGrant::kApproval;
  PortalGrant pause_resume = PortalGrant::kApproval;
  PortalGrant pricing = PortalGrant::kOff;
  PortalGrant caps = PortalGrant::kOff;
  PortalGrant filters = PortalGrant::kOff;
};

struct ClientConfig {
  ClientId id = 0;
  std::string company;
  std::string first_name, last_name, email, phone;
  BillingConfig billing;
  PortalPermissions portal;
};

// A notice's editable text (issue 20, H3): merge tags as in buyer templates ({{name}}).
inline constexpr std::string_view kNoticeNames[] = {"approval_requested", "approval_decided",
                                                    "balance_low",        "return_credited",
                                                    "password_reset",     "invitation"};
inline bool is_notice_name(std::string_view n) {
  for (auto k : kNoticeNames)
    if (k == n) return true;
  return false;
}
struct NoticeTemplate {
  std::string subject;
  std::string body;
};

// The portals (issue 20): sessions, password resets and the notices they send.
struct PortalConfig {
  std::string base_url;                   // links in notices; empty: account.public_base_url
  std::vector<std::string> admin_emails;  // approval requests are emailed here
  uint32_t session_hours = 12;            // a login lasts at most this long
  uint32_t idle_minutes = 120;            // and ends after this long unused
  uint32_t reset_minutes = 60;            // a password-reset link expires after this
  uint32_t invite_days = 7;               // an invitation's link (a new user sets its password)
  uint32_t login_failures = 5;            // failed logins per email in 15 minutes before a lock
  // Overrides of the built-in notices by name (approval_requested, approval_decided,
  // balance_low, return_credited, password_reset, invitation).
  std::vector<std::pair<std::string, NoticeTemplate>> templates;
  const NoticeTemplate* find_template(std::string_view name) const {
    for (const auto& [n, t] : templates)
      if (n == name) return &t;
    return nullptr;
  }
};

// admin: everything; editor: campaigns, suppliers, buyers, pauses, returns, buyer tests (not
// tokens, clients or the whole document); read: GET only.
enum class Role : uint8_t { kAdmin, kRead, kEditor };
std::string_view to_string(Role r);

struct ApiTokenConfig {
  std::string name;
  std::string token_sha256;  // hex; plain tokens in the file are hashed at load and dropped
  Role role = Role::kRead;
  std::vector<CampaignId> campaigns;  // empty: every campaign
  std::optional<UnixMs> expires_ms;   // refused from then on
  bool may_change() const { return role != Role::kRead; }
  bool sees(CampaignId c) const {
    return campaigns.empty() || std::find(campaigns.begin(), campaigns.end(), c) != campaigns.end();
  }
};

// Buyer or supplier price (C4, B2).
struct PriceRule {
  Condition when;
  std::optional<Money> amount;  // fixed price, or
  std::string from_field;       // the value of a lead field
};

struct Pricing {
  enum class Kind : uint8_t { kStatic, kConditional, kRealTime, kRevenueShare };
  Kind kind = Kind::kStatic;
  Money amount;                  // static price, or the default of a conditional price
  std::vector<PriceRule> rules;  // conditional: first matching rule wins
  int64_t share_bp = 0;          // revenue share in basis points (supplier pricing): 7000 = 70%
};

// A filter (B3): an allow filter passes leads that match its condition; a block filter passes
// leads that do not. `name` shows in messages ("Lead not accepted due to filters: state").
struct Filter {
  std::string name;
  bool block = false;
  Condition when;
};

// Caps (B6): lead counts and budgets per period; 0 = unlimited. Weekday caps apply on that weekday
// only, counted per day. Periods are cut in the campaign's time zone.
enum class CapPeriod : uint8_t { kHour, kDay, kWeek, kMonth, kTotal, kWeekday };
struct CapRule {
  CapPeriod period = CapPeriod::kDay;
  int weekday = -1;   // kWeekday: 0 = Sunday ... 6 = Saturday
  int64_t limit = 0;  // leads, or Money units for budgets; 0 = unlimited
  std::string type;   // as shown in the API: "day", "week", ..., "monday"
};
struct Caps {
  std::vector<CapRule> leads;
  std::vector<CapRule> budget;
  bool empty() const { return leads.empty() && budget.empty(); }
};

// Duplicate check (B4): compare `fields` with accepted leads of the last `days` days and with leads
// still in flight. ANY: one matching field is enough; ALL: every field must match.
struct DupeCheckConfig {
  std::vector<std::string> fields;
  uint32_t days = 30;
  bool match_all = false;
  bool buyer_level = false;  // skip only buyers that already bought it, instead of rejecting
  bool enabled() const { return !fields.empty(); }
};

// A margin taken from a bid (D2): a percent of the bid, or a fixed amount.
struct Margin {
  bool percent = true;
  int64_t value = 0;  // percent: basis points (1000 = 10%); fixed: Money units
};

// Ping/post exchange settings of a campaign (D1-D4).
struct ExchangeConfig {
  uint32_t auction_timeout_ms = 1000;  // the whole ping stage, from the supplier's ping
  uint32_t network_buffer_ms = 25;     // kept back from each buyer's share of the time left
  uint32_t min_buyer_time_ms = 50;     // a buyer with less time than this is not pinged
  uint32_t ping_ttl_ms = 300000;       // how long a ping id can be posted (once)
  Margin margin;                       // campaign default; buyers and suppliers may override
  bool shared = false;                 // shared sale: the supplier picks bids, several buyers buy
  uint32_t shared_max_buyers = 0;      // shared: at most this many sales (0 = no limit)
};

// One-to-one campaigns (B1): what the ping's bid list offers the consumer.
struct OneToOneConfig {
  Money min_bid;                  // bids below this (after margin) are not listed
  uint32_t max_bids = 0;          // at most this many bids (0 = all)
  bool dedupe_by_company = true;  // one bid per company (the best)
};

enum class BodyFormat : uint8_t { kNone, kForm, kJson, kXml };
std::string_view to_string(BodyFormat f);
std::string_view content_type(BodyFormat f);

struct HttpTemplateConfig {
  std::string method = "POST";  // GET, POST, PUT
  std::string url;              // may contain {{tags}} (values are URL-encoded)
  std::vector<std::pair<std::string, std::string>> headers;  // values may contain {{tags}}
  BodyFormat format = BodyFormat::kJson;
  // FORM and JSON: an ordered map of output key -> template. JSON values are strings.
  std::vector<std::pair<std::string, std::string>> fields;
  // JSON and XML: a raw body template; tag values are escaped for the format. Wins over `fields`.
  std::string body;
  uint32_t connect_timeout_ms = 2000;
  uint32_t timeout_ms = 10000;  // whole exchange after connect: write + read response
  uint32_t max_response_bytes = 262144;
};

enum class ResponseFormat : uint8_t { kJson, kXml, kText, kHtml, kForm };
std::string_view to_string(ResponseFormat f);

// What a buyer's answer means (C3). Only kError counts against the buyer's health (C6).
enum class AnswerVerdict : uint8_t { kAccepted, kDuplicate, kRejected, kError };
std::string_view to_string(AnswerVerdict v);  // "accepted", "duplicate", "rejected", "error"
bool parse_answer_verdict(std::string_view s, AnswerVerdict& out);

// A test on the buyer's answer: a value at `path` equals one of `equals` (case-insensitive),
// contains `contains`, or matches `regex` (RE2). Paths by format: JSON dot paths with `*`
// wildcards ("errors.*.message"), XML element paths matched by local name
// ("Envelope/Body/Result/Status") or a full XPath, CSS selectors for HTML ("div.status",
// "a#next::attr(href)"), keys for form-encoded answers. No path: the whole body. Where a path
// finds several values the rule matches when any of them does.
struct MatchRule {
  std::string path;
  std::vector<std::string> equals;
  std::string contains;
  std::string regex;
  bool empty() const { return equals.empty() && contains.empty() && regex.empty(); }
};

// Where to read a value from: `path`, or `regex` over the whole body with one capture group
// (`keep` also takes named groups, one value each).
struct Extractor {
  std::string path;
  std::string regex;
  bool empty() const { return path.empty() && regex.empty(); }
};

// An outcome chosen by the HTTP status alone: `code` is an exact status (409) or a class digit
// (4 for "4xx"); exact codes win over classes.
struct StatusRule {
  int code = 0;
  bool whole_class = false;
  AnswerVerdict verdict = AnswerVerdict::kRejected;
};

struct ResponseMappingConfig {
  ResponseFormat format = ResponseFormat::kJson;
  MatchRule accepted;   // empty: any 2xx answer that no other rule claims is accepted
  MatchRule rejected;   // a match means rejected (for buyers whose success carries no marker)
  MatchRule duplicate;  // empty: never duplicate
  // The outcome when no rule matched; default: accepted without an `accepted` rule, else rejected.
  std::optional<AnswerVerdict> no_match;
  std::vector<StatusRule> status;  // decide by status code, before any body rule
  Extractor price;                 // real-time price / bid
  Extractor lead_id;               // the buyer's own id for the lead
  Extractor redirect_url;
  Extractor reason;            // rejection reason shown in error_message (several values joined)
  std::string default_reason;  // when a rejection carries no reason
  // One-to-one pings: extra values passed to the supplier with the bid ("mapped additional data").
  std::vector<std::pair<std::string, Extractor>> extra;
  // Values kept from the answer with the buyer's outcome on the lead (lead view, debug log).
  std::vector<std::pair<std::string, Extractor>> keep;
  bool keep_cookies = true;  // ping answers: cookies they set go with the post to the same host
};

// A real-time buyer that accepts without a price (C4): sell at `amount` (a campaign's fallback)
// or at 0; either way the sale is flagged (price_missing), never recorded as an error.
struct MissingPriceConfig {
  enum class Action : uint8_t { kZero, kFallback };
  Action action = Action::kZero;
  Money amount;
};

// A compliance or lead-quality check (issue 17), run as a stage of the lead's path (campaign
// checks) or as a buyer's eligibility (buyer checks: a failure skips only that buyer).
struct CheckConfig {
  std::string name;  // unique among the campaign's checks (a buyer's among its own); the timeline
                     // shows "check:<name>", recorded values are fields "<name>_<value>"
  CheckType type = CheckType::kPhone;
  CheckMode mode = CheckMode::kSync;
  std::string provider;             // validation_error_provider on failure (default by type)
  std::vector<std::string> fields;  // the lead fields checked (phone, email, certificate, token)
  bool required = false;            // a lead without the field fails (else the check is skipped)
  bool fail_closed = false;         // on_error: fail_closed fails the lead, fail_open passes it
  uint32_t timeout_ms = 3000;       // remote checks: the whole call
  uint32_t cache_s = 0;             // remote checks: reuse a result for the same input (0: never)
  uint32_t sample_percent = 100;    // the share of leads checked (by lead id: stable)
  // phone
  std::vector<std::string> countries;   // ISO 3166 codes (default US)
  std::vector<std::string> line_types;  // allowed line types (empty: any)
  // suppression
  std::vector<int64_t> lists;
  // trustedform, jornaya, http: where and with what key
  std::string base_url;
  std::string api_key;                     // TrustedForm (HTTP Basic API:<key>)
  std::string account;                     // Jornaya: lac
  std::string policy = "require_success";  // TrustedForm: record, require_success, require_match
  std::string reference;  // TrustedForm retain.reference (a template; default the lead id)
  std::string vendor;     // TrustedForm retain.vendor (a template; default the supplier's name)
  // http: a request like a buyer's and its answer's meaning (accepted = pass, rejected or
  // duplicate = fail, error = error); `keep` extractors are the values recorded
  HttpTemplateConfig request;
  ResponseMappingConfig response;
};

// A supplier's change to one of its campaign's checks (by name).
struct CheckOverride {
  std::string name;
  std::optional<CheckMode> mode;
  std::optional<uint32_t> sample_percent;
};

// Failure details in the supplier's answer to a lead that failed a check (code 1015): the
// reference's "Validation Error Details" (error_meta: provider_name, description), each part on
// or off, for every supplier or the listed ones.
struct ValidationErrorDetails {
  bool provider = false;
  bool description = false;
  std::vector<SupplierId> suppliers;  // empty: every supplier
  bool shows_to(SupplierId s) const {
    return suppliers.empty() || std::find(suppliers.begin(), suppliers.end(), s) != suppliers.end();
  }
};

// A suppression list's identity (its entries are data, uploaded through /admin/lists/{id}/entries).
struct ListConfig {
  int64_t id = 0;
  std::string name;
  ListKind kind = ListKind::kPhone;
  std::string description;
};

// How a lead_store buyer pulls its leads (issue 19, GET /v1/leads).
struct PullConfig {
  std::string key_sha256;           // the buyer's own key, hashed ("key" in the file)
  std::vector<std::string> fields;  // the lead fields it sees (empty: every field)
  uint32_t rate_per_minute = 0;     // requests a minute (0: jobs.pull_rate_per_minute)
};

struct BuyerConfig {
  BuyerId id = 0;
  ClientId client_id = 0;
  bool prepaid = false;  // its client's billing has a balance (charged at each sale)
  std::string name;
  std::optional<std::string> nickname;
  DeliveryType type = DeliveryType::kDirectPost;
  int priority = 0;              // waterfall order: lower first; ties by configuration order
  int weight = 1;                // weighted round robin
  std::optional<Margin> margin;  // exchange: overrides the campaign's margin
  int64_t bid_penalty_bp = 0;    // exchange: ranking penalty, basis points of the bid after margin
  std::string company_name;      // one-to-one: the company the consumer consents to (TCPA entity)
  int64_t group_id = 0;          // buyer groups
  bool paused = false;
  Pricing price;
  std::vector<Filter> filters;
  Caps caps;
  HttpTemplateConfig post;
  ResponseMappingConfig post_response;
  std::optional<HttpTemplateConfig> ping;  // ping_post buyers
  ResponseMappingConfig ping_response;
  std::optional<MissingPriceConfig> missing_price;  // overrides the campaign's
  std::vector<CheckConfig> checks;  // failing one skips this buyer ("Skipped: <provider>")
  std::optional<PullConfig> pull;   // lead_store buyers: the pull API's key and view
  bool archived = false;            // deleted with leads: kept for reports, never tried
};

// A supplier's postback (issue 18): its tracker called when one of its leads sells or is returned,
// with merge tags (sub ids carry click ids: "https://track.example/pb?click={{lp_subid1}}&payout=
// {{lp_cost}}").
struct SupplierPostback {
  EventType event = EventType::kLeadAccepted;  // lead.accepted ("sale") or lead.returned ("return")
  HttpTemplateConfig request;
};

struct SupplierConfig {
  SupplierId id = 0;
  ClientId client_id = 0;
  std::string name;
  std::optional<std::string> nickname;
  std::string key_sha256;  // lp_key, hashed
  std::string hash;        // public spec hash (api_specs_url)
  bool paused = false;
  bool test_mode = false;
  Pricing price;
  std::vector<Filter> filters;
  Caps caps;
  std::optional<Margin> margin;       // exchange: beats buyer and campaign margins
  Money min_buyer_bid;                // exchange: bids below this (raw) are not offered
  std::vector<CheckOverride> checks;  // changes to the campaign's checks for this supplier
  // The supplier's own checks (entries with a "type"), run after the campaign's on its leads:
  // a list attached to one supplier, a stricter phone rule for one source.
  std::vector<CheckConfig> own_checks;
  std::vector<SupplierPostback> postbacks;  // issue 18
  bool archived = false;  // deleted with leads: kept for reports, refused at intake

  // The mode and sampling of a campaign check for this supplier.
  const CheckOverride* check_override(std::string_view name) const {
    for (const auto& o : checks)
      if (o.name == name) return &o;
    return nullptr;
  }
};

// A field computed from others after validation (A5), e.g. full_name = "{{first_name}}
// {{last_name}}" or age = "{{date_of_birth||age}}". Usable in payloads, pricing and filters; stored
// with the lead.
struct ComputedFieldConfig {
  std::string name;
  std::string template_text;
};

enum class CampaignType : uint8_t { kDirectPost, kPingPostExchange, kOneToOne };
std::string_view to_string(CampaignType t);

enum class DistributionMethod : uint8_t {
  kWaterfall,           // priority order, first acceptance wins
  kHighestBidder,       // known prices, highest first (unknown real-time prices after, by priority)
  kSendToAll,           // every eligible buyer, up to sell_limit sales (0 = no limit)
  kRoundRobin,          // rotate the first buyer lead by lead; fall through in rotation order
  kWeightedRoundRobin,  // smooth weighted round robin for the first buyer, then by priority
  kBuyerGroups,         // groups by position, each with its own method, limit and if-sold rule
};
std::string_view to_string(DistributionMethod m);
bool parse_distribution_method(std::string_view s, DistributionMethod& out);

struct BuyerGroupConfig {
  int64_t id = 0;
  std::string name;
  int position = 0;
  DistributionMethod method = DistributionMethod::kWaterfall;
  uint32_t limit = 0;        // send_to_all / round_robin: sales in this group (0 = unlimited)
  bool stop_if_sold = true;  // "if sold": stop, or continue with the next group
};

struct DistributionConfig {
  DistributionMethod method = DistributionMethod::kWaterfall;
  uint32_t sell_limit = 0;               // send_to_all: 0 = every eligible buyer
  uint32_t total_buyers_limit = 0;       // sales per lead across the campaign; 0 = no limit
  std::vector<BuyerGroupConfig> groups;  // kBuyerGroups, sorted by position
};

// A campaign trigger (B7, issue 18): IF its events and condition THEN its actions, each an outbox
// delivery of its own, run at the trigger's timing.
struct TriggerAction {
  enum class Type : uint8_t { kHttp, kCampaign, kEmail, kWebhook };
  Type type = Type::kHttp;
  HttpTemplateConfig request;   // http: a postback (merge tags as a buyer's request)
  CampaignId campaign_id = 0;   // campaign: the lead enters it as a new, linked lead
  SupplierId supplier_id = 0;   //   as this supplier of that campaign
  std::vector<std::string> to;  // email: addresses
  std::string subject, body;    //   templates
  int64_t webhook_id = 0;       // webhook: the lead's event to this subscription, signed
};
std::string_view to_string(TriggerAction::Type t);  // "http", "campaign", "email", "webhook"

struct TriggerConfig {
  int64_t id = 0;  // unique in the account (its deliveries' source)
  std::string name;
  EventMask events = event_bit(EventType::kLeadAccepted);  // lead events only
  Condition when;  // over the lead's fields and its outcome (lp_status, lp_buyer_id, lp_price...)
  TriggerTiming timing;
  std::vector<TriggerAction> actions;
  bool enabled = true;
};

struct CampaignConfig {
  CampaignId id = 0;
  std::string name;
  std::string public_name;
  std::vector<std::string> tags;  // operator labels, lower case (stats filter by them)
  CampaignType type = CampaignType::kDirectPost;
  TimeZone tz;  // defaults to the account's
  std::vector<FieldSpec> fields;
  std::vector<std::string> indexed_fields;  // the fields' names whose values are indexed (loader)
  std::vector<ComputedFieldConfig> computed_fields;  // rendered in order; later ones see earlier
  // Fields (campaign or system, e.g. lp_subid1) buyers never see in their portal (issue 20).
  std::vector<std::string> buyer_hidden_fields;
  std::vector<SupplierConfig> suppliers;
  std::vector<BuyerConfig> buyers;
  std::vector<Filter> filters;
  // "At least one of" these fields must hold a value (each inner list one rule), e.g. a TrustedForm
  // certificate or a LeadiD token: a lead with none fails as a filter does (code 1007).
  std::vector<std::vector<std::string>> require_one_of;
  std::vector<CheckConfig> checks;  // compliance and quality checks, in order (issue 17)
  ValidationErrorDetails validation_error_details;
  DupeCheckConfig dupe_check;
  DistributionConfig distribution;
  ExchangeConfig exchange;
  OneToOneConfig one_to_one;
  MissingPriceConfig missing_price;  // real-time buyers accepting without a price
  // Upper bound on the whole delivery of one lead (all buyer attempts together).
  uint32_t delivery_deadline_ms = 30000;
  std::vector<TriggerConfig> triggers;  // issue 18
  bool archived = false;                // deleted with leads: kept for reports, refused at intake

  const SupplierConfig* find_supplier(SupplierId id) const;
  const BuyerConfig* find_buyer(BuyerId id) const;
  const FieldSpec* find_field_spec(std::string_view name) const;
};

struct ServerConfig {
  uint32_t body_limit_bytes = 65536;
  uint32_t header_limit_bytes = 8192;
  uint32_t read_timeout_ms = 10000;  // to receive one whole request
  uint32_t idle_timeout_ms = 60000;  // keep-alive idle
  uint32_t max_fields = 200;         // per lead
  uint32_t max_field_value_bytes = 4096;
  // Streamed uploads (suppression-list CSV, issue 17): the whole body at most this many bytes.
  uint64_t upload_limit_bytes = uint64_t(4) << 30;
  uint32_t max_connections = 10000;             // more are answered 503 with Retry-After and closed
  uint32_t max_requests_per_connection = 1000;  // then the connection is closed after answering
  // Rate limits (token buckets, 0 = off): per API token on /public and /admin routes, per supplier
  // (campaign + lp_supplier_id with a valid lp_key) on intake. Answer 429 with Retry-After.
  uint32_t token_rate_per_s = 0;
  uint32_t token_burst = 0;  // 0 = one second's worth
  uint32_t supplier_rate_per_s = 0;
  uint32_t supplier_burst = 0;
  bool sandbox = false;  // serve the sandbox buyer under /sandbox/ (demo and tests)
};

struct OutboundConfig {
  std::string ca_file;  // extra trust anchors (PEM); system store is always used
  std::string user_agent = "pingpost/0.1";
  bool allow_private_networks = false;
  uint32_t breaker_failures = 5;     // consecutive failures that open a buyer's circuit (0 = off)
  uint32_t breaker_open_ms = 30000;  // how long an open circuit skips the buyer
};

// A webhook subscription (issue 18, I1): events POSTed as JSON to `url`, signed per Standard
// Webhooks 1.0 with every secret still valid (two during a rotation).
// Signing secrets are not in the configuration (whose change log keeps every version forever):
// a secret is derived from the server's signing key (kept in storage, never served) and the
// webhook's id and secret version (engine/webhooks.h). The document holds versions only.
struct WebhookSecret {
  uint32_t version = 1;
  int64_t expires_ms = 0;  // 0: no end (the current secret); else the old one's last moment
};
struct WebhookConfig {
  int64_t id = 0;
  std::string name;
  std::string url;
  EventMask events = 0;
  std::vector<CampaignId> campaigns;   // empty: every campaign (and events of no campaign)
  std::vector<WebhookSecret> secrets;  // absent in the document: version 1
  bool enabled = true;
  std::string disabled_reason;  // why it was disabled ("410 Gone" from the receiver)
  bool include_lead = false;    // lead events carry the lead's fields (personal data)
  uint32_t max_in_flight = 0;   // 0: outbox.max_in_flight_per_destination
  uint32_t timeout_ms = 0;      // 0: outbox.attempt_timeout_ms
  std::string description;

  bool wants(EventType e, CampaignId campaign) const {
    if (!enabled || (events & event_bit(e)) == 0) return false;
    if (campaigns.empty()) return true;
    return std::find(campaigns.begin(), campaigns.end(), campaign) != campaigns.end();
  }
};

// A monitoring rule (G5, issue 18): a figure over a sliding window for one campaign, supplier or
// buyer against a threshold; alert.fired when it crosses (with at least min_sample leads or calls
// in the window), alert.resolved when it is back, at most one firing per cooldown. Notified
// through webhooks (alert.* events) and email.
struct AlertRule {
  enum class Metric : uint8_t {
    kErrorRate,         // % of leads with status ERROR
    kDuplicateRate,     // % of leads DUPLICATED
    kAcceptanceRate,    // % of leads sold (a buyer: % of its calls that bought)
    kBuyerTimeoutRate,  // % of a buyer's calls that timed out
    kBuyerP99,          // a buyer's response time, 99th percentile, ms
    kNoLeads,           // minutes without a lead
  };
  enum class Scope : uint8_t { kCampaign, kSupplier, kBuyer };
  int64_t id = 0;
  std::string name;
  Metric metric = Metric::kErrorRate;
  Scope scope = Scope::kCampaign;
  int64_t scope_id = 0;
  CampaignId campaign_id = 0;    // the scope's campaign (filled by the loader)
  uint32_t window_minutes = 15;  // 1 to 60
  bool above = true;             // fires when the figure is above the threshold ("<": below)
  double threshold = 0;
  uint32_t min_sample = 20;
  uint32_t cooldown_minutes = 60;
  std::vector<std::string> email;  // addresses notified (through $.email's relay)
  bool enabled = true;
};
std::string_view to_string(AlertRule::Metric m);  // "error_rate", ...
std::string_view to_string(AlertRule::Scope s);   // "campaign", "supplier", "buyer"

// The operator's mail relay (issue 18): trigger emails and alerts. The password is never in the
// configuration: `password_env` names the environment variable that holds it.
struct EmailConfig {
  std::string smtp_host;  // empty: email actions fail ("no relay configured")
  uint16_t smtp_port = 587;
  std::string tls = "starttls";  // starttls, tls (implicit, port 465) or none (loopback relays)
  std::string username;
  std::string password_env;
  std::string from = "pingpost@localhost";
  uint32_t timeout_ms = 15000;
  std::string ca_file;
};

// How the outbox sends (issue 18).
struct OutboxConfig {
  RetryPolicy retry;
  uint32_t attempt_timeout_ms = 10000;  // per attempt, connect included
  uint32_t max_in_flight_per_destination = 4;
  uint32_t breaker_failures = 5;  // consecutive failures that open a destination's circuit
  uint32_t breaker_open_ms = 60000;
  uint32_t response_excerpt_bytes = 512;  // of each answer, kept in the delivery log
  uint32_t retention_days = 30;           // finished deliveries are dropped after this
  uint32_t secret_overlap_hours = 24;     // a rotated secret stays valid this long
};

// Long jobs (issue 19): exports, batch intake, bulk returns.
struct JobsConfig {
  uint32_t threads = 2;                // jobs run at once
  uint32_t download_window_days = 7;   // result files are kept this long
  uint32_t batch_rows_per_s = 200;     // a batch's leads enter the pipeline at most this fast
  uint32_t batch_concurrency = 4;      // and at most this many at once
  uint32_t pull_rate_per_minute = 60;  // GET /v1/leads requests per buyer key (default)
};

struct Config {
  AccountConfig account;
  ServerConfig server;
  OutboundConfig outbound;
  std::vector<ClientConfig> clients;
  std::vector<ApiTokenConfig> api_tokens;
  std::vector<ListConfig> lists;  // suppression lists (issue 17)
  std::vector<CampaignConfig> campaigns;
  std::vector<WebhookConfig> webhooks;  // issue 18
  OutboxConfig outbox;
  JobsConfig jobs;
  EmailConfig email;
  std::vector<AlertRule> alerts;
  PortalConfig portal;  // issue 20

  const WebhookConfig* find_webhook(int64_t id) const {
    for (const auto& w : webhooks)
      if (w.id == id) return &w;
    return nullptr;
  }
  // Whether any enabled webhook wants `e` (a lead's path asks this first: nothing to build).
  EventMask webhook_events = 0;

  const ListConfig* find_list(int64_t id) const {
    for (const auto& l : lists)
      if (l.id == id) return &l;
    return nullptr;
  }

  const CampaignConfig* find_campaign(CampaignId id) const;
  const ClientConfig* find_client(ClientId id) const;

  // Built by the loader.
  std::unordered_map<CampaignId, size_t> campaign_index;
  std::unordered_map<ClientId, size_t> client_index;
};

using ConfigPtr = std::shared_ptr<const Config>;

struct ConfigLoadResult {
  ConfigPtr config;                 // null when errors is not empty
  std::vector<std::string> errors;  // "$.campaigns[0].buyers[1].post.url: must start with http"
};

// Parses and validates a whole configuration document.
ConfigLoadResult load_config(std::string_view json_text);
// The same, for a document already parsed (the admin API's: no second parse, no copy).
ConfigLoadResult load_config_document(const boost::json::object& document);

}  // namespace pp
