#pragma once
// Transport-neutral request/response for handlers. The Beast server converts to and from these,
// so handlers and their tests never include Beast.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pp::api {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent
  std::string path;    // without the query
  std::string query;   // raw, without '?'
  HeaderList headers;  // names as sent
  std::string body;
  std::string remote_address;

  // Case-insensitive header lookup; empty when absent.
  std::string_view header(std::string_view name) const;
  // A query parameter's first value, decoded; empty when absent (or the query is malformed).
  std::string query_param(std::string_view name) const;
};

// A request body handed to its handler piece by piece as it arrives (streamed uploads, issue 17:
// a suppression list of 10^8 rows is not read into memory whole).
class BodySink {
 public:
  virtual ~BodySink() = default;
  // The next piece of the body. False: stop reading (the handler's answer says why).
  virtual bool write(std::string_view bytes) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  HeaderList headers;  // extra headers
  bool close = false;  // close the connection after this response
  // A file sent as the body (downloads, issue 19), read in 64 KiB pieces as the socket takes
  // them; `body` is ignored. A file that cannot be opened is answered 404.
  std::string file;
};

// {"status":"error","message":...,"details":null} (seed 000's error shape).
Response error_response(int http_status, std::string_view message);
// 500 with code 1011: storage could not read what was asked (an I/O error or a corrupt record),
// which is never answered as "not found".
Response storage_error();
// The same shape with "details": an object of parameter name -> problem.
Response error_response(int http_status, std::string_view message,
                        const std::vector<std::pair<std::string, std::string>>& details);
Response json_response(int http_status, std::string body);
// 405 "Use GET, POST" with an Allow header.
Response method_not_allowed(std::string_view allowed);

}  // namespace pp::api
