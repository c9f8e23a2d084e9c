#include "checks/list_csv.h"

#include <algorithm>

#include "core/text.h"

namespace pp::checks {

void split_csv_line(std::string_view line, std::vector<std::string>& cells) {
  cells.clear();
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  cells.emplace_back(trim(cur));
}

ListCsvReader::ListCsvReader(ListKind kind, std::string column)
    : kind_(kind), column_(std::move(column)) {
  if (auto n = parse_int(column_); n && *n >= 1 && *n <= 1000) index_ = int(*n - 1);
}

bool ListCsvReader::choose_column(const std::vector<std::string>& cells) {
  auto find = [&](std::initializer_list<std::string_view> names) {
    for (size_t i = 0; i < cells.size(); ++i)
      for (std::string_view n : names)
        if (iequals(cells[i], n)) return int(i);
    return -1;
  };
  if (!column_.empty()) {
    index_ = find({column_});
    if (index_ < 0) {
      stop_ = "no column named '" + column_.substr(0, 64) + "' in the header";
      return false;
    }
    return true;
  }
  switch (kind_) {
    case ListKind::kPhone:
      index_ = find({"phone", "phone_number", "number", "mobile", "telephone", "e164"});
      break;
    case ListKind::kEmail:
      index_ = find({"email", "email_address", "e-mail", "mail"});
      break;
    case ListKind::kEmailDomain:
      index_ = find({"domain", "email_domain"});
      break;
    case ListKind::kSha256:
      index_ = find({"sha256", "hash", "sha256_hash", "hashed_email", "hashed_phone"});
      break;
    case ListKind::kMd5:
      index_ = find({"md5", "hash", "md5_hash", "hashed_email", "hashed_phone"});
      break;
  }
  if (index_ < 0) index_ = 0;
  return true;
}

bool ListCsvReader::line(std::string_view l) {
  ++line_no_;
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  if (trim(l).empty()) return true;
  if (l.size() > kMaxLineBytes) {
    ++rows_;
    ++invalid_;
    if (errors_.size() < kMaxErrorsKept) errors_.emplace_back(line_no_, "line too long");
    first_ = false;
    return true;
  }
  split_csv_line(l, cells_);
  std::string error;
  if (first_) {
    first_ = false;
    // A named column needs a header; otherwise the first row is one when its cell is no entry.
    const bool named = !column_.empty() && index_ < 0;
    if (named) {
      header_ = true;
      return choose_column(cells_);
    }
    const size_t probe = index_ >= 0 ? size_t(index_) : 0;
    if (probe < cells_.size() && !entry_key(kind_, cells_[probe], error)) {
      header_ = true;
      if (index_ < 0) return choose_column(cells_);
      return true;
    }
    if (index_ < 0) index_ = 0;
  }
  if (++rows_ > kMaxRows) {
    stop_ = "more than " + std::to_string(kMaxRows) + " rows";
    return false;
  }
  if (size_t(index_) >= cells_.size()) {
    ++invalid_;
    if (errors_.size() < kMaxErrorsKept)
      errors_.emplace_back(line_no_, "no column " + std::to_string(index_ + 1));
    return true;
  }
  error.clear();
  if (auto k = entry_key(kind_, cells_[size_t(index_)], error)) {
    keys_.push_back(*k);
  } else {
    ++invalid_;
    if (errors_.size() < kMaxErrorsKept) errors_.emplace_back(line_no_, error);
  }
  return true;
}

bool ListCsvReader::feed(std::string_view bytes) {
  if (!stop_.empty()) return false;
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      // Cells longer than a line may be are not kept whole: the line is counted as too long.
      if (carry_.size() <= kMaxLineBytes) carry_.append(bytes.substr(0, kMaxLineBytes + 1));
      return true;
    }
    bool ok;
    if (carry_.empty()) {
      ok = line(bytes.substr(0, nl));
    } else {
      if (carry_.size() <= kMaxLineBytes)
        carry_.append(bytes.substr(0, std::min(nl, kMaxLineBytes + 1)));
      ok = line(carry_);
      carry_.clear();
    }
    if (!ok) return false;
    bytes.remove_prefix(nl + 1);
  }
  return true;
}

bool ListCsvReader::finish() {
  if (!stop_.empty()) return false;
  if (!carry_.empty()) {
    bool ok = line(carry_);
    carry_.clear();
    return ok;
  }
  return true;
}

}  // namespace pp::checks
