// The condition language of filters and price rules: an operator, a field and values (one per
// line), compiled and evaluated against a lead; nested all/any of two rules too.
#include <cstddef>
#include <cstdint>
#include <sstream>

#include "core/condition.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::string op_text, field, line;
  std::getline(in, op_text);
  std::getline(in, field);
  std::vector<std::string> values;
  while (std::getline(in, line) && values.size() < 64) values.push_back(line);
  pp::CondOp op;
  if (!pp::parse_cond_op(op_text, op)) return 0;
  std::string err;
  auto c = pp::Condition::rule(field, op, values, err);
  if (!c) return 0;
  const pp::Lead& lead = pp::fuzz::demo_lead();
  const pp::EvalContext ctx{lead.fields, lead.created_ms};
  bool a = c->matches(ctx);
  auto both = pp::Condition::all({*c, pp::Condition::any({*c, pp::Condition::always()})});
  if (both.matches(ctx) != a) __builtin_trap();  // all(c, any(c, true)) == c
  return 0;
}
