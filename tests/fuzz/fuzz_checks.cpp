// Untrusted inputs of the compliance checks (issue 17): a list upload (any bytes, cut into pieces
// where the first byte says, for every list kind), a vendor's answer (TrustedForm under each
// policy, Jornaya) and a value a supplier sends (phone, email, certificate URL, LeadiD token).
// Never a crash; the reader's counts stay consistent.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "checks/email.h"
#include "checks/list_csv.h"
#include "checks/phone.h"
#include "checks/vendors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t cut = data[0] % (in.size() + 1);
  for (pp::ListKind kind : {pp::ListKind::kPhone, pp::ListKind::kEmail, pp::ListKind::kEmailDomain,
                            pp::ListKind::kSha256, pp::ListKind::kMd5}) {
    pp::checks::ListCsvReader r(kind, data[0] & 1 ? "" : "2");
    if (r.feed(in.substr(0, cut)) && r.feed(in.substr(cut))) r.finish();
    if (r.keys().size() + r.invalid() > r.rows() + 1) __builtin_trap();
  }
  using P = pp::checks::TrustedFormPolicy;
  for (P p : {P::kRecord, P::kRequireSuccess, P::kRequireMatch})
    (void)pp::checks::trustedform_answer(200 + data[0] % 300, in, p);
  (void)pp::checks::jornaya_answer(200, in);
  (void)pp::checks::check_phone(in.substr(0, 80), {"US", "CA"});
  (void)pp::checks::check_email(in);
  std::string why;
  (void)pp::checks::trustedform_cert_id(in, why);
  (void)pp::checks::jornaya_token_valid(in);
  return 0;
}
