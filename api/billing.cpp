// Prepaid balances (issue 20, C8), the admin's side:
//   GET  /admin/clients/{id}/balance   the balance, what leads hold, the billing settings, paused
//   GET  /admin/clients/{id}/ledger    the client's postings, newest first (?before=&limit=)
//   POST /admin/clients/{id}/deposits  {"amount": "100.00", "note": "wire 2211"}: a manual credit
//   POST /admin/clients/{id}/charges   {"amount": "100.00"}: charge the client's payment method
//                                      through the provider (realtime billing), then credit it
// Clients are the account's: tokens limited to some campaigns see none of this; deposits are
// admins'. The ledger is storage's (every movement a posting; a balance the sum of its postings).
#include <simdjson.h>

#include <map>

#include "api/router.h"
#include "core/ids.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "core/time.h"

namespace pp::api {

namespace {

void write_balance(JsonWriter& w, const ClientConfig& c, const engine::BalanceLedger::View& v,
                   engine::AutoRecharger* recharger) {
  w.kv("client_id", c.id);
  w.kv("billing_mode", to_string(c.billing.mode));
  w.key("balance").value(Money::from_units(v.balance));
  w.key("reserved").value(Money::from_units(v.reserved));
  w.key("available").value(Money::from_units(v.available()));
  w.key("minimum_balance").value(c.billing.minimum_balance);
  w.key("minimum_deposit").value(c.billing.minimum_deposit);
  w.key("deposit_fee_percent").value(Money::from_units(c.billing.deposit_fee_bp * 100));
  w.kv("paused", c.billing.prepaid() && v.balance <= c.billing.minimum_balance.units());
  w.key("auto_recharge");
  if (!c.billing.auto_recharge()) {
    w.null();
    return;
  }
  w.begin_object()
      .key("below")
      .value(c.billing.recharge_below)
      .key("amount")
      .value(c.billing.recharge_amount);
  auto last = recharger ? recharger->last(c.id) : std::nullopt;
  w.key("last_attempt_at");
  if (last)
    w.value(format_iso_utc(last->at_ms));
  else
    w.null();
  w.key("last_error");
  if (last && !last->error.empty())
    w.value(last->error);
  else
    w.null();
  w.end_object();
}

}  // namespace

// GET /admin/ledger: every account's balance (its counter) beside the sum of its postings, and
// the sum of every posting — zero, and each balance equal to its postings, unless storage lost a
// write it acknowledged. (A full scan of the ledger: an auditor's call, not a dashboard's.)
Response Router::ledger_audit() {
  struct Sums {
    int64_t postings = 0, count = 0;
  };
  std::map<std::string, Sums> accounts;
  int64_t total = 0;
  storage::Status st = engine_.store().scan_ledger("", 0, [&](const storage::LedgerEntry& e) {
    Sums& s = accounts[e.posting.account];
    s.postings += e.posting.amount;
    ++s.count;
    total += e.posting.amount;
    return true;
  });
  if (!st.ok()) return storage_error();
  std::string out;
  JsonWriter w(out);
  bool consistent = total == 0;
  w.begin_object().key("accounts").begin_array();
  for (const auto& [name, s] : accounts) {
    storage::Read<int64_t> bal = engine_.store().read_counter(storage::Store::balance_key(name));
    if (bal.failed()) return storage_error();
    const int64_t balance = bal.value.value_or(0);
    consistent = consistent && balance == s.postings;
    w.begin_object()
        .kv("account", name)
        .key("balance")
        .value(Money::from_units(balance))
        .key("postings_sum")
        .value(Money::from_units(s.postings))
        .kv("postings", s.count)
        .end_object();
  }
  w.end_array().key("total").value(Money::from_units(total)).kv("consistent", consistent);
  w.end_object();
  return json_response(200, std::move(out));
}

Response Router::admin_billing(const Request& req, const ApiTokenConfig& token) {
  if (!token.campaigns.empty())
    return error_response(403, "Forbidden: this token is limited to some campaigns");
  const std::vector<std::string_view> seg = split(std::string_view(req.path).substr(7), "/");
  if (seg.size() == 1 && seg[0] == "ledger") return ledger_audit();
  // /admin/clients/{id}/{balance|ledger|deposits}
  if (seg.size() != 3) return error_response(404, "Not found");
  auto id = parse_int(seg[1]);
  auto snap = engine_.snapshot();
  const ClientConfig* c = id && *id > 0 ? snap->config().find_client(*id) : nullptr;
  if (c == nullptr) return error_response(404, "Client not found");
  if (seg[2] == "balance") {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    write_balance(w, *c, engine_.balances().view(c->id), recharger_);
    w.end_object();
    return json_response(200, std::move(out));
  }
  if (seg[2] == "ledger") {
    auto q = parse_form(req.query);
    if (!q) return error_response(400, "Invalid query string");
    int64_t limit = 100, before = 0;
    for (const auto& [k, v] : *q) {
      auto n = parse_int(v);
      if (k == "limit" && (!n || *n < 1 || *n > 1000))
        return error_response(400, "limit must be 1 to 1000", {{"limit", "1 to 1000"}});
      if (k == "before" && (!n || *n < 1))
        return error_response(400, "before must be a position", {{"before", "a position"}});
      if (k == "limit") limit = *n;
      if (k == "before") before = *n;
    }
    std::string out;
    JsonWriter w(out);
    w.begin_object().kv("client_id", c->id).key("postings").begin_array();
    int64_t n = 0;
    uint64_t last = 0;
    bool more = false;
    storage::Status st =
        engine_.store().scan_ledger(engine::BalanceLedger::account(c->id), uint64_t(before),
                                    [&](const storage::LedgerEntry& e) {
                                      if (n == limit) {
                                        more = true;
                                        return false;
                                      }
                                      w.begin_object()
                                          .kv("position", int64_t(e.position))
                                          .kv("at", format_iso_utc(e.posting.at_ms))
                                          .kv("kind", e.posting.kind)
                                          .key("amount")
                                          .value(Money::from_units(e.posting.amount))
                                          .kv("ref", e.posting.ref)
                                          .kv("memo", e.posting.memo)
                                          .end_object();
                                      last = e.position;
                                      ++n;
                                      return true;
                                    });
    if (!st.ok()) return storage_error();
    w.end_array().key("next_before");
    if (more)
      w.value(int64_t(last));
    else
      w.null();
    w.end_object();
    return json_response(200, std::move(out));
  }
  // deposits and charges
  const bool charge = seg[2] == "charges";
  if (token.role != Role::kAdmin)
    return error_response(403, "Forbidden: only an admin token credits balances");
  std::string amount_text, note;
  {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(req.body).get(doc) != simdjson::SUCCESS || !doc.is_object())
      return error_response(400, "Malformed JSON body");
    std::string_view s;
    simdjson::dom::element a;
    if (doc["amount"].get(a) == simdjson::SUCCESS) {
      if (a.get_string().get(s) == simdjson::SUCCESS)
        amount_text = std::string(s);
      else if (a.is_number())
        amount_text = simdjson::to_string(a);  // a number's shortest text ("100.5")
    }
    if (doc["note"].get_string().get(s) == simdjson::SUCCESS) note = std::string(s);
  }
  auto amount = Money::parse(trim(amount_text));
  if (!amount || amount->units() <= 0)
    return error_response(400, "amount must be a positive amount like 100.00",
                          {{"amount", "a positive amount, at most 4 decimals"}});
  if (note.size() > 255) return error_response(400, "note is longer than 255 characters");
  Money fee;
  std::string kind = "deposit", memo = note.empty() ? token.name : note, once_key;
  if (charge) {
    // Realtime billing: the provider charges amount + fee first; only a charge that succeeded
    // is credited. (The same key for a retried request never charges twice at the provider.)
    if (payments_ == nullptr) return error_response(501, "No payment provider is configured");
    if (c->billing.mode != BillingConfig::Mode::kRealtime)
      return error_response(409, "The client's billing mode is not realtime");
    // What a deposit would refuse, before the card is charged.
    if (auto refused = engine::Engine::refuse_deposit(snap->config(), c->id, *amount))
      return error_response(refused->http_status, refused->message);
    fee = amount->percent_bp(c->billing.deposit_fee_bp);
    engine::ChargeRequest cr;
    cr.client = c->id;
    cr.amount = *amount;
    cr.fee = fee;
    std::string key(trim(req.header("Idempotency-Key")));
    if (key.size() > 255) return error_response(400, "Idempotency-Key is longer than 255 bytes");
    cr.idempotency_key = key.empty()
                             ? "chg_" + thread_id_generator().lead_id(engine_.clock().now_ms())
                             : "client-" + std::to_string(c->id) + ":" + key;
    once_key = cr.idempotency_key;
    cr.description = "Balance top-up, client " + std::to_string(c->id);
    engine::ChargeResult res = payments_->charge(cr);
    if (res.status == engine::ChargeResult::Status::kDeclined)
      return error_response(402, "The payment method was declined: " + res.message);
    if (res.status != engine::ChargeResult::Status::kSucceeded)
      return error_response(502, "The payment provider failed: " + res.message);
    kind = "charge";
    memo = std::string(payments_->name()) + " " + res.provider_ref;
  }
  engine::Engine::DepositResult r =
      engine_.deposit(c->id, *amount, fee, kind, memo, charge ? once_key : std::string_view());
  if (r.http_status != 201 && r.http_status != 200) return error_response(r.http_status, r.message);
  std::string out;
  JsonWriter w(out);
  w.begin_object().kv("id", r.id).key("amount").value(*amount).key("fee").value(fee);
  w.kv("resumed", r.resumed);
  write_balance(w, *c, engine_.balances().view(c->id), recharger_);
  w.end_object();
  return json_response(r.http_status, std::move(out));
}

}  // namespace pp::api
