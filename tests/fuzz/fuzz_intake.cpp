// Supplier intake: a request body (JSON, form, or query string) parsed as /direct_post parses it,
// then every field validated against the demo campaign's field types.
#include <cstddef>
#include <cstdint>

#include "api/intake.h"
#include "core/fields.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* types[] = {"application/json", "application/x-www-form-urlencoded",
                                "text/plain", "application/json; charset=utf-8"};
  pp::api::Request req;
  req.method = "POST";
  req.path = "/direct_post";
  req.headers = {{"Content-Type", types[data[0] % 4]}};
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 4) {
    size_t cut = rest.find('\n');
    req.query = std::string(rest.substr(0, cut));
    if (cut != std::string_view::npos) rest.remove_prefix(cut + 1);
  }
  req.body = std::string(rest);
  pp::api::Response err;
  auto in = pp::api::parse_intake(req, err);
  if (!in) return 0;
  const auto& cfg = pp::fuzz::demo_config();
  for (const auto& c : cfg.campaigns) {
    for (const auto& [k, v] : in->params) {
      if (const auto* spec = c.find_field_spec(k)) (void)pp::validate_field(*spec, v);
    }
  }
  return 0;
}
