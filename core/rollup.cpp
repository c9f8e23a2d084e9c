#include "core/rollup.h"

#include "core/keys.h"

namespace pp::rollup {

namespace {

// The first slot that starts at or after to_ms: range ends cover every slot starting before it.
int64_t slot_after(UnixMs to_ms) {
  return to_ms <= slot_of(to_ms) ? slot_of(to_ms) : slot_of(to_ms) + kSlotMs;
}

}  // namespace

std::string encode(const Key& k) {
  std::string out;
  out.reserve(34 + k.subids.size());
  out.push_back(char(k.kind));
  put_ordered_i64(out, k.campaign);
  if (k.kind == Kind::kSubids) {
    put_ordered_i64(out, k.a);
    put_ordered_i64(out, k.slot_ms);
    out += k.subids;
    return out;
  }
  put_ordered_i64(out, k.slot_ms);
  put_ordered_i64(out, k.a);
  if (k.kind == Kind::kCross || k.kind == Kind::kCrossDay) put_ordered_i64(out, k.b);
  return out;
}

bool decode(std::string_view in, Key& out) {
  if (in.empty()) return false;
  char kind = in[0];
  in.remove_prefix(1);
  int64_t x = 0, y = 0, z = 0;
  if (!take_ordered_i64(in, out.campaign) || !take_ordered_i64(in, x) || !take_ordered_i64(in, y))
    return false;
  out.b = 0;
  out.subids.clear();
  switch (kind) {
    case 'S':
    case 'B':
    case 's':
    case 'b':
      if (!in.empty()) return false;
      out.kind = Kind(kind);
      out.slot_ms = x;
      out.a = y;
      return true;
    case 'X':
    case 'x':
      if (!take_ordered_i64(in, z) || !in.empty()) return false;
      out.kind = Kind(kind);
      out.slot_ms = x;
      out.a = y;
      out.b = z;
      return true;
    case 'U':
      out.kind = Kind::kSubids;
      out.a = x;
      out.slot_ms = y;
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
  put_ordered_i64(b, campaign);
  e = b;
  put_ordered_i64(b, slot_of(from_ms));
  put_ordered_i64(e, slot_after(to_ms));
  return {std::move(b), std::move(e)};
}

std::pair<std::string, std::string> subids_range(CampaignId campaign, SupplierId supplier,
                                                 UnixMs from_ms, UnixMs to_ms) {
  std::string b, e;
  b.push_back(char(Kind::kSubids));
  put_ordered_i64(b, campaign);
  put_ordered_i64(b, supplier);
  e = b;
  put_ordered_i64(b, slot_of(from_ms));
  put_ordered_i64(e, slot_after(to_ms));
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

void add_values(Values& into, const Values& v) {
  if (v.size() > into.size()) into.resize(v.size(), 0);
  for (size_t i = 0; i < v.size(); ++i) into[i] += v[i];
}

namespace {
// The index of the row for `key` in `out`, added with zeros when absent.
size_t row_index(std::vector<Delta>& out, std::string key, size_t metric_count) {
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].key == key) return i;
  out.push_back(Delta{std::move(key), Values(metric_count, 0)});
  return out.size() - 1;
}
}  // namespace

void add_delta(std::vector<Delta>& out, const Key& k, size_t metric, int64_t amount,
               size_t metric_count) {
  Row(out, k, metric_count).add(metric, amount);
}

void add_day_rows(std::vector<Delta>& deltas, UnixMs day_start_ms) {
  // Keys are the kind, then 8-byte fields: the slot is the second one, after the campaign.
  // Rewritten in place in a copy, without decoding.
  std::string slot;
  put_ordered_i64(slot, day_start_ms);
  const size_t n = deltas.size();
  deltas.reserve(2 * n);
  constexpr size_t kSlotAt = 9;
  for (size_t i = 0; i < n; ++i) {
    const std::string& key = deltas[i].key;
    if (key.size() < kSlotAt + 8) continue;
    const Kind kind = Kind(key[0]);
    // Not sub id rows: when a sub id carries a click id (it often does) each lead has its own,
    // and a day twin would double the rows a lead writes for nothing.
    if (is_day_kind(kind) || kind == Kind::kSubids) continue;
    Delta d{key, deltas[i].add};
    d.key[0] = char(day_kind(kind));
    d.key.replace(kSlotAt, 8, slot);
    deltas.push_back(std::move(d));
  }
}

void Row::add(size_t metric, int64_t amount) {
  if (amount == 0) return;
  if (index_ == SIZE_MAX) index_ = row_index(out_, encode(key_), metric_count_);
  out_[index_].add[metric] += amount;
}

}  // namespace pp::rollup
