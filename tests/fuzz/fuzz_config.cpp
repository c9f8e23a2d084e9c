// Admin documents are untrusted input (issue 14). The first byte picks what the rest is:
//   0: a whole configuration document — loaded, validated and compiled as PUT /admin/config does;
//   1: a buyer document put into the demo configuration's first campaign (POST .../buyers);
//   2: a JSON Merge Patch applied to the demo's first buyer (PATCH .../buyers/{id}), twice: a
//      merge patch is idempotent, so the second application changes nothing.
// Never a crash, whatever the bytes; every rejection is an error list, never an exception.
#include <cstddef>
#include <cstdint>

#include "config/document.h"
#include "engine/snapshot.h"
#include "fuzz_support.h"

namespace {

namespace json = boost::json;

const json::object& demo_document() {
  static json::object doc = [] {
    std::string err;
    auto v = pp::config::parse(
        *pp::api::read_file(std::string(PP_SOURCE_DIR) + "/configs/demo.json"), err);
    return v->as_object();
  }();
  return doc;
}

void validate(const json::object& doc) {
  pp::ConfigLoadResult r = pp::load_config(pp::config::serialize(doc));
  if (!r.config) {
    if (r.errors.empty()) __builtin_trap();  // refused without saying why
    return;
  }
  std::vector<std::string> errors;
  auto snap = pp::engine::Snapshot::build(r.config, errors, 2);
  if (!snap && errors.empty()) __builtin_trap();
}

pp::config::EntityRef first_buyer(const json::object& doc) {
  const json::object& c = doc.at("campaigns").as_array()[0].as_object();
  const json::object& b = c.at("buyers").as_array()[0].as_object();
  return {pp::config::EntityKind::kBuyer,
          pp::config::int_of(c.if_contains("id")),
          pp::config::int_of(b.if_contains("id")),
          {}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 256 * 1024) return 0;
  const uint8_t mode = data[0] % 3;
  std::string err;
  auto v =
      pp::config::parse(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), err);
  if (!v) return 0;
  json::object doc = demo_document();
  if (mode == 0) {
    if (!v->is_object()) return 0;
    json::object next = v->as_object();
    pp::config::hash_secrets(next);
    (void)pp::config::start_only_changes(doc, next);
    validate(next);
    return 0;
  }
  const pp::config::EntityRef ref = first_buyer(doc);
  if (mode == 1) {
    pp::config::EntityRef fresh = ref;
    fresh.id = 999999;
    pp::config::set_entity(doc, fresh, &*v);
    validate(doc);
    return 0;
  }
  json::value buyer = *pp::config::get_entity(doc, ref);
  pp::config::merge_patch(buyer, *v);
  json::value again = buyer;
  pp::config::merge_patch(again, *v);
  if (again != buyer) __builtin_trap();
  pp::config::set_entity(doc, ref, &buyer);
  validate(doc);
  return 0;
}
