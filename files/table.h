#pragma once
// Tables written to files (issue 19: exports and result files): CSV and XLSX behind one writer,
// row by row, in bounded memory (libxlsxwriter's constant-memory mode writes each row out as it
// comes; a CSV row goes through a 1 MiB buffer). A file is complete only after close() says so.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"

namespace pp::files {

enum class Format : uint8_t { kCsv, kXlsx };
std::string_view to_string(Format f);  // "csv", "xlsx"
bool parse_format(std::string_view s, Format& out);
std::string_view content_type(Format f);  // "text/csv; charset=utf-8", ...

// A cell: text, an integer, or an amount of money (XLSX: a number shown with up to 4 decimals;
// CSV: Money's text, never through a double).
struct Cell {
  enum class Kind : uint8_t { kText, kInteger, kMoney, kEmpty };
  Kind kind = Kind::kEmpty;
  std::string text;
  int64_t number = 0;  // kInteger: the value; kMoney: 1/10,000 units
  static Cell of(std::string s) { return {Kind::kText, std::move(s), 0}; }
  static Cell of(std::string_view s) { return {Kind::kText, std::string(s), 0}; }
  static Cell of(const char* s) { return {Kind::kText, std::string(s), 0}; }
  static Cell integer(int64_t v) { return {Kind::kInteger, {}, v}; }
  static Cell money(Money m) { return {Kind::kMoney, {}, m.units()}; }
  std::string as_text() const;
};

class TableWriter {
 public:
  // Opens `path` for writing (replacing it). `sheet`: the XLSX worksheet's name (a sheet past
  // Excel's 1,048,576 rows goes on in "<sheet> 2", ...). Null and `error` set when it cannot.
  static std::unique_ptr<TableWriter> open(Format format, const std::string& path,
                                           std::string sheet, std::string& error);
  virtual ~TableWriter() = default;
  // The column names (the first row; repeated on each further XLSX sheet).
  virtual bool header(const std::vector<std::string>& names) = 0;
  virtual bool row(const std::vector<Cell>& cells) = 0;
  // Writes what is buffered and closes the file. False (and `error`) when the file is not whole.
  virtual bool close(std::string& error) = 0;
  virtual uint64_t rows() const = 0;
};

// Text made safe for an XML-based file: invalid UTF-8 becomes U+FFFD, control characters other
// than tab and line breaks are dropped, and it is cut to `max_bytes` on a character boundary.
std::string sanitize_utf8(std::string_view s, size_t max_bytes);

// A ZIP archive of files already written (one export's several files, issue 19).
// Each entry is deflated from its file on disk, 64 KiB at a time.
bool write_zip(const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& entries,  // name, file
               std::string& error);

}  // namespace pp::files
