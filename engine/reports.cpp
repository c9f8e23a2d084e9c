#include "engine/reports.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "core/fields.h"
#include "core/text.h"
#include "engine/day_rows.h"

namespace pp::engine {

namespace {

using rollup::Kind;

void add_into(rollup::Values& into, const rollup::Values& v, size_t count) {
  if (into.size() < count) into.resize(count, 0);
  for (size_t i = 0; i < v.size() && i < count; ++i) into[i] += v[i];
}

// Period starts of consecutive slots: rows come slot by slot, so one time-zone lookup per slot.
class PeriodCache {
 public:
  PeriodCache(const TimeZone& tz, CalendarPeriod p) : tz_(tz), p_(p) {}
  UnixMs start(UnixMs slot) {
    if (slot < lo_ || slot >= hi_) {
      lo_ = period_start(tz_, p_, slot);
      hi_ = period_end(tz_, p_, slot);
    }
    return lo_;
  }

 private:
  const TimeZone& tz_;
  CalendarPeriod p_;
  UnixMs lo_ = 1, hi_ = 0;
};

// Rows of one kind for one campaign over the range, whose slots must start inside it: the whole
// local days of `days` from their day rows, the rest from quarter-hour rows. Range ends are local
// boundaries, hence multiples of 15 minutes in every zone, so a slot is in or out whole.
template <typename Fn>
void scan_kind(storage::Store& store, Kind kind, CampaignId campaign, TimeRange range,
               TimeRange days, Fn&& fn) {
  rollup::Key key;
  auto part = [&](Kind k, UnixMs from, UnixMs to) {
    if (from >= to) return;
    auto [b, e] = rollup::campaign_range(k, campaign, from, to);
    store.scan_rollups(b, e, [&](std::string_view ks, const rollup::Values& v) {
      if (!rollup::decode(ks, key) || key.kind != k) return;
      if (key.slot_ms < from || key.slot_ms >= to) return;
      fn(key, v);
    });
  };
  if (days.empty()) return part(kind, range.from_ms, range.to_ms);
  part(kind, range.from_ms, days.from_ms);
  part(rollup::day_kind(kind), days.from_ms, days.to_ms);
  part(kind, days.to_ms, range.to_ms);
}

EntityFigures& entity(std::vector<EntityFigures>& list, std::unordered_map<int64_t, size_t>& at,
                      int64_t id, size_t count) {
  auto it = at.find(id);
  if (it != at.end()) return list[it->second];
  at.emplace(id, list.size());
  list.push_back(EntityFigures{id, rollup::Values(count, 0), {}});
  return list.back();
}

}  // namespace

std::vector<const CampaignConfig*> select_campaigns(const Config& cfg,
                                                    const std::vector<CampaignId>& ids,
                                                    const std::vector<std::string>& tags,
                                                    std::vector<CampaignId>& unknown) {
  std::vector<const CampaignConfig*> out;
  for (CampaignId id : ids) {
    if (cfg.find_campaign(id) == nullptr) unknown.push_back(id);
  }
  for (const auto& c : cfg.campaigns) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), c.id) == ids.end()) continue;
    if (!tags.empty() && std::none_of(tags.begin(), tags.end(), [&](const std::string& t) {
          return std::find(c.tags.begin(), c.tags.end(), t) != c.tags.end();
        }))
      continue;
    out.push_back(&c);
  }
  return out;
}

