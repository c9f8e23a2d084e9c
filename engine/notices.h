#pragma once
// Portal notices (issue 20, H3): approval requests and decisions, low balance, returns credited,
// password resets. Each is an email through the outbox, written in the same atomic write as what
// caused it (storage::OutboxPut); its subject and body are editable templates in the merge-tag
// language of buyer templates ($.portal.templates, else the built-in text below), compiled with
// the snapshot.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "buyers/template.h"
#include "core/config.h"
#include "core/outbox.h"

namespace pp::engine {

class Snapshot;

// The built-in text of a notice (kNoticeNames), used unless $.portal.templates overrides it.
NoticeTemplate default_notice(std::string_view name);

// The tags a notice may use, by name (documented, and listed by GET /admin/portal/templates).
std::vector<std::string_view> notice_tags(std::string_view name);

// Values for a notice's merge tags.
class NoticeContext final : public buyers::TemplateContext {
 public:
  explicit NoticeContext(UnixMs now) : now_(now) {}
  NoticeContext& set(std::string name, std::string value) {
    values_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  std::optional<std::string> lookup(std::string_view name) const override;
  UnixMs now_ms() const override { return now_; }

 private:
  UnixMs now_;
  std::vector<std::pair<std::string, std::string>> values_;
};

struct CompiledNotice {
  buyers::Template subject, body;
};

// The notice `name` rendered for `to` as an email delivery (source kNotice), or nullopt when
// nobody is to be told (no address).
std::optional<OutboxDelivery> notice_email(const Snapshot& snap, std::string_view name, EventType e,
                                           CampaignId campaign, std::string_view lead_id,
                                           const std::vector<std::string>& to,
                                           const NoticeContext& ctx);

// The base of links in notices: $.portal.base_url, else the account's public base URL.
std::string portal_base_url(const Config& cfg);

}  // namespace pp::engine
