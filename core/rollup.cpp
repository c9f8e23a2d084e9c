#include "core/rollup.h"

namespace pp::rollup {

namespace {

void put_u64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(char(uint8_t(v >> (8 * i))));
}

bool get_u64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | uint8_t(in[size_t(i)]);
  in.remove_prefix(8);
  return true;
}

// Signed values sort correctly as unsigned once the sign bit is flipped.
uint64_t ordered(int64_t v) { return uint64_t(v) ^ (uint64_t(1) << 63); }
int64_t unordered(uint64_t v) { return int64_t(v ^ (uint64_t(1) << 63)); }

}  // namespace

std::string encode(const Key& k) {
  std::string out;
  out.reserve(34 + k.subids.size());
  out.push_back(char(k.kind));
  put_u64(out, ordered(k.campaign));
  if (k.kind == Kind::kSubids) {
    put_u64(out, ordered(k.a));
    put_u64(out, ordered(k.slot_ms));
    out += k.subids;
    return out;
  }
  put_u64(out, ordered(k.slot_ms));
  put_u64(out, ordered(k.a));
  if (k.kind == Kind::kCross) put_u64(out, ordered(k.b));
  return out;
}

bool decode(std::string_view in, Key& out) {
  if (in.empty()) return false;
  char kind = in[0];
  in.remove_prefix(1);
  uint64_t campaign = 0, x = 0, y = 0, z = 0;
  if (!get_u64(in, campaign) || !get_u64(in, x) || !get_u64(in, y)) return false;
  out.campaign = unordered(campaign);
  out.b = 0;
  out.subids.clear();
  switch (kind) {
    case 'S':
    case 'B':
      if (!in.empty()) return false;
      out.kind = Kind(kind);
      out.slot_ms = unordered(x);
      out.a = unordered(y);
      return true;
    case 'X':
      if (!get_u64(in, z) || !in.empty()) return false;
      out.kind = Kind::kCross;
      out.slot_ms = unordered(x);
      out.a = unordered(y);
      out.b = unordered(z);
      return true;
    case 'U':
      out.kind = Kind::kSubids;
      out.a = unordered(x);
      out.slot_ms = unordered(y);
      out.subids.assign(in);
      return true;
    default:
      return false;
  }
}

std::pair<std::string, std::string> campaign_range(Kind kind, CampaignId campaign, UnixMs from_ms,
                                                   UnixMs to_ms) {
  std::string b, e;
  b.push_back(char(kind));
  put_u64(b, ordered(campaign));
  e = b;
  put_u64(b, ordered(slot_of(from_ms)));
  // Every slot that starts before to_ms.
  put_u64(e, ordered(to_ms <= slot_of(to_ms) ? slot_of(to_ms) : slot_of(to_ms) + kSlotMs));
  return {std::move(b), std::move(e)};
}

std::pair<std::string, std::string> subids_range(CampaignId campaign, SupplierId supplier,
                                                 UnixMs from_ms, UnixMs to_ms) {
  std::string b, e;
  b.push_back(char(Kind::kSubids));
  put_u64(b, ordered(campaign));
  put_u64(b, ordered(supplier));
  e = b;
  put_u64(b, ordered(slot_of(from_ms)));
  put_u64(e, ordered(to_ms <= slot_of(to_ms) ? slot_of(to_ms) : slot_of(to_ms) + kSlotMs));
  return {std::move(b), std::move(e)};
}

std::string join_subids(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < kSubids; ++i) {
    if (i > 0) out.push_back(kSubidSep);
    if (i < values.size()) {
      std::string_view v = values[i];
      if (v.size() > kSubidBytes) v = v.substr(0, kSubidBytes);
      for (char c : v) out.push_back(c == kSubidSep ? ' ' : c);
    }
  }
  return out;
}

std::vector<std::string> split_subids(std::string_view joined) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = joined.find(kSubidSep, start);
    out.emplace_back(joined.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  out.resize(kSubids);
  return out;
}

void add_delta(std::vector<Delta>& out, const Key& k, size_t metric, int64_t amount,
               size_t metric_count) {
  if (amount == 0) return;
  std::string key = encode(k);
  for (auto& d : out) {
    if (d.key == key) {
      d.add[metric] += amount;
      return;
    }
  }
  Delta d{std::move(key), Values(metric_count, 0)};
  d.add[metric] = amount;
  out.push_back(std::move(d));
}

}  // namespace pp::rollup
