#pragma once
// Suppression-list uploads (issue 17): CSV read piece by piece as it arrives, each row's entry
// turned into its key (checks/list_key.h). Rows are lines (CRLF or LF); cells are separated by
// commas and may be double-quoted ("" inside quotes is one quote). The column: named by the
// caller (a header name, or a 1-based number), else a header cell named for the list's kind
// ("phone", "email", "domain", "sha256", "md5", "hash", ...), else the first. A first row whose
// cell is not an entry is the header. Rows that are not entries are counted, the first 20 with
// their row number and why (never their value: uploads are personal data).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks/list_key.h"

namespace pp::checks {

class ListCsvReader {
 public:
  static constexpr size_t kMaxLineBytes = 4096;
  static constexpr size_t kMaxRows = 400'000'000;
  static constexpr size_t kMaxErrorsKept = 20;

  // `column`: a header name or a 1-based column number; empty: chosen as above.
  ListCsvReader(ListKind kind, std::string column);

  // The next bytes of the upload. False when reading must stop (`stop_reason` says why).
  bool feed(std::string_view bytes);
  // The end of the upload (a last line without a newline).
  bool finish();

  std::vector<uint64_t>& keys() { return keys_; }
  size_t rows() const { return rows_; }  // data rows (not the header, not blank lines)
  size_t invalid() const { return invalid_; }
  bool had_header() const { return header_; }
  const std::vector<std::pair<size_t, std::string>>& errors() const { return errors_; }
  const std::string& stop_reason() const { return stop_; }
  void reserve(size_t rows) { keys_.reserve(rows); }

 private:
  bool line(std::string_view l);
  bool choose_column(const std::vector<std::string>& cells);

  ListKind kind_;
  std::string column_;
  int index_ = -1;     // the column, once known
  bool first_ = true;  // the next non-blank line is the first
  bool header_ = false;
  size_t line_no_ = 0;
  size_t rows_ = 0, invalid_ = 0;
  std::string carry_;  // a line not ended yet
  std::vector<uint64_t> keys_;
  std::vector<std::pair<size_t, std::string>> errors_;
  std::string stop_;
  std::vector<std::string> cells_;  // reused
};

// The cells of one CSV line (quotes removed, cells trimmed of spaces).
void split_csv_line(std::string_view line, std::vector<std::string>& cells);

}  // namespace pp::checks
