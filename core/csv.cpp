#include "core/csv.h"

#include <algorithm>

namespace pp {

namespace {

bool looks_numeric(std::string_view s) {
  // "+15551234567", "-3.5", "+1 (555) 123-4567": a sign followed by digits and the punctuation
  // phone numbers and amounts use; anything else after a sign may be a formula.
  if (s.size() < 2) return false;
  bool digit = false;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9')
      digit = true;
    else if (c != '.' && c != ' ' && c != '-' && c != '(' && c != ')')
      return false;
  }
  return digit;
}

template <class Cells>
void append_row(std::string& out, const Cells& cells, bool neutralize) {
  bool first = true;
  for (const auto& cell : cells) {
    std::string_view c = cell;
    if (!first) out += ',';
    first = false;
    bool formula = false;
    if (neutralize && !c.empty()) {
      char f = c.front();
      formula = f == '=' || f == '@' || f == '\t' || f == '\r' ||
                ((f == '+' || f == '-') && !looks_numeric(c));
    }
    const bool quote = formula || c.find_first_of(",\"\r\n") != std::string_view::npos;
    if (!quote) {
      out.append(c);
      continue;
    }
    out += '"';
    if (formula) out += '\'';
    for (char ch : c) {
      if (ch == '"') out += '"';
      out += ch;
    }
    out += '"';
  }
  out += "\r\n";
}

}  // namespace

void append_csv_row(std::string& out, const std::vector<std::string_view>& cells, bool neutralize) {
  append_row(out, cells, neutralize);
}

void append_csv_row(std::string& out, const std::vector<std::string>& cells, bool neutralize) {
  append_row(out, cells, neutralize);
}

bool CsvParser::fail(std::string why) {
  error_ = "line " + std::to_string(row_line_) + ": " + std::move(why);
  stopped_ = true;
  return false;
}

bool CsvParser::end_row() {
  cells_.push_back(std::move(cell_));
  cell_.clear();
  const bool blank = !row_has_content_ && cells_.size() == 1 && cells_[0].empty();
  bool go_on = true;
  if (!blank) go_on = fn_(cells_, row_line_);
  cells_.clear();
  row_has_content_ = false;
  row_bytes_ = 0;
  row_line_ = line_;
  if (!go_on) stopped_ = true;
  return go_on;
}

bool CsvParser::feed(std::string_view bytes) {
  if (stopped_) return false;
  if (!bom_checked_) {
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    while (!bytes.empty() && bom_.size() < kBom.size() && kBom.starts_with(bom_)) {
      bom_ += bytes.front();
      bytes.remove_prefix(1);
    }
    if (kBom.starts_with(bom_) && bom_.size() < kBom.size()) return true;  // more to come
    bom_checked_ = true;
    std::string head = bom_ == kBom ? std::string() : std::move(bom_);
    bom_.clear();
    if (!head.empty() && !feed(head)) return false;
  }
  for (char c : bytes) {
    if (++row_bytes_ > limits_.max_row_bytes)
      return fail("a row is longer than " + std::to_string(limits_.max_row_bytes) + " bytes");
    switch (state_) {
      case State::kCr:
        state_ = State::kStart;
        if (c == '\n') continue;  // CRLF: the row ended at the CR
        [[fallthrough]];
      case State::kStart:
        if (c == '"') {
          state_ = State::kQuoted;
          row_has_content_ = true;
          continue;
        }
        state_ = State::kCell;
        [[fallthrough]];
      case State::kCell:
        if (c == ',') {
          row_has_content_ = true;
          cells_.push_back(std::move(cell_));
          cell_.clear();
          state_ = State::kStart;
        } else if (c == '\n' || c == '\r') {
          ++line_;
          state_ = c == '\r' ? State::kCr : State::kStart;
          if (!end_row()) return false;
          row_bytes_ = 0;
        } else {
          cell_ += c;
        }
        break;
      case State::kQuoted:
        if (c == '"') {
          state_ = State::kQuoteInQuoted;
        } else {
          if (c == '\n') ++line_;
          cell_ += c;
        }
        break;
      case State::kQuoteInQuoted:
        if (c == '"') {
          cell_ += '"';
          state_ = State::kQuoted;
        } else if (c == ',' || c == '\n' || c == '\r') {
          state_ = State::kCell;
          // The same as in a cell: end the cell (and the row).
          if (c == ',') {
            cells_.push_back(std::move(cell_));
            cell_.clear();
            state_ = State::kStart;
          } else {
            ++line_;
            state_ = c == '\r' ? State::kCr : State::kStart;
            if (!end_row()) return false;
            row_bytes_ = 0;
          }
        } else {
          cell_ += c;  // `"a"b`: lenient, the text goes on unquoted
          state_ = State::kCell;
        }
        break;
    }
    if (cell_.size() > limits_.max_cell_bytes)
      return fail("a cell is longer than " + std::to_string(limits_.max_cell_bytes) + " bytes");
    if (cells_.size() >= limits_.max_cells)
      return fail("a row has more than " + std::to_string(limits_.max_cells) + " cells");
  }
  return true;
}

bool CsvParser::finish() {
  if (stopped_) return false;
  if (!bom_checked_) {
    bom_checked_ = true;
    std::string head = std::move(bom_);
    bom_.clear();
    if (head != "\xEF\xBB\xBF" && !head.empty() && !feed(head)) return false;
  }
  if (state_ == State::kQuoted) return fail("a quoted cell is not closed");
  if (state_ == State::kStart && cells_.empty() && cell_.empty()) return true;
  if (state_ == State::kCr) return true;
  return end_row();
}

}  // namespace pp
