#pragma once
// A CSV text's rows (tests of exports, batches and returns read the files the server writes).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
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

// What tests/support/read_files.py reads from a file ("xlsx" or "zip"), as JSON: readers
// independent of the server's writers (Python's zipfile, csv and ElementTree).
inline boost::json::value run_reader(const std::string& kind, const std::string& file) {
  const std::string cmd = "/usr/bin/python3 " + std::string(PP_SOURCE_DIR) +
                          "/tests/support/read_files.py " + kind + " " + file;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(p ? pclose(p) : -1, 0) << cmd;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(out, ec);
  EXPECT_FALSE(ec) << out.substr(0, 300);
  return v;
}

}  // namespace pp::testkit
