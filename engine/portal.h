#pragma once
// Portal accounts (issue 20): the buyers' and suppliers' logins. Users, their sessions, API keys
// and password-reset links are records in the store's state family (not the configuration: a
// password change is not a configuration version), JSON:
//   portal/user/<id>           the user (email, kind, mapped clients, Argon2id hash, epoch)
//   portal/email/<email>       -> user id (emails are unique, compared lower-cased)
//   portal/session/<sha256>    a login: user, CSRF token, epoch, created, expires
//   portal/key/<sha256>        an API key: user, key id, name, created
//   portal/reset/<sha256>      a password-reset link: user, epoch, expires
// Secrets (session tokens, keys, reset links) are random, shown once, and stored only as their
// SHA-256; passwords as Argon2id (libsodium). A user's `epoch` rises when its password changes, it
// is disabled or its mappings change: sessions and reset links of an older epoch are refused, so
// one write ends them all.
//
// Synchronous (each write one synced RocksDB write; Argon2id takes tens of milliseconds at the
// default cost): call on a report thread, never on an I/O thread.
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "core/time.h"
#include "storage/store.h"

namespace pp::engine {

enum class PortalKind : uint8_t { kBuyer, kSupplier };
std::string_view to_string(PortalKind k);  // "buyer", "supplier"
bool parse_portal_kind(std::string_view s, PortalKind& out);

struct PortalUser {
  std::string id;     // "pu_" + 20 characters
  std::string email;  // lower case
  std::string name;
  PortalKind kind = PortalKind::kBuyer;
  std::vector<ClientId> clients;  // the mappings: the clients whose buyers (or suppliers) it sees
  std::string password_hash;      // Argon2id (libsodium's string); empty: no password yet
  bool disabled = false;
  uint32_t epoch = 1;
  UnixMs created_ms = 0;
  UnixMs updated_ms = 0;
  std::string updated_by;

  bool maps(ClientId c) const;
};
// The user as the API shows it (never its hash).
std::string render_user(const PortalUser& u);

// Who calls a portal route.
struct PortalCaller {
  PortalUser user;
  bool by_key = false;       // an API key: no cookie, no CSRF token
  std::string session_hash;  // a session's (logout ends it)
  std::string csrf;          // the session's CSRF token
};

struct PortalKeyInfo {
  std::string id;  // "pk_..."
  std::string name;
  std::string prefix;  // the key's first characters (to recognise it)
  UnixMs created_ms = 0;
};

class PortalAccounts {
 public:
  // Argon2id cost (libsodium's opslimit / memlimit). Tests lower it (never below libsodium's
  // minimums); the default is libsodium's "interactive" (2 passes, 64 MiB).
  struct Options {
    uint64_t hash_ops = 2;
    size_t hash_mem_bytes = size_t(64) << 20;
  };
  PortalAccounts(storage::Store& store, const Clock& clock, Options options);

  // Passwords: 10 to 256 characters. The problem, or nullopt.
  static std::optional<std::string> password_problem(std::string_view password);
  std::string hash_password(std::string_view password) const;
  static bool verify_password(const std::string& hash, std::string_view password);

  // Users. `error` says why not (400 text) when nullopt comes back with ok status.
  storage::Status create_user(PortalUser& user, std::string_view password, std::string& error);
  storage::Read<PortalUser> find_user(std::string_view id);
  storage::Read<PortalUser> find_by_email(std::string_view email);
  storage::Status list_users(std::vector<PortalUser>& out);
  // Writes the user (its email must not change); `end_sessions` raises its epoch first.
  storage::Status save_user(PortalUser& user, bool end_sessions);
  // Removes the user, its email, keys (sessions end with it: they name a user that is gone).
  storage::Status delete_user(const PortalUser& user);

  // Logins. Every attempt for an email, known or not, costs one Argon2id verification (no
  // timing tells which emails exist). After `cfg.login_failures` failures for an email (or 10
  // times that from one address) in 15 minutes, attempts are refused until the oldest failure is
  // 15 minutes old (kLocked, retry_after_s).
  enum class LoginOutcome : uint8_t { kOk, kRefused, kLocked, kStoreError };
  struct Login {
    LoginOutcome outcome = LoginOutcome::kRefused;
    std::string token;  // the session cookie's value (shown once)
    std::string csrf;
    PortalUser user;
    int retry_after_s = 0;
  };
  Login login(std::string_view email, std::string_view password, std::string_view client_ip,
              const PortalConfig& cfg);
  // The caller a session token names, if it is current (not expired, idle, of an older epoch,
  // of a disabled or deleted user). A session used after a minute is touched (idle time).
  std::optional<PortalCaller> session(std::string_view token, const PortalConfig& cfg);
  storage::Status logout(const std::string& session_hash);

  // API keys ("ppk_..."): a script's login, no session or CSRF.
  storage::Status create_key(const PortalUser& user, std::string name, std::string& token,
                             PortalKeyInfo& info);
  storage::Status list_keys(const PortalUser& user, std::vector<PortalKeyInfo>& out);
  // false: no such key of this user.
  storage::Status revoke_key(const PortalUser& user, std::string_view key_id, bool& found);
  std::optional<PortalCaller> by_key(std::string_view token);

  // Password links ("ppr_..."): a reset, or an invitation (a new user chooses its password).
  // The link's record and `make_outbox(user, token)`'s notice in one write.
  using LinkNotice =
      std::function<std::vector<storage::OutboxPut>(const PortalUser&, const std::string&)>;
  storage::Status issue_link(const PortalUser& user, int64_t valid_ms,
                             const LinkNotice& make_outbox);
  // A reset link for the user of `email`, if any and not disabled, valid cfg.reset_minutes; at
  // most 3 per email in 15 minutes. Nothing is written for an unknown email, nor past the limit
  // (the caller answers the same either way).
  storage::Status request_reset(std::string_view email, const PortalConfig& cfg,
                                const LinkNotice& make_outbox);
  // Sets the password of the link's user, ends its sessions and every other link (epoch), and
  // removes this one, in one write. false (and `error`): unknown, used or expired link, or a
  // password refused.
  storage::Status reset_password(std::string_view token, std::string_view password, bool& done,
                                 std::string& error);
  // A logged-in user's change of its own password (the current one verified).
  storage::Status change_password(PortalUser& user, std::string_view current, std::string_view next,
                                  std::string& error);

 private:
  bool throttled(const std::string& email, const std::string& ip, const PortalConfig& cfg,
                 int& retry_after_s);
  void failed(const std::string& email, const std::string& ip);
  // throttle_mu_ held: whether `key` had `limit` events in the last 15 minutes; records one.
  bool over_limit(const std::string& key, size_t limit, UnixMs now, int& retry_after_s);
  void note(const std::string& key, UnixMs now);
  storage::Read<PortalUser> read_user_key(const std::string& key);

  storage::Store& store_;
  const Clock& clock_;
  Options options_;
  std::string dummy_hash_;  // verified for unknown emails (equal time)
  std::mutex create_mu_;    // user creations (the email's uniqueness)
  std::mutex throttle_mu_;
  // Recent events by key: failed logins ("e:" email, "i:" address), reset links ("r:" email).
  std::unordered_map<std::string, std::deque<UnixMs>> failures_;
};

// Email addresses compared lower-cased, trimmed; nullopt when not an address.
std::optional<std::string> normalize_email(std::string_view email);

}  // namespace pp::engine
