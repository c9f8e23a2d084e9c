#include "files/table.h"

#include <minizip/zip.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <ctime>

#include "core/csv.h"

namespace pp::files {

std::string_view to_string(Format f) { return f == Format::kXlsx ? "xlsx" : "csv"; }

bool parse_format(std::string_view s, Format& out) {
  if (s == "csv") {
    out = Format::kCsv;
    return true;
  }
  if (s == "xlsx") {
    out = Format::kXlsx;
    return true;
  }
  return false;
}

std::string_view content_type(Format f) {
  return f == Format::kXlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            : "text/csv; charset=utf-8";
}

std::string Cell::as_text() const {
  switch (kind) {
    case Kind::kText:
      return text;
    case Kind::kInteger:
      return std::to_string(number);
    case Kind::kMoney:
      return Money::from_units(number).to_string();
    case Kind::kEmpty:
      break;
  }
  return {};
}

std::string sanitize_utf8(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool valid = len > 0 && i + len <= s.size();
    for (size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (valid && len == 2) valid = c >= 0xC2;  // no overlong forms
    if (valid && len == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogates
    }
    if (valid && len == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      valid = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    std::string_view piece = valid ? s.substr(i, len) : std::string_view("\xEF\xBF\xBD");
    i += valid ? len : 1;
    if (len == 1 && c < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
    if (c == 0x7F) continue;
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
  }
  return out;
}

namespace {

class CsvFile final : public TableWriter {
 public:
  explicit CsvFile(FILE* f) : f_(f) { buf_.reserve(kFlushAt + 64 * 1024); }
  ~CsvFile() override {
    if (f_ != nullptr) std::fclose(f_);
  }
  bool header(const std::vector<std::string>& names) override {
    append_csv_row(buf_, names, false);
    return flush_if_full();
  }
  bool row(const std::vector<Cell>& cells) override {
    texts_.clear();
    for (const auto& c : cells) texts_.push_back(c.as_text());
    append_csv_row(buf_, texts_, true);
    ++rows_;
    return flush_if_full();
  }
  bool close(std::string& error) override {
    bool ok = flush() && std::fflush(f_) == 0 && std::ferror(f_) == 0;
    ok = std::fclose(f_) == 0 && ok;
    f_ = nullptr;
    if (!ok) error = "could not write the file (disk full?)";
    return ok;
  }
  uint64_t rows() const override { return rows_; }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  bool flush_if_full() { return buf_.size() < kFlushAt || flush(); }
  bool flush() {
    const bool ok = buf_.empty() || std::fwrite(buf_.data(), 1, buf_.size(), f_) == buf_.size();
    buf_.clear();
    return ok;
  }
  FILE* f_;
  std::string buf_;
  std::vector<std::string> texts_;
  uint64_t rows_ = 0;
};

class XlsxFile final : public TableWriter {
 public:
  static constexpr uint32_t kMaxRows = 1'048'576;  // Excel's rows per sheet
  static constexpr size_t kMaxCellBytes = 32767;   // Excel's characters per cell (bytes: fewer)

  XlsxFile(lxw_workbook* wb, std::string sheet) : wb_(wb), sheet_(std::move(sheet)) {
    money_ = workbook_add_format(wb_);
    format_set_num_format(money_, "#,##0.00##");
    bold_ = workbook_add_format(wb_);
    format_set_bold(bold_);
  }
  ~XlsxFile() override {
    if (wb_ != nullptr) workbook_close(wb_);
  }
  bool header(const std::vector<std::string>& names) override {
    names_ = names;
    return new_sheet();
  }
  bool row(const std::vector<Cell>& cells) override {
    if (ws_ == nullptr || next_ >= kMaxRows) {
      if (!new_sheet()) return false;
    }
    for (size_t i = 0; i < cells.size() && i < 16384; ++i) {
      const Cell& c = cells[i];
      const auto col = static_cast<lxw_col_t>(i);
      lxw_error e = LXW_NO_ERROR;
      switch (c.kind) {
        case Cell::Kind::kText:
          if (!c.text.empty())
            e = worksheet_write_string(ws_, next_, col,
                                       sanitize_utf8(c.text, kMaxCellBytes).c_str(), nullptr);
          break;
        case Cell::Kind::kInteger:
          e = worksheet_write_number(ws_, next_, col, double(c.number), nullptr);
          break;
        case Cell::Kind::kMoney:
          e = worksheet_write_number(ws_, next_, col, double(c.number) / 10000.0, money_);
          break;
        case Cell::Kind::kEmpty:
          break;
      }
      if (e != LXW_NO_ERROR) {
        error_ = lxw_strerror(e);
        return false;
      }
    }
    ++next_;
    ++rows_;
    return true;
  }
  bool close(std::string& error) override {
    if (ws_ == nullptr && !new_sheet()) {  // an empty table still has its sheet
      error = error_;
      return false;
    }
    lxw_error e = workbook_close(wb_);
    wb_ = nullptr;
    if (e != LXW_NO_ERROR || !error_.empty()) {
      error = error_.empty() ? lxw_strerror(e) : error_;
      return false;
    }
    return true;
  }
  uint64_t rows() const override { return rows_; }

 private:
  bool new_sheet() {
    ++sheets_;
    std::string name = sanitize_utf8(sheet_, 24);
    for (char& ch : name)
      if (std::string_view("[]:*?/\\").find(ch) != std::string_view::npos) ch = '_';
    if (name.empty()) name = "Sheet";
    if (sheets_ > 1) name += " " + std::to_string(sheets_);
    ws_ = workbook_add_worksheet(wb_, name.c_str());
    if (ws_ == nullptr) {
      error_ = "could not add a worksheet";
      return false;
    }
    next_ = 0;
    if (!names_.empty()) {
      for (size_t i = 0; i < names_.size() && i < 16384; ++i)
        worksheet_write_string(ws_, 0, static_cast<lxw_col_t>(i),
                               sanitize_utf8(names_[i], 255).c_str(), bold_);
      next_ = 1;
    }
    return true;
  }

  lxw_workbook* wb_;
  std::string sheet_;
  lxw_worksheet* ws_ = nullptr;
  lxw_format* money_ = nullptr;
  lxw_format* bold_ = nullptr;
  std::vector<std::string> names_;
  uint32_t next_ = 0;
  int sheets_ = 0;
  uint64_t rows_ = 0;
  std::string error_;
};

}  // namespace

std::unique_ptr<TableWriter> TableWriter::open(Format format, const std::string& path,
                                               std::string sheet, std::string& error) {
  if (format == Format::kCsv) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
      error = "cannot create " + path;
      return nullptr;
    }
    return std::make_unique<CsvFile>(f);
  }
  // Temporary files beside the result (the data directory, not /tmp, which may be small).
  std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  lxw_workbook_options o{};
  o.constant_memory = LXW_TRUE;
  o.use_zip64 = LXW_TRUE;
  o.tmpdir = dir.empty() ? nullptr : dir.data();
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &o);
  if (wb == nullptr) {
    error = "cannot create " + path;
    return nullptr;
  }
  return std::make_unique<XlsxFile>(wb, std::move(sheet));
}

