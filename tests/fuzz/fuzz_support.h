#pragma once
// Shared fixtures for the fuzz targets: the demo configuration and a lead to render and evaluate.
#include <string>

#include "api/app.h"
#include "core/config.h"
#include "core/lead.h"

namespace pp::fuzz {

inline const ConfigPtr& demo_config_ptr() {
  static ConfigPtr cfg =
      load_config(*api::read_file(std::string(PP_SOURCE_DIR) + "/configs/demo.json")).config;
  return cfg;
}
inline const Config& demo_config() { return *demo_config_ptr(); }

inline const Lead& demo_lead() {
  static Lead lead = [] {
    Lead l;
    l.id = "AbCdEfGhIjKlMnOpQrSt";
    l.created_ms = 1737149951570;
    l.campaign_id = 21624;
    l.fields = {{"first_name", "Leanne"},      {"last_name", "O'Sanford & <Co>"},
                {"email", "ahamill@example.org"}, {"phone", "4103097989"},
                {"state", "NM"},               {"zip_code", "01341"},
                {"date_of_birth", "1980-04-02"}, {"debt_amount", "12000"},
                {"landing_page_url", "https://example.org/a?b=1&c=\"2\""}};
    return l;
  }();
  return lead;
}

}  // namespace pp::fuzz
