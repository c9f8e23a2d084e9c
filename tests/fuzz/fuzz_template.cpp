// Buyer payload templates: compile any text, render it with a lead in every escaping mode.
#include <cstddef>
#include <cstdint>

#include "buyers/template.h"
#include "engine/lead_context.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  auto t = pp::buyers::Template::compile(
      std::string_view(reinterpret_cast<const char*>(data), size), error);
  if (!t) return 0;
  const auto& cfg = pp::fuzz::demo_config();
  const pp::Lead& lead = pp::fuzz::demo_lead();
  pp::engine::LeadContext ctx(lead, cfg.campaigns.front(), lead.created_ms);
  for (auto e : {pp::buyers::Escape::kNone, pp::buyers::Escape::kUrl, pp::buyers::Escape::kJson,
                 pp::buyers::Escape::kXml, pp::buyers::Escape::kHeader}) {
    std::string out = t->render(ctx, e);
    if (out.size() > (64u << 20)) __builtin_trap();  // a template must not explode
  }
  return 0;
}
