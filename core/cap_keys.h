#pragma once
// Cap counter keys (B6): which counter a cap rule uses at an instant, and how long storage keeps
// it. Shared by the engine's ledger and storage's expiry. Pure.
#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/time.h"

namespace pp {

enum class CapOwner : char { kSupplier = 's', kBuyer = 'b' };

// Whether the rule applies at t (a weekday rule only on its weekday) and, if so, its counter key:
// "<owner>/<id>/<l|b>/<type>/<period start ms>" ("…/total/0" for totals). The period start is cut
// in `tz`. The key's last two parts tell storage when the counter may be dropped.
bool cap_counter_key(CapOwner owner, int64_t id, bool budget, const CapRule& rule,
                     const TimeZone& tz, UnixMs t, std::string& key);

// How long after its period starts a counter is kept (storage expiry), in ms; -1 = forever.
int64_t cap_counter_retention_ms(std::string_view type);

}  // namespace pp
