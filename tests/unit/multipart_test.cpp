// multipart/form-data read as it streams (api/multipart.h): the file part whole whatever the
// pieces, other parts skipped, boundaries inside the data kept, malformed bodies refused.
#include "api/multipart.h"

#include <gtest/gtest.h>

namespace pp::api {
namespace {

struct Read {
  bool ok = false;
  std::string file, filename, error;
};

Read read(const std::string& body, const std::string& boundary, size_t piece) {
  Read r;
  MultipartFile mp(boundary, [&](std::string_view b) {
    r.file.append(b);
    return true;
  });
  bool ok = true;
  for (size_t i = 0; ok && i < body.size(); i += piece) ok = mp.feed(body.substr(i, piece));
  r.ok = ok && mp.finish();
  r.filename = mp.filename();
  r.error = mp.error();
  return r;
}

TEST(Multipart, TheFilePartWholeInEveryCut) {
  const std::string b = "XyZ";
  const std::string data = "a,b\r\n1,2\r\n--Xy not one\r\n-\r\n--Xy";  // delimiter-like
  const std::string body =
      "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
      "skip me\r\n--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; "
      "filename=\"C:\\\\dir\\\\leads.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
      data + "\r\n--XyZ--\r\nepilogue";
  for (size_t piece : {1, 2, 3, 7, 64, 4096}) {
    Read r = read(body, b, piece);
    EXPECT_TRUE(r.ok) << piece << " " << r.error;
    EXPECT_EQ(r.file, data) << piece;
    EXPECT_EQ(r.filename, "C:\\dir\\leads.csv");
  }
  // No line break before the first delimiter; a field named "file" without a filename.
  Read r = read("--XyZ\r\nContent-Disposition: form-data; name=file\r\n\r\nabc\r\n--XyZ--", b, 5);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.file, "abc");
}

TEST(Multipart, BodiesWithoutAWholeFileAreRefused) {
  EXPECT_FALSE(
      read("--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--B--", "B", 3).ok);
  Read cut = read("--B\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nhalf", "B", 3);
  EXPECT_FALSE(cut.ok);
  EXPECT_EQ(cut.error, "the body ended inside a part");
  Read big = read("--B\r\n" + std::string(20000, 'h'), "B", 1000);
  EXPECT_FALSE(big.ok);
  EXPECT_EQ(big.error, "a part's headers are too large");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a b\""), "a b");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("text/csv"), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data"), std::nullopt);
}

}  // namespace
}  // namespace pp::api
