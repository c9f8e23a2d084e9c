#include "buyers/css_select.h"

#include <gtest/gtest.h>

namespace pp::buyers {
namespace {

std::string xp(std::string_view css) {
  std::string err;
  auto x = css_to_xpath(css, err);
  EXPECT_TRUE(x) << css << ": " << err;
  return x.value_or("");
}

std::string error_of(std::string_view css) {
  std::string err;
  EXPECT_FALSE(css_to_xpath(css, err)) << css;
  return err;
}

TEST(CssSelect, SimpleSelectorsAndCombinators) {
  EXPECT_EQ(xp("div"), "//div");
  EXPECT_EQ(xp("*"), "//*");
  EXPECT_EQ(xp("#result"), "//*[@id='result']");
  EXPECT_EQ(xp("SPAN.Price"),
            "//span[contains(concat(' ',normalize-space(@class),' '),' Price ')]");
  EXPECT_EQ(xp("div > p"), "//div/p");
  EXPECT_EQ(xp("div p"), "//div//p");
  EXPECT_EQ(xp("h1 + p"), "//h1/following-sibling::*[1][self::p]");
  EXPECT_EQ(xp("h1 ~ p"), "//h1/following-sibling::p");
  EXPECT_EQ(xp("a, b"), "//a | //b");
}

TEST(CssSelect, AttributesAndPseudoClasses) {
  EXPECT_EQ(xp("[data-status]"), "//*[@data-status]");
  EXPECT_EQ(xp("input[name=price]"), "//input[@name='price']");
  EXPECT_EQ(xp("a[href^=\"https://\"]"), "//a[starts-with(@href,'https://')]");
  EXPECT_EQ(xp("a[href$='.pdf']"), "//a[substring(@href,string-length(@href)-4+1)='.pdf']");
  EXPECT_EQ(xp("a[title*=\"it's\"]"), "//a[contains(@title,\"it's\")]");
  EXPECT_EQ(xp("li:first-child"), "//li[not(preceding-sibling::*)]");
  EXPECT_EQ(xp("li:nth-child(3)"), "//li[count(preceding-sibling::*)=2]");
  EXPECT_EQ(xp("td:nth-of-type(2)"), "//td[count(preceding-sibling::td)=1]");
  EXPECT_EQ(xp("p:contains('Thank you')"), "//p[contains(normalize-space(.),'Thank you')]");
}

TEST(CssSelect, PseudoElementsPickTextOrAttribute) {
  EXPECT_EQ(xp("a#next::attr(href)"), "//a[@id='next']/@href");
  EXPECT_EQ(xp("div.msg::text"),
            "//div[contains(concat(' ',normalize-space(@class),' '),' msg ')]");
}

TEST(CssSelect, ErrorsSayWhatAndWhere) {
  EXPECT_NE(error_of("").find("is empty"), std::string::npos);
  EXPECT_NE(error_of("div >").find("expected a selector"), std::string::npos);
  EXPECT_NE(error_of("a[href").find("expected"), std::string::npos);
  EXPECT_NE(error_of("p:hover").find("unsupported pseudo-class :hover"), std::string::npos);
  EXPECT_NE(error_of("p::before").find("unknown pseudo-element"), std::string::npos);
  EXPECT_NE(error_of("a::attr(href) b").find("nothing may follow"), std::string::npos);
  EXPECT_NE(error_of(":nth-of-type(2)").find("needs an element name"), std::string::npos);
  EXPECT_NE(error_of("a,").find("ends with ','"), std::string::npos);
  EXPECT_NE(error_of("li:nth-child(0)").find("number from 1"), std::string::npos);
}

TEST(CssSelect, XPathLiteralsQuoteAnyText) {
  EXPECT_EQ(xpath_literal("plain"), "'plain'");
  EXPECT_EQ(xpath_literal("it's"), "\"it's\"");
  EXPECT_EQ(xpath_literal("it's \"x\""), "concat('it',\"'\",'s \"x\"')");
}

}  // namespace
}  // namespace pp::buyers