bool write_zip(const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& entries,
               std::string& error) {
  zipFile z = zipOpen64(path.c_str(), APPEND_STATUS_CREATE);
  if (z == nullptr) {
    error = "cannot create " + path;
    return false;
  }
  std::vector<char> buf(64 * 1024);
  bool ok = true;
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  for (const auto& [name, file] : entries) {
    zip_fileinfo info{};
    info.tmz_date.tm_sec = uInt(tm.tm_sec);
    info.tmz_date.tm_min = uInt(tm.tm_min);
    info.tmz_date.tm_hour = uInt(tm.tm_hour);
    info.tmz_date.tm_mday = uInt(tm.tm_mday);
    info.tmz_date.tm_mon = uInt(tm.tm_mon);
    info.tmz_date.tm_year = uInt(tm.tm_year + 1900);
    FILE* in = std::fopen(file.c_str(), "rb");
    if (in == nullptr) {
      error = "cannot read " + file;
      ok = false;
      break;
    }
    if (zipOpenNewFileInZip64(z, name.c_str(), &info, nullptr, 0, nullptr, 0, nullptr, Z_DEFLATED,
                              Z_DEFAULT_COMPRESSION, 1) != ZIP_OK) {
      std::fclose(in);
      error = "cannot add " + name;
      ok = false;
      break;
    }
    size_t n = 0;
    while (ok && (n = std::fread(buf.data(), 1, buf.size(), in)) > 0)
      ok = zipWriteInFileInZip(z, buf.data(), unsigned(n)) == ZIP_OK;
    ok = ok && std::ferror(in) == 0;
    std::fclose(in);
    ok = zipCloseFileInZip(z) == ZIP_OK && ok;
    if (!ok) {
      error = "could not write " + path + " (disk full?)";
      break;
    }
  }
  if (zipClose(z, nullptr) != ZIP_OK && ok) {
    error = "could not finish " + path;
    ok = false;
  }
  return ok;
}

}  // namespace pp::files
