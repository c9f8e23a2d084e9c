#include "api/multipart.h"

#include "core/text.h"

namespace pp::api {

namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;

// The value of `name=` in a header's parameters ("form-data; name=\"file\"; filename=\"a.csv\"").
std::optional<std::string> param(std::string_view header, std::string_view name) {
  size_t i = 0;
  while ((i = header.find(';', i)) != std::string_view::npos) {
    ++i;
    std::string_view rest = trim(header.substr(i));
    if (rest.size() <= name.size() || !iequals(rest.substr(0, name.size()), name) ||
        rest[name.size()] != '=')
      continue;
    rest.remove_prefix(name.size() + 1);
    if (!rest.empty() && rest.front() == '"') {
      std::string out;
      for (size_t k = 1; k < rest.size(); ++k) {
        if (rest[k] == '\\' && k + 1 < rest.size()) {
          out += rest[++k];
        } else if (rest[k] == '"') {
          return out;
        } else {
          out += rest[k];
        }
      }
      return out;
    }
    return std::string(trim(rest.substr(0, rest.find(';'))));
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  if (!iequals(type, "multipart/form-data")) return std::nullopt;
  auto b = param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70) return std::nullopt;
  return b;
}

MultipartFile::MultipartFile(std::string boundary, Out out)
    : delimiter_("\r\n--" + std::move(boundary)), out_(std::move(out)) {
  buf_ = "\r\n";  // the first delimiter may open the body without a line break before it
}

bool MultipartFile::fail(std::string why) {
  error_ = std::move(why);
  state_ = State::kDone;
  return false;
}

bool MultipartFile::headers_done(std::string_view head) {
  std::string disposition;
  part_type_.clear();
  for (std::string_view line : split(head, "\r\n")) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Disposition")) disposition = std::string(value);
    if (iequals(name, "Content-Type")) part_type_ = std::string(value);
  }
  auto filename = param(disposition, "filename");
  auto field = param(disposition, "name");
  in_file_ = !file_done_ && (filename.has_value() || (field && *field == "file"));
  if (in_file_) filename_ = filename.value_or(field.value_or(""));
  return true;
}

bool MultipartFile::feed(std::string_view bytes) {
  if (state_ == State::kDone) return error_.empty();  // the epilogue is ignored
  buf_.append(bytes);
  for (;;) {
    switch (state_) {
      case State::kPreamble: {
        size_t at = buf_.find(delimiter_);
        if (at == std::string::npos) {
          if (buf_.size() > delimiter_.size())
            buf_.erase(0, buf_.size() - delimiter_.size());  // keep a possible start
          return true;
        }
        buf_.erase(0, at + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter: {
        if (buf_.size() < 2) return true;
        if (buf_.compare(0, 2, "--") == 0) {
          state_ = State::kDone;
          return file_done_ || fail("the body holds no file");
        }
        size_t eol = buf_.find("\r\n");
        if (eol == std::string::npos) {
          if (buf_.size() > 256) return fail("malformed multipart body");
          return true;
        }
        buf_.erase(0, eol + 2);  // transport padding, then CRLF
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        size_t end = buf_.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (buf_.size() > kMaxHeaderBytes) return fail("a part's headers are too large");
          return true;
        }
        headers_done(std::string_view(buf_).substr(0, end));
        buf_.erase(0, end + 4);
        state_ = State::kBody;
        break;
      }
      case State::kBody: {
        size_t at = buf_.find(delimiter_);
        size_t safe = at != std::string::npos                ? at
                      : buf_.size() >= delimiter_.size() - 1 ? buf_.size() - (delimiter_.size() - 1)
                                                             : 0;
        if (in_file_ && safe > 0 && !out_(std::string_view(buf_).substr(0, safe))) {
          state_ = State::kDone;
          return false;
        }
        if (at == std::string::npos) {
          buf_.erase(0, safe);
          return true;
        }
        buf_.erase(0, at + delimiter_.size());
        if (in_file_) file_done_ = true;
        in_file_ = false;
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kDone:
        return error_.empty();
    }
  }
}

bool MultipartFile::finish() {
  if (!error_.empty()) return false;
  if (state_ != State::kDone) {
    if (file_done_) return true;  // a file part whole; a closing delimiter missing after it
    return fail("the body ended inside a part");
  }
  return file_done_;
}

}  // namespace pp::api
