#pragma once
// A CSV text's rows (tests of exports, batches and returns read the files the server writes).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/csv.h"

namespace pp::testkit {

inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  CsvParser p([&](std::vector<std::string>& cells, size_t) {
    rows.push_back(cells);
    return true;
  });
  EXPECT_TRUE(p.feed(text) && p.finish()) << p.error();
  return rows;
}

}  // namespace pp::testkit
