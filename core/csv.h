#pragma once
// CSV (RFC 4180) both ways, with no I/O: rows appended to a buffer, and a streaming parser fed
// pieces of an upload as they arrive (quoted cells may hold commas, quotes doubled, and line
// breaks; CRLF or LF; a UTF-8 byte-order mark at the start is dropped). Sizes are bounded: a
// cell, a row's cells and a row's bytes have limits, and the parser stops with a reason
// instead of growing without end (uploads are untrusted, invariant 5).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pp {

// Appends one row and its line end ("\r\n"). Cells with a comma, quote, CR or LF are quoted.
// `neutralize`: a cell a spreadsheet would read as a formula (starting with '=', '@', tab or CR,
// or with '+' or '-' and not a number such as "+15551234567" or "-3.5") gets a leading
// apostrophe (OWASP's CSV injection advice; lead data is untrusted).
void append_csv_row(std::string& out, const std::vector<std::string_view>& cells,
                    bool neutralize = true);
void append_csv_row(std::string& out, const std::vector<std::string>& cells,
                    bool neutralize = true);

class CsvParser {
 public:
  struct Limits {
    size_t max_cell_bytes = 64 * 1024;
    size_t max_row_bytes = 1024 * 1024;
    size_t max_cells = 1024;
  };
  // Called once per row, blank lines skipped; `line` is the 1-based line the row started on.
  // Returns false to stop reading.
  using RowFn = std::function<bool(std::vector<std::string>& cells, size_t line)>;

  explicit CsvParser(RowFn fn) : CsvParser(std::move(fn), Limits{}) {}
  CsvParser(RowFn fn, Limits limits) : fn_(std::move(fn)), limits_(limits) {}

  // The next bytes. False once reading stopped (the callback said so, or a limit: `error`).
  bool feed(std::string_view bytes);
  // The end of the input: a last row without a line end; an unterminated quote is an error.
  bool finish();

  const std::string& error() const { return error_; }
  size_t lines() const { return line_; }

 private:
  bool end_row();
  bool fail(std::string why);

  RowFn fn_;
  Limits limits_;
  std::vector<std::string> cells_;
  std::string cell_;
  enum class State : uint8_t { kStart, kCell, kQuoted, kQuoteInQuoted, kCr } state_ = State::kStart;
  bool bom_checked_ = false;
  std::string bom_;  // the first bytes while a byte-order mark may be arriving
  bool row_has_content_ = false;
  bool stopped_ = false;
  size_t row_bytes_ = 0;
  size_t line_ = 1, row_line_ = 1;
  std::string error_;
};

}  // namespace pp
