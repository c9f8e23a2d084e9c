// Buyer answers: any body, with any status and Set-Cookie header, mapped as JSON, XML (local
// names), HTML (CSS selectors), form or text with paths, wildcards, regexes, rules and kept
// values; and any text compiled as a CSS selector.
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "buyers/css_select.h"
#include "buyers/response.h"

namespace {

const pp::buyers::CompiledMapping& mapping(int which) {
  using pp::ResponseFormat;
  static const auto maps = [] {
    std::vector<pp::buyers::CompiledMapping> v;
    for (auto f : {ResponseFormat::kJson, ResponseFormat::kXml, ResponseFormat::kText,
                   ResponseFormat::kHtml, ResponseFormat::kForm}) {
      pp::ResponseMappingConfig c;
      c.format = f;
      std::string err;
      c.status = {{409, false, pp::AnswerVerdict::kDuplicate},
                  {5, true, pp::AnswerVerdict::kRejected}};
      c.default_reason = "no reason";
      if (f == ResponseFormat::kText) {
        c.accepted = {"", {}, "accepted", ""};
        c.rejected = {"", {}, "error", ""};
        c.price = {"", "price=([0-9.]+)"};
        c.lead_id = {"", "id=(\\w+)"};
        c.keep = {{"k", {"", "ref=(?P<ref>\\w+);(?P<tier>\\d)"}}};
      } else if (f == ResponseFormat::kHtml) {
        c.accepted = {"div.result.success, #ok", {}, "accepted", ""};
        c.rejected = {"ul.errors li:first-child", {}, "", "."};
        c.price = {"span#price", ""};
        c.lead_id = {"input[name=lead_id]::attr(value)", ""};
        c.redirect_url = {"a[href^=http]::attr(href)", ""};
        c.reason = {"ul.errors > li, td:contains('Reason') + td", ""};
      } else if (f == ResponseFormat::kForm) {
        c.accepted = {"status", {"accepted"}, "", ""};
        c.price = {"price", ""};
        c.reason = {"error[]", ""};
      } else {
        bool xml = f == ResponseFormat::kXml;
        c.accepted = {xml ? "Envelope/Body/Result/Status" : "status", {"accepted"}, "", ""};
        c.duplicate = {xml ? "//Result/@code" : "result.code", {}, "", "^dup"};
        c.price = {xml ? "count(//price)" : "data.0.price", ""};
        c.lead_id = {xml ? "a:x/b:y[2]/@id" : "lead_id", ""};
        c.redirect_url = {"", "\"url\":\"([^\"]+)\""};
        c.reason = {xml ? "//error" : "errors.*.message", ""};
        c.extra = {{"plan", {"data.plan.name", ""}}};
        c.keep = {{"all", {xml ? "//*" : "*.*", ""}}};
      }
      v.push_back(*pp::buyers::CompiledMapping::compile(c, err));
    }
    return v;
  }();
  return maps[size_t(which) % maps.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0];
  constexpr int statuses[] = {200, 201, 204, 400, 409, 422, 429, 302, 500, 503};
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (mode == 0xFF) {  // the selector compiler on its own
    std::string err;
    (void)pp::buyers::css_to_xpath(rest, err);
    return 0;
  }
  pp::buyers::HttpResult r;
  r.status = statuses[data[1] % std::size(statuses)];
  // A Set-Cookie header from the first line of the input, the rest as the body.
  size_t nl = rest.find('\n');
  if (data[1] & 0x80 && nl != std::string_view::npos) {
    r.headers.emplace_back("Set-Cookie", std::string(rest.substr(0, nl)));
    rest.remove_prefix(nl + 1);
  }
  r.body.assign(rest);
  (void)mapping(mode).map(r, "https://ping.buyer.example/ping");
  return 0;
}
