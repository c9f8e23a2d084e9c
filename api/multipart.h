#pragma once
// multipart/form-data read as it streams (issue 19: uploads of lead files): the first part that
// carries a file (a filename, or the field "file") is handed on piece by piece; other parts are
// skipped. Memory is bounded: a part's headers (16 KiB at most) and the delimiter's length.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pp::api {

// The boundary parameter of a multipart/form-data Content-Type; nullopt for any other type.
std::optional<std::string> multipart_boundary(std::string_view content_type);

class MultipartFile {
 public:
  using Out = std::function<bool(std::string_view)>;  // false: stop
  MultipartFile(std::string boundary, Out out);
  // The next bytes of the body. False once reading must stop (error() says why, or `out` did).
  bool feed(std::string_view bytes);
  // The body's end: true when a file part was read whole.
  bool finish();
  const std::string& filename() const { return filename_; }
  const std::string& part_type() const { return part_type_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string why);
  bool headers_done(std::string_view head);
  enum class State : uint8_t { kPreamble, kHeaders, kBody, kAfterDelimiter, kDone };
  std::string delimiter_;  // "\r\n--" + boundary
  Out out_;
  State state_ = State::kPreamble;
  bool in_file_ = false, file_done_ = false;
  std::string buf_;
  std::string filename_, part_type_, error_;
};

}  // namespace pp::api
