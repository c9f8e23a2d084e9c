#include "api/intake.h"

#include <simdjson.h>

#include "core/hash.h"
#include "core/json_writer.h"
#include "core/text.h"

namespace pp::api {

bool parse_flat_json(std::string_view body, FieldList& out, std::string& error) {
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
    error = "Malformed JSON body";
    return false;
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    error = "The JSON body must be an object";
    return false;
  }
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      error = "Malformed JSON body";
      return false;
    }
    simdjson::ondemand::value val;
    if (field.value().get(val) != simdjson::SUCCESS) {
      error = "Malformed JSON body";
      return false;
    }
    simdjson::ondemand::json_type t;
    if (val.type().get(t) != simdjson::SUCCESS) {
      error = "Malformed JSON body";
      return false;
    }
    std::string value;
    switch (t) {
      case simdjson::ondemand::json_type::string: {
        std::string_view s;
        if (val.get_string().get(s) != simdjson::SUCCESS) {
          error = "Malformed JSON string in field " + std::string(key);
          return false;
        }
        value = std::string(s);
        break;
      }
      case simdjson::ondemand::json_type::number:
      case simdjson::ondemand::json_type::boolean: {
        std::string_view raw = trim(val.raw_json_token());
        value = std::string(raw);
        break;
      }
      case simdjson::ondemand::json_type::null: {
        break;  // null: an empty value
      }
      default:
        error = "Field " + std::string(key) + ": nested objects and arrays are not supported";
        return false;
    }
    out.emplace_back(std::string(key), std::move(value));
  }
  // A document with trailing content after the object is malformed.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    error = "Malformed JSON body";
    return false;
  }
  return true;
}

std::optional<engine::IntakeRequest> parse_intake(const Request& req, Response& error) {
  engine::IntakeRequest in;
  std::string_view ct = req.header("content-type");
  std::string_view mime = trim(ct.substr(0, ct.find(';')));
  std::string_view body = trim(req.body);
  bool json;
  if (mime.empty()) {
    json = !body.empty() && body.front() == '{';
  } else if (iequals(mime, "application/json") || iequals(mime, "text/json")) {
    json = true;
  } else if (iequals(mime, "application/x-www-form-urlencoded")) {
    json = false;
  } else {
    error = error_response(415, "Unsupported Content-Type '" + std::string(mime) +
                                    "': use application/json or application/x-www-form-urlencoded");
    return std::nullopt;
  }
  if (!body.empty()) {
    if (json) {
      std::string err;
      if (!parse_flat_json(body, in.params, err)) {
        error = error_response(400, err);
        return std::nullopt;
      }
    } else {
      auto form = parse_form(body);
      if (!form) {
        error = error_response(400, "Malformed form body");
        return std::nullopt;
      }
      in.params = std::move(*form);
    }
  }
  // A7: what identifies "the same request": its media type, query and body.
  in.body_hash = sha256_hex(std::string(mime) + "\n" + req.query + "\n" + req.body);
  std::string_view idem = trim(req.header("idempotency-key"));
  if (idem.size() > 255) {
    error = error_response(400, "Idempotency-Key longer than 255 characters");
    return std::nullopt;
  }
  in.idempotency_key = std::string(idem);
  // Some integrations put parameters in the query string; the body wins on conflicts.
  if (!req.query.empty()) {
    auto q = parse_form(req.query);
    if (!q) {
      error = error_response(400, "Malformed query string");
      return std::nullopt;
    }
    for (auto& [k, v] : *q) {
      if (find_field(in.params, k) == nullptr) in.params.emplace_back(std::move(k), std::move(v));
    }
  }
  return in;
}

std::string render_ping_answer(const engine::PingAnswer& a) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.kv("status", to_string(a.status));
  if (a.ping_id.empty())
    w.key("ping_id").null();
  else
    w.kv("ping_id", a.ping_id);
  w.kv("code", a.code);
  w.kv("error_code", a.code);
  w.kv("message", a.message);
  if (!a.ping_id.empty()) {
    w.kv("bid", a.offer);
    w.kv("payout", a.offer);
    w.kv("expires_in", int64_t(a.expires_in_s));
    if (a.shared) {
      w.key("bids").begin_array();
      for (const auto& b : a.bids)
        w.begin_object().kv("bid_id", b.bid_id).kv("payout", b.payout).end_object();
      w.end_array();
    } else if (a.one_to_one) {
      // B1: each bid with its price, the company the consumer consents to, and mapped data.
      w.key("bids").begin_array();
      for (const auto& b : a.bids) {
        w.begin_object().kv("bid_id", b.bid_id).kv("price", b.payout).kv("payout", b.payout);
        w.kv("company_name", b.company_name);
        w.key("data").begin_object();
        for (const auto& [k, v] : b.extra) w.kv(k, v);
        w.end_object().end_object();
      }
      w.end_array();
    }
  }
  w.end_object();
  return out;
}

std::string render_intake_result(const engine::IntakeResult& r) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.kv("status", to_string(r.status));
  if (r.lead_id.empty()) {
    w.key("lead_id").null();
    w.key("id").null();
  } else {
    w.kv("lead_id", r.lead_id);
    w.kv("id", r.lead_id);
  }
  w.kv("code", r.code);
  w.kv("error_code", r.code);
  w.kv("message", r.message);
  w.kv("payout", r.payout);
  if (!r.redirect_url.empty()) w.kv("redirect_url", r.redirect_url);
  // The reference's "Validation Error Details" (code 1015), where the campaign shows them.
  if (!r.meta_provider.empty() || !r.meta_description.empty()) {
    w.key("error_meta").begin_object();
    if (!r.meta_provider.empty()) w.kv("provider_name", r.meta_provider);
    if (!r.meta_description.empty()) w.kv("description", r.meta_description);
    w.end_object();
  }
  w.end_object();
  return out;
}

}  // namespace pp::api
