// The pure checks of issue 17: phone numbers (libphonenumber and the NANP's own rules), email
// syntax and normal forms, suppression-list keys. Table-driven: each row is one case as an
// operator would see it.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <set>

#include "checks/email.h"
#include "checks/list_key.h"
#include "checks/phone.h"
#include "core/hash.h"

namespace pp::checks {
namespace {

struct PhoneCase {
  const char* raw;
  std::vector<std::string> countries;
  bool valid;
  const char* e164;
  const char* reason_part;  // in the reason when not valid
};

TEST(PhoneCheck, ValidAndInvalidNumbers) {
  const std::vector<PhoneCase> cases = {
      {"2125552671", {}, true, "+12125552671", ""},
      {"(415) 555-2671", {}, true, "+14155552671", ""},
      {"+1 415 555 2671", {}, true, "+14155552671", ""},
      {"1-415-555-2671", {}, true, "+14155552671", ""},
      {"415.555.2671", {"US"}, true, "+14155552671", ""},
      {"4155550123", {}, false, "+14155550123", "fictional"},  // 555-01XX
      {"4155550199", {}, false, "+14155550199", "fictional"},
      {"4155550200", {}, true, "+14155550200", ""},               // 555-0200 is a real block
      {"4154111234", {}, false, "+14154111234", "N11 exchange"},  // exchange 411
      {"2129111234", {}, false, "+12129111234", "N11 exchange"},
      {"9115551234", {}, false, "", "not a valid number"},  // area code 911
      {"1235551234", {}, false, "", "not a valid number"},  // area code starts with 1
      {"21255501", {}, false, "", "not a valid number"},    // too short
      {"212555012345678", {}, false, "", ""},               // too long
      {"not a phone", {}, false, "", "not a phone number"},
      {"", {}, false, "", "not a phone number"},
      {"+442079460958", {}, false, "+442079460958", "a number of GB"},
      {"+442079460958", {"US", "GB"}, true, "+442079460958", ""},
      {"6135550123", {}, false, "+16135550123", "a number of CA"},  // Ottawa: Canada, not US
      {"6132360000", {"US", "CA"}, true, "+16132360000", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.raw);
    PhoneResult r = check_phone(c.raw, c.countries);
    EXPECT_EQ(r.valid, c.valid) << r.reason;
    if (*c.e164) {
      EXPECT_EQ(r.e164, c.e164);
    }
    if (!c.valid && *c.reason_part) {
      EXPECT_NE(r.reason.find(c.reason_part), std::string::npos) << r.reason;
    }
    if (c.valid) {
      EXPECT_TRUE(r.reason.empty());
      EXPECT_FALSE(r.region.empty());
    }
  }
}

TEST(PhoneCheck, LineTypesWhereKnown) {
  PhoneResult toll = check_phone("8002752273", {});
  EXPECT_TRUE(toll.valid) << toll.reason;
  EXPECT_EQ(toll.line_type, LineType::kTollFree);
  PhoneResult us = check_phone("2125552671", {});
  EXPECT_EQ(us.line_type, LineType::kFixedLineOrMobile);
  PhoneResult uk_mobile = check_phone("+447400123456", {"GB"});
  EXPECT_EQ(uk_mobile.line_type, LineType::kMobile);
  // A rule allowing mobile numbers passes a US number (it may be one), not a toll-free one.
  EXPECT_TRUE(line_type_allowed(us.line_type, {LineType::kMobile}));
  EXPECT_FALSE(line_type_allowed(toll.line_type, {LineType::kMobile, LineType::kFixedLine}));
  EXPECT_TRUE(line_type_allowed(toll.line_type, {}));
  EXPECT_TRUE(line_type_allowed(LineType::kUnknown, {LineType::kMobile}));
  EXPECT_FALSE(line_type_allowed(LineType::kVoip, {LineType::kMobile}));
  LineType t;
  ASSERT_TRUE(parse_line_type("fixed_line_or_mobile", t));
  EXPECT_EQ(t, LineType::kFixedLineOrMobile);
  EXPECT_FALSE(parse_line_type("landline", t));
  EXPECT_TRUE(known_region("US"));
  EXPECT_FALSE(known_region("XX"));
}

struct EmailCase {
  const char* raw;
  bool valid;
  const char* normalized;
  const char* reason_part;
};

TEST(EmailCheck, PracticalSubsetOfTheRfcs) {
  const std::vector<EmailCase> cases = {
      {"jane@example.com", true, "jane@example.com", ""},
      {"  Jane.Doe+leads@Example.COM ", true, "jane.doe+leads@example.com", ""},
      {"o'brien@example.co.uk", true, "o'brien@example.co.uk", ""},
      {"user@sub-domain.example.org", true, "user@sub-domain.example.org", ""},
      {"jane@bücher.de", true, "jane@xn--bcher-kva.de", ""},
      {"jane@xn--bcher-kva.de", true, "jane@xn--bcher-kva.de", ""},
      {"用户@例子.广告", true, "用户@xn--fsqu00a.xn--4rr70v", ""},
      {"jane@example.com.", true, "jane@example.com", ""},
      {"jane.example.com", false, "", "no '@'"},
      {"@example.com", false, "", "empty local part"},
      {"jane@", false, "", "no domain"},
      {"jane@localhost", false, "", "without a top-level domain"},
      {"jane@example.123", false, "", "numeric top-level"},
      {"jane..doe@example.com", false, "", "double dot"},
      {".jane@example.com", false, "", "leading"},
      {"jane.@example.com", false, "", "trailing"},
      {"ja ne@example.com", false, "", "not allowed in the local part"},
      {"jane@exa mple.com", false, "", "not allowed in a domain"},
      {"jane@-example.com", false, "", "starts or ends with '-'"},
      {"jane@example..com", false, "", "empty"},
      {"jane@[192.168.0.1]", false, "", "literals"},
      {"a@b@example.com", false, "", "more than one '@'"},
      {"\"quoted\"@example.com", false, "", "not allowed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.raw);
    EmailResult r = check_email(c.raw);
    EXPECT_EQ(r.valid, c.valid) << r.reason;
    if (c.valid) {
      EXPECT_EQ(r.normalized, c.normalized);
    }
    if (!c.valid) {
      EXPECT_NE(r.reason.find(c.reason_part), std::string::npos) << r.reason;
    }
  }
  EXPECT_FALSE(check_email(std::string(65, 'a') + "@example.com").valid);
  EXPECT_TRUE(check_email(std::string(64, 'a') + "@example.com").valid);
  EXPECT_FALSE(check_email("a@" + std::string(64, 'b') + ".com").valid);
  EXPECT_FALSE(check_email(std::string(250, 'a') + "@example.com").valid);
}

TEST(ListKeys, TheMixerIsABijection) {
  std::mt19937_64 rng(17);
  for (int i = 0; i < 100000; ++i) {
    uint64_t x = rng();
    EXPECT_EQ(unmix64(mix64(x)), x);
  }
  for (uint64_t x : {0ULL, 1ULL, 12125550123ULL, ~0ULL}) EXPECT_EQ(unmix64(mix64(x)), x);
}

TEST(ListKeys, PhonesInEveryWritingAreOneKey) {
  std::string err;
  auto k = entry_key(ListKind::kPhone, "2125550123", err);
  ASSERT_TRUE(k);
  for (const char* w : {"(212) 555-0123", "1-212-555-0123", "+12125550123", " 212.555.0123 "}) {
    SCOPED_TRACE(w);
    EXPECT_EQ(entry_key(ListKind::kPhone, w, err), k);
    uint64_t keys[3];
    ASSERT_EQ(phone_lookup_keys(ListKind::kPhone, w, keys), 1u);
    EXPECT_EQ(keys[0], *k);
  }
  EXPECT_EQ(unmix64(*k), 12125550123ULL);  // a key gives its number back
  EXPECT_NE(entry_key(ListKind::kPhone, "2125550124", err), k);
  for (const char* bad : {"212555012", "22125550123", "phone", "212-555-0123 x5", ""}) {
    err.clear();
    EXPECT_FALSE(entry_key(ListKind::kPhone, bad, err)) << bad;
    EXPECT_FALSE(err.empty());
  }
  EXPECT_TRUE(entry_key(ListKind::kPhone, "+442079460958", err));  // E.164 of any country
  uint64_t keys[3];
  EXPECT_EQ(phone_lookup_keys(ListKind::kEmail, "2125550123", keys), 0u);
}

TEST(ListKeys, EmailsAndDomainsByTheirNormalForm) {
  std::string err;
  auto k = entry_key(ListKind::kEmail, "Jane.Doe@Example.COM", err);
  ASSERT_TRUE(k);
  uint64_t keys[3];
  ASSERT_EQ(email_lookup_keys(ListKind::kEmail, " jane.doe@example.com", keys), 1u);
  EXPECT_EQ(keys[0], *k);
  auto d = entry_key(ListKind::kEmailDomain, "@Mailinator.com", err);
  ASSERT_TRUE(d);
  ASSERT_EQ(email_lookup_keys(ListKind::kEmailDomain, "x@MAILINATOR.com", keys), 1u);
  EXPECT_EQ(keys[0], *d);
  auto idn = entry_key(ListKind::kEmailDomain, "bücher.de", err);
  ASSERT_TRUE(idn);
  ASSERT_EQ(email_lookup_keys(ListKind::kEmailDomain, "a@xn--bcher-kva.de", keys), 1u);
  EXPECT_EQ(keys[0], *idn);
  EXPECT_FALSE(entry_key(ListKind::kEmail, "no-at-sign", err));
  EXPECT_EQ(email_lookup_keys(ListKind::kPhone, "jane@example.com", keys), 0u);
}

TEST(ListKeys, HashesAsBuyersSupplyThem) {
  std::string err;
  // A buyer's list of SHA-256 hashes of lower-case emails, and of 10-digit phones.
  auto e = entry_key(ListKind::kSha256, sha256_hex("jane@example.com"), err);
  auto p = entry_key(ListKind::kSha256, sha256_hex("2125550123"), err);
  ASSERT_TRUE(e && p);
  uint64_t keys[3];
  ASSERT_EQ(email_lookup_keys(ListKind::kSha256, "Jane@Example.com", keys), 1u);
  EXPECT_EQ(keys[0], *e);
  size_t n = phone_lookup_keys(ListKind::kSha256, "(212) 555-0123", keys);
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(keys[0], *p);
  // ... or of E.164 numbers, with or without '+'.
  EXPECT_EQ(keys[1], *entry_key(ListKind::kSha256, sha256_hex("12125550123"), err));
  EXPECT_EQ(keys[2], *entry_key(ListKind::kSha256, sha256_hex("+12125550123"), err));
  // MD5, upper-case hex accepted.
  std::string md5 = md5_hex("jane@example.com");
  for (char& c : md5) c = char(std::toupper(c));
  auto m = entry_key(ListKind::kMd5, md5, err);
  ASSERT_TRUE(m);
  ASSERT_EQ(email_lookup_keys(ListKind::kMd5, "jane@example.com", keys), 1u);
  EXPECT_EQ(keys[0], *m);
  EXPECT_FALSE(entry_key(ListKind::kMd5, sha256_hex("x"), err));  // wrong length
  EXPECT_FALSE(entry_key(ListKind::kSha256, std::string(64, 'g'), err));
  ListKind kind;
  EXPECT_TRUE(parse_list_kind("email_domain", kind));
  EXPECT_EQ(kind, ListKind::kEmailDomain);
  EXPECT_FALSE(parse_list_kind("sha1", kind));
}

}  // namespace
}  // namespace pp::checks
