// Buyer answers: any body, mapped as JSON, XML or text with paths, regexes and match rules.
#include <cstddef>
#include <cstdint>

#include "buyers/response.h"

namespace {

const pp::buyers::CompiledMapping& mapping(int which) {
  static const auto maps = [] {
    std::vector<pp::buyers::CompiledMapping> v;
    for (auto f : {pp::ResponseFormat::kJson, pp::ResponseFormat::kXml, pp::ResponseFormat::kText}) {
      pp::ResponseMappingConfig c;
      c.format = f;
      std::string err;
      if (f == pp::ResponseFormat::kText) {
        c.accepted = {"", {}, "accepted", ""};
        c.price = {"", "price=([0-9.]+)"};
        c.lead_id = {"", "id=(\\w+)"};
      } else {
        c.accepted = {f == pp::ResponseFormat::kXml ? "response.status" : "status", {"accepted"}, "", ""};
        c.duplicate = {"result.code", {}, "", "^dup"};
        c.price = {f == pp::ResponseFormat::kXml ? "response.price" : "data.0.price", ""};
        c.lead_id = {"lead_id", ""};
        c.redirect_url = {"", "\"url\":\"([^\"]+)\""};
        c.reason = {"errors.0", ""};
        c.extra = {{"plan", {"data.plan.name", ""}}};
      }
      v.push_back(*pp::buyers::CompiledMapping::compile(c, err));
    }
    return v;
  }();
  return maps[size_t(which) % maps.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  pp::buyers::HttpResult r;
  r.status = data[0] & 1 ? 200 : 500;
  r.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  (void)mapping(data[0] >> 1).map(r);
  return 0;
}
