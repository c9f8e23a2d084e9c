#pragma once
// Builds the HTTP request for a buyer from its configured template (C2). Pure.
#include <optional>
#include <string>

#include "buyers/http_types.h"
#include "buyers/template.h"
#include "core/config.h"

namespace pp::buyers {

class CompiledRequest {
 public:
  // Compiles every template of the request; nullopt with `error` on the first bad template.
  static std::optional<CompiledRequest> compile(const HttpTemplateConfig& cfg, std::string& error);

  OutboundRequest render(const TemplateContext& ctx, std::string_view user_agent) const;
  const HttpTemplateConfig& config() const { return cfg_; }

 private:
  HttpTemplateConfig cfg_;
  Template url_;
  std::vector<std::pair<std::string, Template>> headers_;
  std::vector<std::pair<std::string, Template>> fields_;
  std::optional<Template> body_;
};

}  // namespace pp::buyers
