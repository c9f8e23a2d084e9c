// Eligibility + pricing for one lead over 50 buyers with 10 filters each (issue 3), against a
// naive reference evaluator in the same run. "allocs/op" counts heap allocations per decision.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <regex>

#include "core/condition.h"
#include "core/config.h"
#include "routing/filters.h"
#include "routing/pricing.h"

// Counts heap allocations made by this process (the benchmark binary only).
static std::atomic<uint64_t> g_allocs{0};
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace pp;

struct RawRule {
  std::string field, op;
  std::vector<std::string> values;
  std::shared_ptr<std::regex> re;  // the reference compiles its regexes once, like we do
};

// Ten filters per buyer, over the field types a lead-gen campaign filters on.
std::vector<RawRule> raw_filters(int salt) {
  std::string s = std::to_string(salt % 7);
  return {
      {"state", "equals", {"NY", "NJ", "CA", "TX", "FL", "PA", "OH", "IL", "GA", "NM"}},
      {"zip_code", "starts_with", {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
      {"debt_amount", "between", {"1000", "90000"}},
      {"email", "not_contains", {"@test.", "@example.invalid"}},
      {"phone", "regex", {"^[2-9][0-9]{2}[2-9]"}},
      {"date_of_birth", "age_between", {"18", "80"}},
      {"home_owner", "equals", {"yes", "no"}},
      {"credit_rating", "not_equals", {"poor" + s}},
      {"landing_page_url", "contains", {"https://"}},
      {"first_name", "not_empty", {}},
  };
}

FieldList lead() {
  return {{"first_name", "Leanne"},
          {"last_name", "Sanford"},
          {"email", "ahamill@example.org"},
          {"phone", "4103097989"},
          {"state", "NM"},
          {"zip_code", "01341"},
          {"date_of_birth", "1980-04-02"},
          {"debt_amount", "12000"},
          {"home_owner", "Yes"},
          {"credit_rating", "good"},
          {"landing_page_url", "https://example.org/aliquid"}};
}

CampaignConfig compiled_campaign() {
  CampaignConfig c;
  for (int b = 0; b < 50; ++b) {
    BuyerConfig buyer;
    buyer.id = b + 1;
    for (const auto& r : raw_filters(b)) {
      CondOp op;
      parse_cond_op(r.op, op);
      std::string err;
      auto cond = Condition::rule(r.field, op, r.values, err);
      if (!cond) std::abort();
      buyer.filters.push_back({r.field, false, std::move(*cond)});
    }
    buyer.price.kind = Pricing::Kind::kConditional;
    buyer.price.amount = Money::from_whole(10);
    for (const char* st : {"CA", "NY", "TX", "FL", "NM"}) {
      std::string err;
      buyer.price.rules.push_back({*Condition::rule("state", CondOp::kOneOf, {st}, err),
                                   Money::from_whole(10 + b % 5), ""});
    }
    c.buyers.push_back(std::move(buyer));
  }
  return c;
}

void BM_EligibilityAndPricing50x10(benchmark::State& st) {
  CampaignConfig c = compiled_campaign();
  FieldList f = lead();
  const EvalContext ctx{f, 1795366800000};
  uint64_t a0 = g_allocs.load();
  for (auto _ : st) {
    int64_t total = 0;
    for (const auto& b : c.buyers) {
      if (!routing::passes_filters(b.filters, ctx)) continue;
      total += routing::quoted_buyer_price(b.price, ctx)->units();
    }
    benchmark::DoNotOptimize(total);
  }
  st.counters["allocs/op"] =
      benchmark::Counter(double(g_allocs.load() - a0) / double(st.iterations()));
}
BENCHMARK(BM_EligibilityAndPricing50x10);

// The reference: the same rules interpreted from their configuration text on every lead, as a
// straightforward implementation would (lower-casing copies, std::stod, std::regex compiled once).
std::string lower(std::string s) {
  for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}
const std::string* get(const FieldList& f, const std::string& n) {
  for (const auto& [k, v] : f) {
    if (k == n) return &v;
  }
  return nullptr;
}
bool naive_match(const RawRule& r, const FieldList& f) {
  const std::string* v = get(f, r.field);
  std::string val = v ? lower(*v) : "";
  if (r.op == "not_empty") return !val.empty();
  if (r.op == "equals" || r.op == "not_equals") {
    bool any = false;
    for (const auto& x : r.values) any = any || lower(x) == val;
    return r.op == "equals" ? any : !any;
  }
  if (r.op == "starts_with") {
    for (const auto& x : r.values) {
      if (val.rfind(lower(x), 0) == 0) return true;
    }
    return false;
  }
  if (r.op == "contains" || r.op == "not_contains") {
    bool any = false;
    for (const auto& x : r.values) any = any || val.find(lower(x)) != std::string::npos;
    return r.op == "contains" ? any : !any;
  }
  if (r.op == "between") {
    double d = std::stod(val);
    return d >= std::stod(r.values[0]) && d <= std::stod(r.values[1]);
  }
  if (r.op == "regex") return std::regex_search(val, *r.re);
  if (r.op == "age_between") {
    int age = 2026 - std::stoi(val.substr(0, 4));
    return age >= std::stoi(r.values[0]) && age <= std::stoi(r.values[1]);
  }
  return false;
}

void BM_EligibilityAndPricing50x10_Reference(benchmark::State& st) {
  std::vector<std::vector<RawRule>> buyers;
  for (int b = 0; b < 50; ++b) {
    buyers.push_back(raw_filters(b));
    for (auto& r : buyers.back()) {
      if (r.op == "regex") r.re = std::make_shared<std::regex>(r.values[0], std::regex::icase);
    }
  }
  FieldList f = lead();
  uint64_t a0 = g_allocs.load();
  for (auto _ : st) {
    int64_t total = 0;
    for (size_t b = 0; b < buyers.size(); ++b) {
      bool ok = true;
      for (const auto& r : buyers[b]) ok = ok && naive_match(r, f);
      if (!ok) continue;
      std::string state = lower(*get(f, "state"));
      int64_t price = 100000;
      for (const char* s : {"ca", "ny", "tx", "fl", "nm"}) {
        if (state == s) {
          price = (10 + int64_t(b) % 5) * 10000;
          break;
        }
      }
      total += price;
    }
    benchmark::DoNotOptimize(total);
  }
  st.counters["allocs/op"] =
      benchmark::Counter(double(g_allocs.load() - a0) / double(st.iterations()));
}
BENCHMARK(BM_EligibilityAndPricing50x10_Reference);

}  // namespace
