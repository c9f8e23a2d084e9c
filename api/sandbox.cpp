#include "api/sandbox.h"

#include "api/intake.h"
#include "core/json_writer.h"
#include "core/money.h"
#include "core/text.h"

namespace pp::api {

namespace {
Response status_json(std::string_view status, std::string_view reason) {
  std::string body;
  JsonWriter w(body);
  w.begin_object().kv("status", status);
  if (!reason.empty()) w.kv("reason", reason);
  w.end_object();
  return json_response(200, std::move(body));
}
}  // namespace

SandboxAnswer sandbox_answer(const Request& req, uint64_t seq) {
  SandboxAnswer a;
  FieldList fields;
  std::string_view ct = req.header("content-type");
  std::string err;
  if (!req.body.empty()) {
    if (starts_with_icase(trim(ct), "application/json") || trim(req.body).front() == '{') {
      parse_flat_json(req.body, fields, err);
    } else if (auto f = parse_form(req.body)) {
      fields = std::move(*f);
    }
  }
  auto field = [&](std::string_view n) -> std::string {
    const std::string* v = find_field(fields, n);
    return v ? to_lower(trim(*v)) : std::string();
  };
  const bool ping = req.path == "/sandbox/ping";
  std::string first = field("first_name");
  std::string price_s = req.query_param("price");
  Money price = Money::parse(price_s).value_or(Money::from_whole(10));

  if (auto d = parse_int(req.query_param("delay_ms")); d && *d > 0) {
    a.delay = std::chrono::milliseconds(std::min<int64_t>(*d, 30000));
  }
  if (first == "slow") {
    a.delay = std::chrono::milliseconds(5000);
  } else if (first == "error") {
    a.response = error_response(500, "sandbox: internal error");
    return a;
  } else if (first == "garbage") {
    a.response =
        Response{200, "text/html", "<html><body>Service Unavailable</body></html>", {}, false};
    return a;
  } else if (first == "reject") {
    a.response = status_json("rejected", "sandbox: rejected by rule");
    return a;
  } else if (first == "duplicate") {
    a.response = status_json("duplicate", "sandbox: lead already bought");
    return a;
  }
  std::string state = to_upper(field("state"));
  std::string reject_states = to_upper(req.query_param("reject_states"));
  if (!state.empty() && !reject_states.empty()) {
    for (std::string_view s : split(reject_states, ",")) {
      if (trim(s) == state) {
        a.response = status_json("rejected", "sandbox: state not covered");
        return a;
      }
    }
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.kv("status", "accepted");
  w.kv("lead_id", "sbx-" + std::to_string(seq));
  if (ping) {
    w.kv("bid", price.to_string());
  } else {
    w.kv("price", price.to_string());
    w.kv("redirect_url", "https://example.com/thank-you?ref=sbx-" + std::to_string(seq));
  }
  w.end_object();
  a.response = json_response(200, std::move(body));
  return a;
}

}  // namespace pp::api
