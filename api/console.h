#pragma once
// The operator console's files at /console/ (issue 15): embedded at build time (console/), served
// with their gzip form when the browser takes it, ETag revalidation, and a strict Content Security
// Policy (scripts and styles from this server only, no inline code, no framing).
#include "api/http_types.h"
#include "console/assets.h"

namespace pp::api {

// Whether `path` is under /console.
bool is_console_path(std::string_view path);

// GET /console/... : a file, 304 for a current If-None-Match, 301 from /console to /console/.
Response console_response(const Request& req);

// An embedded file (gzip when the client takes it, ETag, 304), as the console serves its files.
// /openapi.json is one (api/openapi.json, embedded with the console's files).
Response asset_response(const Request& req, const console::Asset& asset);

}  // namespace pp::api
