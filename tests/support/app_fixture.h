#pragma once
// Starts a real pingpost App on 127.0.0.1:0 with a generated configuration and a fresh data dir.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "api/app.h"
#include "fake_buyer.h"

namespace pp::testkit {

inline std::string temp_dir(const std::string& tag) {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() /
           ("pingpost-" + tag + "-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p.string();
}

// A direct-post campaign 100 with supplier 200 (key "supplier-key-200") and the given buyers.
inline boost::json::object base_config(boost::json::array buyers) {
  namespace json = boost::json;
  json::object cfg = json::parse(R"({
    "account": {"name": "Test", "timezone": "America/New_York"},
    "server": {"sandbox": true},
    "outbound": {"allow_private_networks": true},
    "clients": [{"id": 1, "company": "Supplier Co"}, {"id": 2, "company": "Buyer One"},
                {"id": 3, "company": "Buyer Two"}, {"id": 4, "company": "Buyer Three"}],
    "api_tokens": [{"name": "admin", "token": "test-admin-token", "role": "admin"},
                   {"name": "reports", "token": "test-read-token", "role": "read"}],
    "campaigns": [{
      "id": 100, "name": "Test Campaign", "type": "direct_post", "delivery_deadline_ms": 10000,
      "fields": [
        {"name": "first_name", "type": "text", "required": true},
        {"name": "email", "type": "email", "required": true},
        {"name": "phone", "type": "phone", "required": true},
        {"name": "state", "type": "state", "required": true},
        {"name": "zip_code", "type": "zip"}],
      "suppliers": [{"id": 200, "client_id": 1, "lp_key": "supplier-key-200",
                     "price": {"type": "static", "amount": "4.25"}},
                    {"id": 201, "client_id": 1, "lp_key": "supplier-key-201", "test_mode": true}]
    }]})")
                         .as_object();
  cfg["campaigns"].as_array()[0].as_object()["buyers"] = std::move(buyers);
  return cfg;
}

// An HTTP buyer posting JSON to `url`, accepted when status == "accepted".
inline boost::json::object http_buyer(int64_t id, int64_t client, const std::string& url,
                                      int priority, const std::string& price = "10",
                                      int timeout_ms = 2000) {
  namespace json = boost::json;
  json::object b = json::parse(R"({
    "type": "direct_post",
    "post": {"method": "POST", "format": "json",
             "fields": {"name": "{{first_name}}", "phone": "{{phone}}", "state": "{{state}}",
                        "lead": "{{lp_lead_id}}"}},
    "post_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]},
                      "duplicate": {"path": "status", "equals": ["duplicate"]},
                      "lead_id": "id", "redirect_url": "redirect", "reason": "reason"}
  })")
                       .as_object();
  b["id"] = id;
  b["client_id"] = client;
  b["priority"] = priority;
  b["price"] = json::object{{"type", "static"}, {"amount", price}};
  b["post"].as_object()["url"] = url;
  b["post"].as_object()["timeout_ms"] = timeout_ms;
  return b;
}

// A ping_post buyer: pings {state, zip}, bids "bid"; posts the lead with the ping's lead id.
inline boost::json::object ping_buyer(int64_t id, const FakeBuyer& fb, int priority) {
  namespace json = boost::json;
  json::object b = json::parse(R"({
    "type": "ping_post", "client_id": 2, "price": {"type": "realtime"},
    "ping": {"method": "POST", "format": "json", "timeout_ms": 5000,
             "fields": {"state": "{{state}}", "zip": "{{zip_code}}"}},
    "ping_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]},
                      "duplicate": {"path": "status", "equals": ["duplicate"]}, "price": "bid"},
    "post": {"method": "POST", "format": "json", "timeout_ms": 2000,
             "fields": {"phone": "{{phone}}", "ping_ref": "{{lp_ping_response:ref}}"}},
    "post_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]},
                      "reason": "reason"}
  })")
                       .as_object();
  b["id"] = id;
  b["priority"] = priority;
  b["ping"].as_object()["url"] = fb.url("/ping");
  b["post"].as_object()["url"] = fb.url("/post");
  return b;
}

