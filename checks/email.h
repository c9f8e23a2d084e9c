#pragma once
// The email check (issue 17): RFC 5321/5322's practical subset — a dot-atom local part (UTF-8
// allowed, as RFC 6531 does), a domain of at least two labels converted to ASCII by IDNA 2008
// (libidn2: "bücher.de" -> "xn--bcher-kva.de"), the SMTP length limits — and the normal form that
// suppression lists are matched on.
#include <string>
#include <string_view>

namespace pp::checks {

struct EmailResult {
  bool valid = false;
  std::string normalized;  // local part lower-cased (ASCII letters), "@", the ASCII domain
  std::string domain;      // ASCII (A-labels), lower case
  std::string reason;      // why not valid
};

EmailResult check_email(std::string_view raw);

// The form an email takes as a list entry and when a lead is looked up (trimmed, lower-cased, the
// domain in ASCII): cheaper than check_email, for 10^8-row uploads. Empty when there is no '@'
// or the domain cannot be converted.
std::string normalize_email(std::string_view raw);
// The same for a bare domain ("Example.COM" -> "example.com", IDN -> A-labels); empty if invalid.
std::string normalize_domain(std::string_view raw);

}  // namespace pp::checks
