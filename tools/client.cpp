#include "tools/client.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <string_view>

namespace pp::tools {

namespace {

size_t to_string(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

size_t header(char* p, size_t size, size_t n, void* out) {
  std::string_view line(p, size * n);
  constexpr std::string_view kEtag = "etag:";
  if (line.size() > kEtag.size()) {
    std::string lower(line.substr(0, kEtag.size()));
    for (char& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == kEtag) {
      std::string_view v = line.substr(kEtag.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
        v.remove_suffix(1);
      *static_cast<std::string*>(out) = std::string(v);
    }
  }
  return size * n;
}

size_t to_file(char* p, size_t size, size_t n, void* out) {
  return std::fwrite(p, size, n, static_cast<FILE*>(out)) * size;
}

}  // namespace

Client::Client(std::string base_url, std::string token, long timeout_s)
    : curl_(nullptr), base_(std::move(base_url)), token_(std::move(token)), timeout_s_(timeout_s) {
  static const bool once = (curl_global_init(CURL_GLOBAL_DEFAULT), true);
  (void)once;
  curl_ = curl_easy_init();
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

Client::~Client() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

namespace {

Reply perform(CURL* c, const std::string& url, const std::string& token,
              const std::vector<std::string>& headers, long timeout_s) {
  Reply r;
  curl_slist* h = nullptr;
  if (!token.empty()) h = curl_slist_append(h, ("Authorization: Bearer " + token).c_str());
  for (const auto& x : headers) h = curl_slist_append(h, x.c_str());
  h = curl_slist_append(h, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ppctl/0.1");
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.etag);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    r.error = curl_easy_strerror(rc);
  else
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(h);
  return r;
}

}  // namespace

Reply Client::call(const std::string& method, const std::string& path, const std::string& body,
                   const std::vector<std::string>& headers) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  std::string out;
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "GET") curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &to_string);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  std::vector<std::string> h = headers;
  if (!body.empty()) h.emplace_back("Content-Type: application/json");
  Reply r = perform(c, base_ + path, token_, h, timeout_s_);
  r.body = std::move(out);
  return r;
}

Reply Client::upload(const std::string& path, const std::string& file) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  std::string out;
  curl_mime* mime = curl_mime_init(c);
  curl_mimepart* part = curl_mime_addpart(mime);
  curl_mime_name(part, "file");
  Reply r;
  if (curl_mime_filedata(part, file.c_str()) != CURLE_OK) {
    r.error = "cannot read " + file;
    curl_mime_free(mime);
    return r;
  }
  curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &to_string);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  r = perform(c, base_ + path, token_, {}, timeout_s_ * 10);
  r.body = std::move(out);
  curl_mime_free(mime);
  return r;
}

Reply Client::download(const std::string& path, const std::string& out_file) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  const std::string part = out_file + ".part";
  FILE* f = std::fopen(part.c_str(), "wb");
  Reply r;
  if (f == nullptr) {
    r.error = "cannot write " + out_file;
    return r;
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &to_file);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
  r = perform(c, base_ + path, token_, {}, timeout_s_ * 10);
  const bool written = std::fclose(f) == 0;
  if (r.ok() && written) {
    std::rename(part.c_str(), out_file.c_str());
  } else {
    std::remove(part.c_str());
    if (r.ok()) r.error = "cannot write " + out_file;
  }
  return r;
}

}  // namespace pp::tools
