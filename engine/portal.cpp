#include "engine/portal.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

#include "config/document.h"
#include "core/hash.h"
#include "core/ids.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "engine/jobs.h"

namespace pp::engine {

namespace json = boost::json;

namespace {

constexpr std::string_view kUser = "portal/user/";
constexpr std::string_view kEmail = "portal/email/";
constexpr std::string_view kSession = "portal/session/";
constexpr std::string_view kKey = "portal/key/";
constexpr std::string_view kUserKeys = "portal/userkey/";  // + user + "/" + key id -> key hash
constexpr std::string_view kReset = "portal/reset/";
constexpr int64_t kThrottleWindowMs = 15 * 60 * 1000;
constexpr size_t kThrottleKeys = 100000;  // addresses and emails remembered at most

std::string key_of(std::string_view prefix, std::string_view rest) {
  std::string k(prefix);
  k += rest;
  return k;
}

// "pps_" / "ppk_" / "ppr_" + 64 hex digits of the system's CSPRNG.
std::string new_secret(std::string_view prefix) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw = random_bytes(32);
  std::string s(prefix);
  for (unsigned char c : raw) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

bool secret_shape(std::string_view token, std::string_view prefix) {
  if (token.size() != prefix.size() + 64 || !token.starts_with(prefix)) return false;
  for (char c : token.substr(prefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string user_record(const PortalUser& u) {
  json::object o;
  o["id"] = u.id;
  o["email"] = u.email;
  o["name"] = u.name;
  o["kind"] = to_string(u.kind);
  json::array cs;
  for (ClientId c : u.clients) cs.push_back(c);
  o["clients"] = std::move(cs);
  o["password"] = u.password_hash;
  o["disabled"] = u.disabled;
  o["epoch"] = u.epoch;
  o["created_ms"] = u.created_ms;
  o["updated_ms"] = u.updated_ms;
  o["updated_by"] = u.updated_by;
  return json::serialize(o);
}

// A stored record (a user, session, key or reset link) as a JSON object; nullopt when unreadable.
std::optional<json::object> record_of(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::optional<PortalUser> parse_user(std::string_view text) {
  auto o = record_of(text);
  if (!o) return std::nullopt;
  PortalUser u;
  u.id = param_string(*o, "id");
  u.email = param_string(*o, "email");
  u.name = param_string(*o, "name");
  if (!parse_portal_kind(param_string(*o, "kind"), u.kind)) return std::nullopt;
  if (const json::value* cs = o->if_contains("clients"); cs && cs->is_array())
    for (const auto& c : cs->as_array())
      if (c.is_int64()) u.clients.push_back(c.as_int64());
  u.password_hash = param_string(*o, "password");
  u.disabled = config::flag_of(*o, "disabled");
  u.epoch = uint32_t(param_int(*o, "epoch"));
  u.created_ms = param_int(*o, "created_ms");
  u.updated_ms = param_int(*o, "updated_ms");
  u.updated_by = param_string(*o, "updated_by");
  if (u.id.empty() || u.email.empty()) return std::nullopt;
  return u;
}

const storage::Status kOk{};

}  // namespace

std::string_view to_string(PortalKind k) {
  return k == PortalKind::kSupplier ? "supplier" : "buyer";
}

bool parse_portal_kind(std::string_view s, PortalKind& out) {
  if (s == "buyer") {
    out = PortalKind::kBuyer;
    return true;
  }
  if (s == "supplier") {
    out = PortalKind::kSupplier;
    return true;
  }
  return false;
}

bool PortalUser::maps(ClientId c) const {
  return std::find(clients.begin(), clients.end(), c) != clients.end();
}

std::string render_user(const PortalUser& u) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .kv("id", u.id)
      .kv("email", u.email)
      .kv("name", u.name)
      .kv("kind", to_string(u.kind))
      .key("clients")
      .begin_array();
  for (ClientId c : u.clients) w.value(c);
  w.end_array()
      .kv("disabled", u.disabled)
      .kv("has_password", !u.password_hash.empty())
      .kv("created_at", u.created_ms)
      .kv("updated_at", u.updated_ms)
      .kv("updated_by", u.updated_by)
      .end_object();
  return out;
}

std::optional<std::string> normalize_email(std::string_view email) {
  std::string e = to_lower(trim(email));
  const size_t at = e.find('@');
  if (e.size() < 3 || e.size() > 254 || at == std::string::npos || at == 0 || at + 1 >= e.size() ||
      e.find('@', at + 1) != std::string::npos ||
      e.find_first_of(" \t\r\n<>,;\"'/\\") != std::string::npos)
    return std::nullopt;
  return e;
}

PortalAccounts::PortalAccounts(storage::Store& store, const Clock& clock, Options options)
    : store_(store), clock_(clock), options_(options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not start");
  options_.hash_ops = std::max<uint64_t>(options_.hash_ops, crypto_pwhash_OPSLIMIT_MIN);
  options_.hash_mem_bytes = std::max<size_t>(options_.hash_mem_bytes, crypto_pwhash_MEMLIMIT_MIN);
  dummy_hash_ = hash_password(new_secret("x"));
}

std::optional<std::string> PortalAccounts::password_problem(std::string_view password) {
  if (password.size() < 10) return "password must be at least 10 characters";
  if (password.size() > 256) return "password must be at most 256 characters";
  return std::nullopt;
}

std::string PortalAccounts::hash_password(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), options_.hash_ops,
                            options_.hash_mem_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory hashing a password");
  return out;
}

bool PortalAccounts::verify_password(const std::string& hash, std::string_view password) {
  if (hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

storage::Read<PortalUser> PortalAccounts::read_user_key(const std::string& key) {
  storage::Read<PortalUser> r;
  auto text = store_.get_state(key);
  if (!text) return r;  // absent (a failed read reads as absent here: get_state says no more)
  r.value = parse_user(*text);
  if (!r.value) r.status = {storage::Status::Code::kCorrupt, "portal user record unreadable"};
  return r;
}

storage::Read<PortalUser> PortalAccounts::find_user(std::string_view id) {
  return read_user_key(key_of(kUser, id));
}

storage::Read<PortalUser> PortalAccounts::find_by_email(std::string_view email) {
  auto e = normalize_email(email);
  if (!e) return {};
  auto id = store_.get_state(key_of(kEmail, *e));
  if (!id) return {};
  return find_user(*id);
}

storage::Status PortalAccounts::create_user(PortalUser& user, std::string_view password,
                                            std::string& error) {
  auto e = normalize_email(user.email);
  if (!e) {
    error = "email must be an email address";
    return kOk;
  }
  user.email = *e;
  if (!password.empty()) {
    if (auto p = password_problem(password)) {
      error = *p;
      return kOk;
    }
    user.password_hash = hash_password(password);
  }
  // One creation at a time: two admins adding the same email cannot both pass this check.
  std::lock_guard lk(create_mu_);
  if (store_.get_state(key_of(kEmail, user.email))) {
    error = "a portal user with this email exists";
    return kOk;
  }
  const UnixMs now = clock_.now_ms();
  user.id = "pu_" + thread_id_generator().lead_id(now);
  user.epoch = 1;
  user.created_ms = user.updated_ms = now;
  return store_.write_state(
      {{key_of(kUser, user.id), user_record(user)}, {key_of(kEmail, user.email), user.id}}, {});
}

storage::Status PortalAccounts::list_users(std::vector<PortalUser>& out) {
  return store_.scan_state(kUser, false, [&](std::string_view, std::string_view v) {
    if (auto u = parse_user(v)) out.push_back(std::move(*u));
    return out.size() < 100000;
  });
}

storage::Status PortalAccounts::save_user(PortalUser& user, bool end_sessions) {
  if (end_sessions) ++user.epoch;
  user.updated_ms = clock_.now_ms();
  return store_.write_state({{key_of(kUser, user.id), user_record(user)}}, {});
}

storage::Status PortalAccounts::delete_user(const PortalUser& user) {
  std::vector<storage::Store::StateWrite> writes{{key_of(kUser, user.id), std::nullopt},
                                                 {key_of(kEmail, user.email), std::nullopt}};
  const std::string prefix = key_of(kUserKeys, user.id + "/");
  storage::Status st =
      store_.scan_state(prefix, false, [&](std::string_view k, std::string_view v) {
        writes.push_back({std::string(k), std::nullopt});
        writes.push_back({key_of(kKey, v), std::nullopt});
        return true;
      });
  if (!st.ok()) return st;
  return store_.write_state(writes, {});
}

bool PortalAccounts::over_limit(const std::string& key, size_t limit, UnixMs now,
                                int& retry_after_s) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return false;
  auto& q = it->second;
  while (!q.empty() && q.front() <= now - kThrottleWindowMs) q.pop_front();
  if (q.empty()) {
    failures_.erase(it);
    return false;
  }
  if (q.size() < limit) return false;
  retry_after_s = std::max(retry_after_s, int((q.front() + kThrottleWindowMs - now + 999) / 1000));
  return true;
}

void PortalAccounts::note(const std::string& key, UnixMs now) {
  if (failures_.size() >= kThrottleKeys) {
    // Forget the entries whose events are all old; if every one is recent, start over (an
    // attack from very many addresses still meets the per-email limit of the remembered ones).
    std::erase_if(failures_, [&](const auto& kv) {
      return kv.second.empty() || kv.second.back() <= now - kThrottleWindowMs;
    });
    if (failures_.size() >= kThrottleKeys) failures_.clear();
  }
  auto& q = failures_[key];
  q.push_back(now);
  if (q.size() > 10000) q.pop_front();
}

bool PortalAccounts::throttled(const std::string& email, const std::string& ip,
                               const PortalConfig& cfg, int& retry_after_s) {
  const UnixMs now = clock_.now_ms();
  std::lock_guard lk(throttle_mu_);
  const bool by_email = over_limit("e:" + email, cfg.login_failures, now, retry_after_s);
  const bool by_ip =
      !ip.empty() && over_limit("i:" + ip, size_t(cfg.login_failures) * 10, now, retry_after_s);
  return by_email || by_ip;
}

void PortalAccounts::failed(const std::string& email, const std::string& ip) {
  const UnixMs now = clock_.now_ms();
  std::lock_guard lk(throttle_mu_);
  note("e:" + email, now);
  if (!ip.empty()) note("i:" + ip, now);
}

PortalAccounts::Login PortalAccounts::login(std::string_view email_in, std::string_view password,
                                            std::string_view client_ip, const PortalConfig& cfg) {
  Login r;
  const std::string email = normalize_email(email_in).value_or(to_lower(trim(email_in)));
  const std::string ip(client_ip);
  if (throttled(email, ip, cfg, r.retry_after_s)) {
    r.outcome = LoginOutcome::kLocked;
    return r;
  }
  storage::Read<PortalUser> found = find_by_email(email);
  if (found.failed()) {
    r.outcome = LoginOutcome::kStoreError;
    return r;
  }
  // One verification whatever happens: an unknown email takes as long as a wrong password.
  const bool known = found.found() && !found.value->password_hash.empty();
  const bool match = verify_password(known ? found.value->password_hash : dummy_hash_, password);
  if (!known || !match || found.value->disabled) {
    failed(email, ip);
    r.outcome = LoginOutcome::kRefused;
    return r;
  }
  r.user = std::move(*found.value);
  r.token = new_secret("pps_");
  r.csrf = new_secret("ppc_");
  const UnixMs now = clock_.now_ms();
  json::object s;
  s["user"] = r.user.id;
  s["csrf"] = r.csrf;
  s["epoch"] = r.user.epoch;
  s["created_ms"] = now;
  s["seen_ms"] = now;
  s["expires_ms"] = now + int64_t(cfg.session_hours) * 3600000;
  storage::Status st = store_.put_state(key_of(kSession, sha256_hex(r.token)), json::serialize(s));
  r.outcome = st.ok() ? LoginOutcome::kOk : LoginOutcome::kStoreError;
  return r;
}

std::optional<PortalCaller> PortalAccounts::session(std::string_view token,
                                                    const PortalConfig& cfg) {
  if (!secret_shape(token, "pps_")) return std::nullopt;
  const std::string hash = sha256_hex(token);
  auto text = store_.get_state(key_of(kSession, hash));
  if (!text) return std::nullopt;
  auto f = record_of(*text);
  if (!f) return std::nullopt;
  const UnixMs now = clock_.now_ms();
  const int64_t seen = param_int(*f, "seen_ms");
  if (now >= param_int(*f, "expires_ms") || now - seen >= int64_t(cfg.idle_minutes) * 60000) {
    (void)store_.delete_state(key_of(kSession, hash));
    return std::nullopt;
  }
  auto user = find_user(param_string(*f, "user"));
  if (!user.found() || user.value->disabled ||
      user.value->epoch != uint32_t(param_int(*f, "epoch")))
    return std::nullopt;
  if (now - seen >= 60000) {  // idle time, kept to the minute, never waited for
    (*f)["seen_ms"] = now;
    store_.put_state_later(key_of(kSession, hash), json::serialize(*f));
  }
  PortalCaller c;
  c.user = std::move(*user.value);
  c.session_hash = hash;
  c.csrf = param_string(*f, "csrf");
  return c;
}

storage::Status PortalAccounts::logout(const std::string& session_hash) {
  return store_.delete_state(key_of(kSession, session_hash));
}

storage::Status PortalAccounts::create_key(const PortalUser& user, std::string name,
                                           std::string& token, PortalKeyInfo& info) {
  token = new_secret("ppk_");
  const UnixMs now = clock_.now_ms();
  info.id = "pk_" + thread_id_generator().lead_id(now);
  info.name = std::move(name);
  info.prefix = token.substr(0, 12);
  info.created_ms = now;
  const std::string hash = sha256_hex(token);
  json::object k;
  k["user"] = user.id;
  k["id"] = info.id;
  k["name"] = info.name;
  k["prefix"] = info.prefix;
  k["created_ms"] = now;
  return store_.write_state({{key_of(kKey, hash), json::serialize(k)},
                             {key_of(kUserKeys, user.id + "/" + info.id), hash}},
                            {});
}

storage::Status PortalAccounts::list_keys(const PortalUser& user, std::vector<PortalKeyInfo>& out) {
  std::vector<std::string> hashes;
  storage::Status st = store_.scan_state(key_of(kUserKeys, user.id + "/"), false,
                                         [&](std::string_view, std::string_view v) {
                                           hashes.emplace_back(v);
                                           return hashes.size() < 1000;
                                         });
  if (!st.ok()) return st;
  for (const std::string& h : hashes) {
    auto text = store_.get_state(key_of(kKey, h));
    if (!text) continue;
    auto f = record_of(*text);
    if (!f) continue;
    out.push_back({param_string(*f, "id"), param_string(*f, "name"), param_string(*f, "prefix"),
                   param_int(*f, "created_ms")});
  }
  return st;
}

storage::Status PortalAccounts::revoke_key(const PortalUser& user, std::string_view key_id,
                                           bool& found) {
  const std::string index = key_of(kUserKeys, user.id + "/" + std::string(key_id));
  auto hash = store_.get_state(index);
  found = hash.has_value();
  if (!found) return kOk;
  return store_.write_state({{index, std::nullopt}, {key_of(kKey, *hash), std::nullopt}}, {});
}

std::optional<PortalCaller> PortalAccounts::by_key(std::string_view token) {
  if (!secret_shape(token, "ppk_")) return std::nullopt;
  auto text = store_.get_state(key_of(kKey, sha256_hex(token)));
  if (!text) return std::nullopt;
  auto f = record_of(*text);
  if (!f) return std::nullopt;
  auto user = find_user(param_string(*f, "user"));
  if (!user.found() || user.value->disabled) return std::nullopt;
  PortalCaller c;
  c.user = std::move(*user.value);
  c.by_key = true;
  return c;
}

storage::Status PortalAccounts::issue_link(const PortalUser& user, int64_t valid_ms,
                                           const LinkNotice& make_outbox) {
  const std::string token = new_secret("ppr_");
  json::object r;
  r["user"] = user.id;
  r["epoch"] = user.epoch;
  r["expires_ms"] = clock_.now_ms() + valid_ms;
  return store_.write_state({{key_of(kReset, sha256_hex(token)), json::serialize(r)}},
                            make_outbox(user, token));
}

storage::Status PortalAccounts::request_reset(std::string_view email, const PortalConfig& cfg,
                                              const LinkNotice& make_outbox) {
  storage::Read<PortalUser> user = find_by_email(email);
  if (user.failed()) return user.status;
  if (!user.found() || user.value->disabled) return kOk;
  {
    // At most 3 links an email per 15 minutes: the form cannot be used to flood a mailbox.
    const UnixMs now = clock_.now_ms();
    std::lock_guard lk(throttle_mu_);
    int unused = 0;
    if (over_limit("r:" + user.value->email, 3, now, unused)) return kOk;
    note("r:" + user.value->email, now);
  }
  return issue_link(*user.value, int64_t(cfg.reset_minutes) * 60000, make_outbox);
}

storage::Status PortalAccounts::reset_password(std::string_view token, std::string_view password,
                                               bool& done, std::string& error) {
  done = false;
  error = "this link is unknown, used or expired";
  if (!secret_shape(token, "ppr_")) return kOk;
  const std::string key = key_of(kReset, sha256_hex(token));
  auto text = store_.get_state(key);
  if (!text) return kOk;
  auto f = record_of(*text);
  auto user = find_user(f ? param_string(*f, "user") : std::string());
  if (user.failed()) return user.status;
  if (!f || clock_.now_ms() >= param_int(*f, "expires_ms") || !user.found() ||
      user.value->disabled || user.value->epoch != uint32_t(param_int(*f, "epoch"))) {
    (void)store_.delete_state(key);
    return kOk;
  }
  if (auto p = password_problem(password)) {
    error = *p;
    return kOk;
  }
  PortalUser& u = *user.value;
  u.password_hash = hash_password(password);
  ++u.epoch;  // every session and every other link ends
  u.updated_ms = clock_.now_ms();
  u.updated_by = u.email;
  storage::Status st =
      store_.write_state({{key_of(kUser, u.id), user_record(u)}, {key, std::nullopt}}, {});
  if (st.ok()) {
    done = true;
    error.clear();
  }
  return st;
}

storage::Status PortalAccounts::change_password(PortalUser& user, std::string_view current,
                                                std::string_view next, std::string& error) {
  if (!verify_password(user.password_hash, current)) {
    error = "the current password is wrong";
    return kOk;
  }
  if (auto p = password_problem(next)) {
    error = *p;
    return kOk;
  }
  user.password_hash = hash_password(next);
  user.updated_by = user.email;
  return save_user(user, true);
}

}  // namespace pp::engine