std::vector<CampaignFigures> campaign_stats(storage::Store& store,
                                            const std::vector<const CampaignConfig*>& campaigns,
                                            TimeRange range, const TimeZone& tz,
                                            std::optional<CalendarPeriod> group) {
  std::vector<CampaignFigures> out;
  for (const CampaignConfig* c : campaigns) {
    CampaignFigures f;
    f.campaign = c;
    f.totals = EntityFigures{c->id, rollup::Values(rollup::sm::kCount, 0), {}};
    std::unordered_map<int64_t, size_t> sup_at, buy_at;
    for (const auto& s : c->suppliers) entity(f.suppliers, sup_at, s.id, rollup::sm::kCount);
    for (const auto& b : c->buyers) entity(f.buyers, buy_at, b.id, rollup::bm::kCount);
    std::optional<PeriodCache> periods;
    if (group) periods.emplace(tz, *group);
    const TimeRange days =
        group == CalendarPeriod::kHour ? TimeRange{} : day_rows_span(store, *c, range, tz);

    scan_kind(store, Kind::kSupplier, c->id, range, days, [&](const rollup::Key& k, const auto& v) {
      EntityFigures& e = entity(f.suppliers, sup_at, k.a, rollup::sm::kCount);
      add_into(e.total, v, rollup::sm::kCount);
      add_into(f.totals.total, v, rollup::sm::kCount);
      if (periods) {
        UnixMs p = periods->start(k.slot_ms);
        add_into(e.periods[p], v, rollup::sm::kCount);
        add_into(f.totals.periods[p], v, rollup::sm::kCount);
      }
    });
    scan_kind(store, Kind::kBuyer, c->id, range, days, [&](const rollup::Key& k, const auto& v) {
      EntityFigures& e = entity(f.buyers, buy_at, k.a, rollup::bm::kCount);
      add_into(e.total, v, rollup::bm::kCount);
      if (periods) add_into(e.periods[periods->start(k.slot_ms)], v, rollup::bm::kCount);
    });
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<SubidFigures> supplier_stats(storage::Store& store, CampaignId campaign,
                                         SupplierId supplier, TimeRange range, const TimeZone& tz,
                                         const std::vector<size_t>& subid_indexes) {
  // Sub id rows have no day rows (core/rollup.h): quarter hours only.
  std::map<std::pair<UnixMs, std::vector<std::string>>, rollup::Values> rows;
  auto [b, e] = rollup::subids_range(campaign, supplier, range.from_ms, range.to_ms);
  PeriodCache days(tz, CalendarPeriod::kDay);
  rollup::Key key;
  store.scan_rollups(b, e, [&](std::string_view k, const rollup::Values& v) {
    if (!rollup::decode(k, key) || key.kind != Kind::kSubids) return;
    if (key.slot_ms < range.from_ms || key.slot_ms >= range.to_ms) return;
    std::vector<std::string> all = rollup::split_subids(key.subids);
    std::vector<std::string> chosen;
    chosen.reserve(subid_indexes.size());
    for (size_t i : subid_indexes) chosen.push_back(i < all.size() ? all[i] : std::string());
    add_into(rows[{days.start(key.slot_ms), std::move(chosen)}], v, rollup::sm::kCount);
  });
  std::vector<SubidFigures> out;
  out.reserve(rows.size());
  for (auto& [k, v] : rows) out.push_back(SubidFigures{k.first, k.second, std::move(v)});
  return out;
}

std::vector<ClientAccount> accounting(storage::Store& store, const Config& cfg, TimeRange range,
                                      const TimeZone& tz, std::optional<ClientId> client,
                                      const std::vector<CampaignId>& only) {
  std::map<ClientId, ClientAccount> by_client;
  auto account = [&](ClientId id) -> ClientAccount& {
    ClientAccount& a = by_client[id];
    a.client = id;
    return a;
  };
  auto campaign_of = [](std::vector<CampaignAccount>& list, CampaignId id,
                        size_t count) -> CampaignAccount& {
    for (auto& c : list) {
      if (c.campaign == id) return c;
    }
    list.push_back(
        CampaignAccount{id, rollup::Values(count, 0), rollup::Values(rollup::xm::kCount, 0), {}});
    return list.back();
  };
  for (const auto& c : cfg.campaigns) {
    if (!only.empty() && std::find(only.begin(), only.end(), c.id) == only.end()) continue;
    std::unordered_map<int64_t, ClientId> sup_client, buy_client;
    for (const auto& s : c.suppliers) sup_client[s.id] = s.client_id;
    for (const auto& b : c.buyers) buy_client[b.id] = b.client_id;
    auto client_of = [](const std::unordered_map<int64_t, ClientId>& m, int64_t id) {
      auto it = m.find(id);
      return it == m.end() ? ClientId(0) : it->second;
    };
    auto wanted = [&](ClientId id) { return !client || *client == id; };
    const TimeRange days = day_rows_span(store, c, range, tz);

    // A side's sums (rollup::sm for suppliers, rollup::bm for buyers: accepted and returned are
    // the same slots in both) for rows that sold or had a return.
    auto sums = [&](Kind kind, const std::unordered_map<int64_t, ClientId>& clients,
                    std::vector<CampaignAccount> ClientAccount::*side, size_t count) {
      static_assert(size_t(rollup::sm::kAccepted) == size_t(rollup::bm::kAccepted) &&
                    size_t(rollup::sm::kReturned) == size_t(rollup::bm::kReturned));
      scan_kind(store, kind, c.id, range, days, [&](const rollup::Key& k, const auto& v) {
        using namespace rollup;
        if (v.size() <= sm::kReturned || (v[sm::kAccepted] == 0 && v[sm::kReturned] == 0)) return;
        ClientId id = client_of(clients, k.a);
        if (wanted(id)) add_into(campaign_of(account(id).*side, c.id, count).sums, v, count);
      });
    };
    sums(Kind::kSupplier, sup_client, &ClientAccount::as_supplier, rollup::sm::kCount);
    sums(Kind::kBuyer, buy_client, &ClientAccount::as_buyer, rollup::bm::kCount);
    // Sales count on both sides, each with the other side's client as counterpart.
    auto sale = [&](ClientId id, std::vector<CampaignAccount> ClientAccount::*side, size_t count,
                    ClientId other, const rollup::Values& v) {
      if (!wanted(id)) return;
      CampaignAccount& ca = campaign_of(account(id).*side, c.id, count);
      add_into(ca.sales, v, rollup::xm::kCount);
      add_into(ca.counterparts[other], v, rollup::xm::kCount);
    };
    scan_kind(store, Kind::kCross, c.id, range, days, [&](const rollup::Key& k, const auto& v) {
      ClientId s = client_of(sup_client, k.a), b = client_of(buy_client, k.b);
      sale(s, &ClientAccount::as_supplier, rollup::sm::kCount, b, v);
      sale(b, &ClientAccount::as_buyer, rollup::bm::kCount, s, v);
    });
  }
  std::vector<ClientAccount> out;
  for (auto& [id, a] : by_client) {
    if (a.as_supplier.empty() && a.as_buyer.empty()) continue;
    out.push_back(std::move(a));
  }
  return out;
}

std::string encode_cursor(const storage::LeadCursor& c) {
  return std::to_string(c.created_ms) + "." + c.id;
}

bool decode_cursor(std::string_view s, storage::LeadCursor& out) {
  size_t dot = s.find('.');
  std::string_view ms = s.substr(0, dot);
  if (ms.empty() || ms.size() > 15) return false;
  int64_t t = 0;
  auto [p, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), t);
  if (ec != std::errc() || p != ms.data() + ms.size() || t < 0) return false;
  out.created_ms = t;
  out.id.clear();
  if (dot != std::string_view::npos) {
    std::string_view id = s.substr(dot + 1);
    if (!is_lead_id(id)) return false;
    out.id.assign(id);
  }
  return true;
}

std::string field_indexed_since_key(CampaignId campaign, std::string_view field) {
  return "fidx/" + std::to_string(campaign) + "/" + std::string(field);
}

UnixMs field_indexed_since(storage::Store& store, CampaignId campaign, std::string_view field) {
  auto v = store.get_state(field_indexed_since_key(campaign, field));
  if (!v) return 0;  // indexed since the campaign's first lead
  return parse_int(*v).value_or(std::numeric_limits<UnixMs>::max());
}

LeadPage search_leads(storage::Store& store, const CampaignConfig& campaign, const LeadSearch& q) {
  LeadPage page;
  size_t scanned = 0;
  bool more = false;  // a matching lead exists beyond the page
  storage::LeadCursor last;
  bool stopped_on_budget = false;

  // One test for index entries and for leads (through what the index keeps of them).
  auto wanted = [&](const storage::LeadIndexEntry& e) {
    return (!q.status || e.status == *q.status) && (!q.returned || e.returned == *q.returned) &&
           (!q.test || e.test == *q.test) && (!q.repost || e.repost == *q.repost) &&
           (!q.supplier || e.supplier == *q.supplier);
  };
  // A search by a field the index does not hold (complete) for the range reads the campaign's
  // leads and compares: within a smaller budget, since it reads every lead (the page's cursor goes
  // on from where it stopped).
  std::string field_value;
  bool field_by_scan = false;
  size_t budget = q.scan_budget;
  if (q.field) {
    // Values are searched as intake stores them: normalised by the field's type when it has one.
    field_value = q.field->second;
    if (const FieldSpec* spec = campaign.find_field_spec(q.field->first)) {
      FieldCheck fc = validate_field(*spec, field_value);
      if (fc.ok) field_value = std::move(fc.value);
    }
    const auto& indexed = campaign.indexed_fields;
    const bool in_index =
        std::find(indexed.begin(), indexed.end(), q.field->first) != indexed.end();
    const UnixMs since = in_index ? field_indexed_since(store, campaign.id, q.field->first) : 0;
    field_by_scan = !in_index || since > q.range.from_ms;
    if (field_by_scan) budget = std::min(budget, kFieldScanBudget);
  }
  // `e`: the lead's index entry when the scan has it, checked before reading the lead; the lead
  // itself is checked in any case (a return may land between the two reads). Returns false to
  // stop the scan.
  auto visit = [&](UnixMs created, std::string_view id, const storage::LeadIndexEntry* e) {
    if (page.leads.size() == q.limit) {
      more = true;
      return false;
    }
    if (++scanned > budget) {
      stopped_on_budget = true;
      return false;
    }
    last.created_ms = created;
    last.id.assign(id);
    if (e != nullptr && !wanted(*e)) return true;
    storage::Read<Lead> lead = store.read_lead(id, q.fill_cache);
    // A lead the index names but storage cannot read is an error of the whole search (500), not
    // a lead that is silently left out.
    if (lead.failed())
      throw std::runtime_error("lead " + std::string(id) + ": " + lead.status.message);
    if (!lead.value || !wanted(storage::index_entry_of(*lead.value))) return true;
    if (field_by_scan) {
      const std::string* v = find_field(lead.value->fields, q.field->first);
      if (v == nullptr || *v != field_value) return true;
    }
    page.leads.push_back(std::move(*lead.value));
    return true;
  };

  if (q.field && !field_by_scan) {
    store.scan_field_leads(campaign.id, q.field->first, field_value, q.range.from_ms, q.range.to_ms,
                           q.after,
                           [&](UnixMs t, std::string_view id) { return visit(t, id, nullptr); });
  } else {
    store.scan_campaign_leads(
        campaign.id, q.range.from_ms, q.range.to_ms, q.after,
        [&](const storage::LeadIndexEntry& e) { return visit(e.created_ms, e.id, &e); });
  }
  if (more) {
    const Lead& l = page.leads.back();
    page.next = storage::LeadCursor{l.created_ms, l.id};
  } else if (stopped_on_budget) {
    page.next = last;  // examined up to here; the next call goes on from it
  }
  return page;
}

}  // namespace pp::engine