inline FakeReply bid(const std::string& amount, const std::string& ref) {
  return FakeReply::json(R"({"status":"accepted","bid":")" + amount + R"(","ref":")" + ref +
                         R"("})");
}

// Turns a campaign of base_config() into a ping/post exchange (10% margin) whose pings carry
// state (required) and zip_code.
inline void make_exchange(boost::json::object& c, int auction_ms = 500) {
  namespace json = boost::json;
  c["type"] = "ping_post_exchange";
  c["exchange"] = json::parse(R"({"network_buffer_ms": 20, "min_buyer_time_ms": 50,
                                  "margin": {"type": "percent", "value": 10}})");
  c["exchange"].as_object()["auction_timeout_ms"] = auction_ms;
  for (auto& f : c["fields"].as_array()) {
    auto& fo = f.as_object();
    if (fo["name"] == "state") fo["required_on_ping"] = true;
    if (fo["name"] == "zip_code") fo["on_ping"] = true;
  }
}

// Polls `done` every 10 ms for up to `limit` (generous: it waits for work, never for a time).
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class AppFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    app_.reset();
    if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_);
  }

  void start(const boost::json::object& cfg, const std::string& data_dir = {},
             const Clock* clock = nullptr,
             std::function<std::unique_ptr<storage::Store>(std::unique_ptr<storage::Store>)>
                 wrap_store = {},
             std::shared_ptr<engine::PaymentProvider> payments = nullptr) {
    data_dir_ = data_dir.empty() ? temp_dir("it") : data_dir;
    api::AppOptions o;
    o.config_text = boost::json::serialize(cfg);
    o.data_dir = data_dir_;
    o.port = 0;
    o.threads = 2;
    o.extra_ca_file = cert_dir() + "/ca.pem";
    o.clock = clock;
    o.wrap_store = std::move(wrap_store);
    o.payments = std::move(payments);
    o.portal_hash = {1, 64 * 1024};  // Argon2id at its cheapest: tests log in often
    std::vector<std::string> errors;
    app_ = api::App::create(o, errors);
    ASSERT_TRUE(app_) << (errors.empty() ? "?" : errors[0]);
    app_->start();
  }

  HttpReply post_lead(const std::string& body,
                      const std::string& content_type = "application/json") {
    return http_call(app_->port(), "POST", "/direct_post", body, {{"Content-Type", content_type}});
  }

  static std::string lead_json(const std::string& first_name = "Ann",
                               const std::string& state = "NY", int supplier = 200,
                               const std::string& phone = "(410) 309-7989") {
    return R"({"lp_campaign_id":100,"lp_supplier_id":)" + std::to_string(supplier) +
           R"(,"lp_key":"supplier-key-)" + std::to_string(supplier) + R"(","first_name":")" +
           first_name + R"(","email":"ann@example.org","phone":")" + phone + R"(","state":")" +
           state + R"(","zip_code":"01341","lp_subid1":"fb"})";
  }

  HttpReply admin_get(const std::string& target, const std::string& token = "test-admin-token") {
    return http_call(app_->port(), "GET", target, "", {{"Authorization", "Bearer " + token}});
  }

  boost::json::object& campaign_cfg(boost::json::object& cfg) {
    return cfg["campaigns"].as_array()[0].as_object();
  }

  HttpReply get_lead(const std::string& id, const std::string& token = "test-admin-token") {
    return http_call(app_->port(), "GET", "/public/lead/" + id, "",
                     {{"Authorization", "Bearer " + token}});
  }

  std::unique_ptr<api::App> app_;
  std::string data_dir_;
};

inline boost::json::object parse_object(const std::string& s) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(s, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

}  // namespace pp::testkit
