#pragma once
// CSS selectors for HTML buyer answers, translated once (at configuration load) into XPath 1.0
// that libxml2 evaluates over its HTML parse. Pure; no libxml2 here.
//
// Supported (the subset buyers' "thank you" and error pages need):
//   type `div`, universal `*`, `#id`, `.class`, attributes `[a]` `[a=v]` `[a~=v]` `[a|=v]`
//   `[a^=v]` `[a$=v]` `[a*=v]` (values bare or quoted), pseudo-classes `:first-child`
//   `:last-child` `:only-child` `:nth-child(N)` `:first-of-type` `:last-of-type`
//   `:nth-of-type(N)` `:empty` `:contains("text")`, combinators (descendant, `>`, `+`, `~`),
//   groups `a, b`, and at the end of a selector the pseudo-elements `::text` (the default: the
//   element's text) or `::attr(name)` (an attribute's value), as Scrapy/parsel write them.
#include <optional>
#include <string>
#include <string_view>

namespace pp::buyers {

// The XPath selecting what `selector` names (elements, or attributes for ::attr), or nullopt
// with `error` saying what is wrong and where.
std::optional<std::string> css_to_xpath(std::string_view selector, std::string& error);

// An XPath 1.0 string literal for any text ('a', "it's", or concat(...) when both quotes occur).
std::string xpath_literal(std::string_view s);

}  // namespace pp::buyers
