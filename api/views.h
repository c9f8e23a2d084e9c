#pragma once
// JSON views of stored data, shaped exactly as seed 000 shows them (keys, order, types).
#include <string>

#include "core/config.h"
#include "core/lead.h"

namespace pp::api {

// "Single Lead Details": GET /public/lead/{id}.
std::string render_lead(const Lead& lead, const Config& cfg);

}  // namespace pp::api
