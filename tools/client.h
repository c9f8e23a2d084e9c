#pragma once
// ppctl's HTTP client (libcurl): the server's base URL and a bearer token, every call with a
// deadline, uploads and downloads streamed from and to files.
#include <string>
#include <utility>
#include <vector>

namespace pp::tools {

struct Reply {
  long status = 0;    // 0: no answer (error says why)
  std::string body;   // empty for downloads
  std::string error;  // transport error
  std::string etag;   // the ETag header (the configuration's version)
  bool ok() const { return status >= 200 && status < 300; }
};

class Client {
 public:
  Client(std::string base_url, std::string token, long timeout_s = 60);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Reply call(const std::string& method, const std::string& path, const std::string& body = {},
             const std::vector<std::string>& headers = {});
  // POST a file as multipart/form-data (field "file").
  Reply upload(const std::string& path, const std::string& file);
  // GET into a file (written only when the answer is 2xx).
  Reply download(const std::string& path, const std::string& out_file);

 private:
  void* curl_;  // CURL*
  std::string base_, token_;
  long timeout_s_;
};

}  // namespace pp::tools
