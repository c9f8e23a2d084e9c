#include "engine/notices.h"

#include "core/text.h"
#include "engine/events.h"
#include "engine/snapshot.h"

namespace pp::engine {

namespace {

struct Builtin {
  std::string_view name, subject, body;
  std::initializer_list<std::string_view> tags;
};

// Plain text: the relay sends text/plain. Money is formatted ("12.5"), times are UTC.
const Builtin kBuiltins[] = {
    {"approval_requested",
     "[{{account}}] {{user_email}} asks: {{summary}}",
     "{{user_email}} ({{client_company}}, client {{client_id}}) asked for a change that waits "
     "for your approval.\n\n"
     "Request: {{request_id}}\nKind: {{kind}}\n{{summary}}\nReason: {{reason}}\n\n"
     "Review it: {{review_url}}\n",
     {"account", "request_id", "kind", "summary", "reason", "client_id", "client_company",
      "user_email", "campaign_id", "buyer_id", "lead_id", "review_url"}},
    {"approval_decided",
     "[{{account}}] Your request was {{status}}: {{summary}}",
     "Your request {{request_id}} ({{summary}}) was {{status}}.\n"
     "Note: {{note||default:none}}\n\n"
     "See your requests: {{portal_url}}\n",
     {"account", "request_id", "kind", "summary", "status", "note", "reason", "client_id",
      "client_company", "user_email", "campaign_id", "buyer_id", "lead_id", "portal_url"}},
    {"balance_low",
     "[{{account}}] Your balance is low: your campaigns are paused",
     "The balance of {{client_company}} fell to the minimum of {{minimum_balance}} {{currency}}:"
     " its campaigns are paused until a deposit.\n\nAdd funds: {{portal_url}}\n",
     {"account", "client_id", "client_company", "minimum_balance", "currency", "lead_id",
      "portal_url"}},
    {"return_credited",
     "[{{account}}] Lead {{lead_id}} returned: {{amount}} {{currency}} credited",
     "Lead {{lead_id}} was returned ({{reason}}). {{amount}} {{currency}} was credited to "
     "{{client_company}}.\n",
     {"account", "lead_id", "reason", "amount", "currency", "client_id", "client_company",
      "request_id"}},
    {"password_reset",
     "[{{account}}] Reset your password",
     "Someone asked to reset the password of {{user_email}}.\n\n"
     "Choose a new password within {{minutes}} minutes: {{reset_url}}\n\n"
     "The link works once. If you did not ask, ignore this email: your password is unchanged.\n",
     {"account", "user_email", "reset_url", "minutes"}},
    {"invitation",
     "[{{account}}] You are invited to the {{portal}} portal",
     "{{account}} gave {{user_email}} access to its {{portal}} portal ({{companies}}).\n\n"
     "Choose your password within {{days}} days: {{reset_url}}\n",
     {"account", "user_email", "portal", "companies", "reset_url", "days"}},
};

const Builtin* builtin(std::string_view name) {
  for (const Builtin& b : kBuiltins)
    if (b.name == name) return &b;
  return nullptr;
}

}  // namespace

NoticeTemplate default_notice(std::string_view name) {
  const Builtin* b = builtin(name);
  if (b == nullptr) return {};
  return {std::string(b->subject), std::string(b->body)};
}

std::vector<std::string_view> notice_tags(std::string_view name) {
  const Builtin* b = builtin(name);
  if (b == nullptr) return {};
  return {b->tags.begin(), b->tags.end()};
}

std::optional<std::string> NoticeContext::lookup(std::string_view name) const {
  for (const auto& [k, v] : values_)
    if (k == name) return v;
  return std::nullopt;
}

std::string portal_base_url(const Config& cfg) {
  std::string base =
      cfg.portal.base_url.empty() ? cfg.account.public_base_url : cfg.portal.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::optional<OutboxDelivery> notice_email(const Snapshot& snap, std::string_view name, EventType e,
                                           CampaignId campaign, std::string_view lead_id,
                                           const std::vector<std::string>& to,
                                           const NoticeContext& ctx) {
  std::vector<std::string> addresses;
  for (const std::string& a : to)
    if (!a.empty() && a.find('@') != std::string::npos) addresses.push_back(a);
  if (addresses.empty()) return std::nullopt;
  const CompiledNotice* n = snap.notice(name);
  if (n == nullptr) return std::nullopt;
  return email_delivery(DeliverySource::kNotice, 0, e, campaign, lead_id, addresses,
                        n->subject.render(ctx, buyers::Escape::kHeader),
                        n->body.render(ctx, buyers::Escape::kNone));
}

}  // namespace pp::engine
