// CSV both ways (core/csv.h): the parser fed in every split of its input gives the same rows;
// quotes, CRLF, byte-order marks and limits; written rows read back; formulas neutralised.
#include "core/csv.h"

#include <gtest/gtest.h>

namespace pp {
namespace {

using Rows = std::vector<std::vector<std::string>>;

Rows parse(std::string_view text, size_t piece, std::string* error = nullptr,
           CsvParser::Limits limits = {}) {
  Rows rows;
  CsvParser p(
      [&](std::vector<std::string>& cells, size_t) {
        rows.push_back(cells);
        return true;
      },
      limits);
  bool ok = true;
  for (size_t i = 0; ok && i < text.size(); i += piece) ok = p.feed(text.substr(i, piece));
  ok = ok && p.finish();
  if (error) *error = ok ? "" : p.error();
  return rows;
}

TEST(CsvParser, EveryWayOfCuttingTheInputGivesTheSameRows) {
  struct Case {
    std::string text;
    Rows rows;
  } cases[] = {
      {"a,b\r\n1,2\r\n", {{"a", "b"}, {"1", "2"}}},
      {"a,b\n1,2", {{"a", "b"}, {"1", "2"}}},
      {"\xEF\xBB\xBFphone\n4103097989\n", {{"phone"}, {"4103097989"}}},
      {"\"x, y\",\"say \"\"hi\"\"\"\n", {{"x, y", "say \"hi\""}}},
      {"\"two\nlines\",z\r\nnext,\r\n", {{"two\nlines", "z"}, {"next", ""}}},
      {"a\n\n\r\nb\n", {{"a"}, {"b"}}},  // blank lines skipped
      {",\n", {{"", ""}}},               // a row of empty cells is not blank
      {"\"\"\n", {{""}}},
      {"a\rb\r", {{"a"}, {"b"}}},  // old Mac line ends
      {"\xEF\xBB", {{"\xEF\xBB"}}},
  };
  for (const auto& c : cases)
    for (size_t piece : {1, 2, 3, 5, 1000}) {
      std::string err;
      EXPECT_EQ(parse(c.text, piece, &err), c.rows) << c.text << " in pieces of " << piece;
      EXPECT_EQ(err, "");
    }
}

TEST(CsvParser, LimitsAndUnclosedQuotesStopWithTheLine) {
  std::string err;
  parse("a\n\"open\n", 4, &err);
  EXPECT_EQ(err, "line 2: a quoted cell is not closed");
  CsvParser::Limits small;
  small.max_cell_bytes = 4;
  parse("ok\nlonger\n", 3, &err, small);
  EXPECT_EQ(err, "line 2: a cell is longer than 4 bytes");
  small = {};
  small.max_cells = 3;
  parse("a,b,c,d\n", 3, &err, small);
  EXPECT_EQ(err, "line 1: a row has more than 3 cells");
  small = {};
  small.max_row_bytes = 10;
  parse("\"0123456789abc\"\n", 3, &err, small);
  EXPECT_EQ(err, "line 1: a row is longer than 10 bytes");
}

TEST(CsvWriter, RowsReadBackAndFormulasAreText) {
  const std::vector<std::string> row = {"plain", "a,b", "say \"x\"", "two\nlines", ""};
  std::string out;
  append_csv_row(out, row);
  EXPECT_EQ(out, "plain,\"a,b\",\"say \"\"x\"\"\",\"two\nlines\",\r\n");
  EXPECT_EQ(parse(out, 1), Rows{row});
  struct Case {
    std::string in, out;
  } cases[] = {
      {"=1+1", "\"'=1+1\""},
      {"@SUM(A1)", "\"'@SUM(A1)\""},
      {"+15551234567", "+15551234567"},
      {"-3.5", "-3.5"},
      {"+1 (555) 123-4567", "+1 (555) 123-4567"},
      {"-A1", "\"'-A1\""},
      {"+", "\"'+\""},
      {"\tx", "\"'\tx\""},
  };
  for (const auto& c : cases) {
    std::string o;
    append_csv_row(o, std::vector<std::string>{c.in});
    EXPECT_EQ(o, c.out + "\r\n") << c.in;
    std::string raw;
    append_csv_row(raw, std::vector<std::string>{c.in}, false);
    EXPECT_EQ(parse(raw, 2), Rows{{c.in}});
  }
}

}  // namespace
}  // namespace pp
