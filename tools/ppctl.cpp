// ppctl: pingpost's command-line client (issue 19). Every command speaks the admin API
// (/admin/...) with a token from --token, PINGPOST_TOKEN or the config file
// (~/.config/pingpost/ppctl.conf: `server = ...`, `token = ...`).
//
// Exit codes, for scripts: 0 done; 1 `config diff` found differences; 2 wrong usage;
// 3 the server refused (4xx); 4 the server failed (5xx) or the job failed; 5 no connection.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "config/document.h"
#include "tools/client.h"

namespace json = boost::json;
using pp::tools::Client;
using pp::tools::Reply;

namespace {

enum Exit : int { kOk = 0, kDiffers = 1, kUsage = 2, kRefused = 3, kFailed = 4, kNoConnection = 5 };

struct Options {
  std::string server = "http://127.0.0.1:8080";
  std::string token;
  long timeout_s = 60;
  int poll_ms = 500;
};

// An answer that is not 2xx: its message on stderr, and the exit code it means.
int failure(const Reply& r, std::string_view what) {
  if (r.status == 0) {
    std::cerr << "ppctl: " << what << ": cannot reach the server: " << r.error << "\n";
    return kNoConnection;
  }
  std::string message = r.body;
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (const auto* m = v.as_object().if_contains("message"); m && m->is_string())
      message = std::string(m->as_string());
  std::cerr << "ppctl: " << what << ": HTTP " << r.status << ": " << message << "\n";
  return r.status >= 500 ? kFailed : kRefused;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json::object parse_object(const std::string& s) {
  boost::system::error_code ec;
  json::value v = json::parse(s, ec);
  return !ec && v.is_object() ? v.as_object() : json::object{};
}

int64_t int_of(const json::value* v) { return v && v->is_int64() ? v->as_int64() : 0; }

// Progress of a job: a bar redrawn in place on a terminal, a line per change otherwise.
class Progress {
 public:
  explicit Progress(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO)) {}
  void show(const std::string& status, int64_t done, int64_t total) {
    const int pct = total > 0 ? int(std::min<int64_t>(100, done * 100 / total)) : 0;
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = pct * kWidth / 100;
      std::cerr << "\r" << label_ << " [" << std::string(size_t(filled), '#')
                << std::string(size_t(kWidth - filled), '-') << "] " << pct << "% " << done << "/"
                << total << " " << status << "   " << std::flush;
    } else if (status != last_status_ || pct / 10 != last_pct_ / 10) {
      std::cerr << label_ << ": " << status << " " << pct << "% (" << done << "/" << total << ")\n";
    }
    last_status_ = status;
    last_pct_ = pct;
  }
  void end() {
    if (tty_) std::cerr << "\n";
  }

 private:
  std::string label_;
  bool tty_;
  std::string last_status_;
  int last_pct_ = -1;
};

// Polls /admin/<collection>/<id> until the job ends; its last record, or the exit code.
std::variant<json::object, int> wait_job(Client& c, const Options& o, const std::string& collection,
                                         const std::string& id) {
  Progress bar(id);
  for (;;) {
    Reply r = c.call("GET", "/admin/" + collection + "/" + id);
    if (!r.ok()) {
      bar.end();
      return failure(r, "status of " + id);
    }
    json::object j = parse_object(r.body);
    std::string status = j.contains("status") ? std::string(j["status"].as_string()) : "?";
    int64_t done = 0, total = 0;
    if (const auto* p = j.if_contains("progress"); p && p->is_object()) {
      done = int_of(p->as_object().if_contains("done"));
      total = int_of(p->as_object().if_contains("total"));
    } else {  // a batch: rows_done of rows_total
      done = int_of(j.if_contains("rows_done"));
      total = int_of(j.if_contains("rows_total"));
    }
    bar.show(status, done, total);
    if (status != "queued" && status != "running") {
      bar.end();
      return j;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(o.poll_ms));
  }
}

void print_counts(const json::object& j) {
  if (const auto* c = j.if_contains("counts"); c && c->is_object())
    for (const auto& [k, v] : c->as_object()) std::cout << k << ": " << json::serialize(v) << "\n";
  for (const char* k : {"rows_total", "rows_accepted", "rows_duplicated", "rows_failed"})
    if (const auto* v = j.if_contains(k)) std::cout << k << ": " << json::serialize(*v) << "\n";
}

// ---- config ------------------------------------------------------------------------------------

// The paths where two documents differ ("+" only in b, "-" only in a, "~" changed).
void diff(const json::value& a, const json::value& b, const std::string& path,
          std::vector<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.as_object()) {
      const std::string p = path + "." + std::string(k);
      if (const json::value* w = b.as_object().if_contains(k))
        diff(v, *w, p, out);
      else
        out.push_back("- " + p + ": " + json::serialize(v));
    }
    for (const auto& [k, v] : b.as_object())
      if (!a.as_object().contains(k))
        out.push_back("+ " + path + "." + std::string(k) + ": " + json::serialize(v));
    return;
  }
  if (a.is_array() && b.is_array()) {
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      if (i >= x.size())
        out.push_back("+ " + p + ": " + json::serialize(y[i]));
      else if (i >= y.size())
        out.push_back("- " + p + ": " + json::serialize(x[i]));
      else
        diff(x[i], y[i], p, out);
    }
    return;
  }
  if (a != b) out.push_back("~ " + path + ": " + json::serialize(a) + " -> " + json::serialize(b));
}

std::optional<json::object> local_document(const std::string& file, int& code) {
  auto text = read_file(file);
  if (!text) {
    std::cerr << "ppctl: cannot read " << file << "\n";
    code = kUsage;
    return std::nullopt;
  }
  std::string err;
  auto doc = pp::config::parse(*text, err);
  if (!doc || !doc->is_object()) {
    std::cerr << "ppctl: " << file << ": " << (doc ? "not a JSON object" : err) << "\n";
    code = kUsage;
    return std::nullopt;
  }
  return std::move(doc->as_object());
}

int config_get(Client& c, const std::string& out) {
  Reply r = c.call("GET", "/admin/config");
  if (!r.ok()) return failure(r, "config get");
  if (out.empty()) {
    std::cout << r.body;
    if (!r.body.ends_with("\n")) std::cout << "\n";
  } else if (!(std::ofstream(out, std::ios::binary) << r.body)) {
    std::cerr << "ppctl: cannot write " << out << "\n";
    return kUsage;
  }
  return kOk;
}

int config_diff(Client& c, const std::string& file) {
  int code = kOk;
  auto local = local_document(file, code);
  if (!local) return code;
  pp::config::hash_secrets(*local);  // as the server keeps them
  Reply r = c.call("GET", "/admin/config");
  if (!r.ok()) return failure(r, "config diff");
  std::vector<std::string> lines;
  diff(json::parse(r.body), *local, "$", lines);
  for (const auto& l : lines) std::cout << l << "\n";
  if (lines.empty()) std::cout << "no differences\n";
  return lines.empty() ? kOk : kDiffers;
}

int config_apply(Client& c, const std::string& file, bool force) {
  int code = kOk;
  auto local = local_document(file, code);
  if (!local) return code;
  // Applied over the version it was compared with (If-Match): a change someone made meanwhile
  // is not overwritten (412).
  Reply cur = c.call("GET", "/admin/config");
  if (!cur.ok()) return failure(cur, "config apply");
  std::vector<std::string> lines;
  json::object hashed = *local;
  pp::config::hash_secrets(hashed);
  diff(json::parse(cur.body), hashed, "$", lines);
  if (lines.empty() && !force) {
    std::cout << "no differences: nothing applied\n";
    return kOk;
  }
  std::vector<std::string> headers;
  if (!cur.etag.empty()) headers.push_back("If-Match: " + cur.etag);
  Reply r = c.call("PUT", "/admin/config", json::serialize(*local), headers);
  if (!r.ok()) return failure(r, "config apply");
  json::object a = parse_object(r.body);
  std::cout << "applied: version " << json::serialize(a["version"]) << "\n";
  return kOk;
}

// ---- jobs --------------------------------------------------------------------------------------

int finish_job(Client& c, const Options& o, const std::string& collection, const std::string& id,
               const std::string& out, bool wait) {
  if (!wait) {
    std::cout << id << "\n";
    return kOk;
  }
  auto res = wait_job(c, o, collection, id);
  if (std::holds_alternative<int>(res)) return std::get<int>(res);
  json::object j = std::get<json::object>(res);
  print_counts(j);
  const std::string status(j["status"].as_string());
  std::string url;
  if (const auto* f = j.if_contains("file"); f && f->is_object())
    url = std::string(f->as_object().at("url").as_string());
  else if (const auto* u = j.if_contains("results_url"); u && u->is_string())
    url = std::string(u->as_string());
  std::string file = out;
  if (file.empty() && !url.empty()) {
    if (const auto* f = j.if_contains("file"); f && f->is_object())
      file = std::string(f->as_object().at("name").as_string());
    else
      file = id + "-results.csv";
  }
  if (!url.empty() && !file.empty()) {
    Reply d = c.download(url, file);
    if (!d.ok()) return failure(d, "download");
    std::cout << "file: " << file << "\n";
  }
  if (status != "completed") {
    std::cerr << "ppctl: " << id << " " << status;
    if (const auto* e = j.if_contains("error"); e && e->is_string())
      std::cerr << ": " << std::string(e->as_string());
    std::cerr << "\n";
    return kFailed;
  }
  return kOk;
}

std::optional<std::string> upload(Client& c, const std::string& file, int& code) {
  Reply r = c.upload("/admin/uploads", file);
  if (!r.ok()) {
    code = failure(r, "upload " + file);
    return std::nullopt;
  }
  json::object u = parse_object(r.body);
  std::cerr << "uploaded " << file << ": " << int_of(u.if_contains("rows_detected")) << " rows\n";
  return std::string(u["upload_id"].as_string());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* t = std::getenv("PINGPOST_TOKEN")) o.token = t;
  if (const char* s = std::getenv("PINGPOST_URL")) o.server = s;
  CLI::App app{"ppctl: pingpost's command-line client"};
  app.require_subcommand(1);
  std::string home = std::getenv("HOME") ? std::getenv("HOME") : ".";
  app.set_config("--config", home + "/.config/pingpost/ppctl.conf",
                 "A file of `server = ...` and `token = ...` lines");
  app.add_option("--server", o.server, "The server's URL (PINGPOST_URL)")->capture_default_str();
  app.add_option("--token", o.token, "An API token (PINGPOST_TOKEN)");
  app.add_option("--timeout", o.timeout_s, "Seconds each call may take")->capture_default_str();
  app.add_option("--poll-ms", o.poll_ms, "How often a job's progress is asked")
      ->check(CLI::Range(50, 60000));

  std::function<int(Client&)> run;

  // config get|apply|diff
  auto* config = app.add_subcommand("config", "The configuration document")->require_subcommand(1);
  std::string config_out, config_file;
  bool force = false;
  config->add_subcommand("get", "Print (or save) the current document")
      ->callback([&] { run = [&](Client& c) { return config_get(c, config_out); }; })
      ->add_option("-o,--output", config_out, "Write it to this file");
  auto* apply = config->add_subcommand("apply", "Replace the configuration with a file's");
  apply->add_option("file", config_file, "The document (the configuration file's JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  apply->add_flag("--force", force, "Apply even when nothing differs");
  apply->callback([&] { run = [&](Client& c) { return config_apply(c, config_file, force); }; });
  auto* cdiff = config->add_subcommand("diff", "What applying a file would change (exit 1: some)");
  cdiff->add_option("file", config_file, "The document")->required()->check(CLI::ExistingFile);
  cdiff->callback([&] { run = [&](Client& c) { return config_diff(c, config_file); }; });

  // export TYPE
  auto* exp = app.add_subcommand("export", "Export leads, stats, accounting or ping/post logs");
  std::string type, format = "csv", out;
  std::vector<std::string> params;
  bool no_wait = false;
  exp->add_option("type", type, "leads, stats, accounting or logs")
      ->required()
      ->check(CLI::IsMember({"leads", "stats", "accounting", "logs"}));
  exp->add_option("--format", format, "csv or xlsx")->check(CLI::IsMember({"csv", "xlsx"}));
  exp->add_option("-p,--param", params,
                  "A parameter of the matching read endpoint: campaign=1, start_date=2026-01-01");
  exp->add_option("-o,--output", out, "Where the file goes (default: its name)");
  exp->add_flag("--no-wait", no_wait, "Print the job's id and return");
  exp->callback([&] {
    run = [&](Client& c) {
      json::object p;
      for (const auto& kv : params) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) {
          std::cerr << "ppctl: --param " << kv << ": use name=value\n";
          return int(kUsage);
        }
        p[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      json::object body{{"type", type}, {"format", format}, {"params", std::move(p)}};
      Reply r = c.call("POST", "/admin/exports", json::serialize(body));
      if (!r.ok()) return failure(r, "export");
      return finish_job(c, o, "exports", std::string(parse_object(r.body)["id"].as_string()), out,
                        !no_wait);
    };
  });

  // returns upload FILE
  auto* returns = app.add_subcommand("returns", "Bulk returns")->require_subcommand(1);
  auto* rup = returns->add_subcommand("upload", "Return the leads a CSV names");
  std::string file, match_by = "lp_lead_id", column, from, to, on_multiple = "all", reason,
                    reason_column;
  int64_t campaign = 0, buyer = 0, supplier = 0;
  rup->add_option("file", file, "The CSV")->required()->check(CLI::ExistingFile);
  rup->add_option("--campaign", campaign, "The campaign")->required();
  rup->add_option("--buyer", buyer, "Only leads sold to this buyer");
  rup->add_option("--column", column, "The column with the values")->required();
  rup->add_option("--match-by", match_by, "lp_lead_id, email or phone")
      ->check(CLI::IsMember({"lp_lead_id", "email", "phone"}));
  rup->add_option("--from", from, "First day (YYYY-MM-DD, the campaign's zone)")->required();
  rup->add_option("--to", to, "Last day")->required();
  rup->add_option("--on-multiple", on_multiple, "all, newest or skip")
      ->check(CLI::IsMember({"all", "newest", "skip"}));
  rup->add_option("--reason", reason, "The return reason");
  rup->add_option("--reason-column", reason_column, "A column with each row's reason");
  rup->add_option("-o,--output", out, "Where the results (zip) go");
  rup->callback([&] {
    run = [&](Client& c) {
      int code = kOk;
      auto id = upload(c, file, code);
      if (!id) return code;
      json::object body{{"upload_id", *id},          {"campaign_id", campaign}, {"column", column},
                        {"match_by", match_by},      {"start_date", from},      {"end_date", to},
                        {"on_multiple", on_multiple}};
      if (buyer) body["buyer_id"] = buyer;
      if (!reason.empty()) body["reason"] = reason;
      if (!reason_column.empty()) body["reason_column"] = reason_column;
      Reply r = c.call("POST", "/admin/returns", json::serialize(body));
      if (!r.ok()) return failure(r, "returns");
      return finish_job(c, o, "returns", std::string(parse_object(r.body)["id"].as_string()), out,
                        true);
    };
  });

  // batch upload FILE
  auto* batch = app.add_subcommand("batch", "Batch intake")->require_subcommand(1);
  auto* bup = batch->add_subcommand("upload", "Send a file of leads through a campaign");
  bool watch = false;
  bup->add_option("file", file, "CSV or JSON")->required()->check(CLI::ExistingFile);
  bup->add_option("--campaign", campaign, "The campaign")->required();
  bup->add_option("--supplier", supplier, "The supplier the leads come from")->required();
  bup->add_flag("--watch", watch, "Wait, show progress, download the per-row results");
  bup->add_option("-o,--output", out, "Where the results go (with --watch)");
  bup->callback([&] {
    run = [&](Client& c) {
      int code = kOk;
      auto id = upload(c, file, code);
      if (!id) return code;
      json::object body{{"upload_id", *id}, {"campaign_id", campaign}, {"supplier_id", supplier}};
      Reply r = c.call("POST", "/admin/batches", json::serialize(body));
      if (!r.ok()) return failure(r, "batch");
      return finish_job(c, o, "batches", std::string(parse_object(r.body)["batch_id"].as_string()),
                        out, watch);
    };
  });

  // buyer test
  auto* bt = app.add_subcommand("buyer", "Buyers")->require_subcommand(1);
  auto* btest =
      bt->add_subcommand("test", "Render (or --send) a sample lead to a campaign's buyers");
  bool send = false;
  btest->add_option("--campaign", campaign, "The campaign")->required();
  btest->add_option("--buyer", buyer, "One buyer (default: every buyer)");
  btest->add_flag("--send", send, "Send it for real (default: a dry run)");
  btest->callback([&] {
    run = [&](Client& c) {
      const std::string base = "/admin/campaigns/" + std::to_string(campaign) + "/buyers";
      std::vector<int64_t> buyers;
      if (buyer) {
        buyers.push_back(buyer);
      } else {  // every buyer of the campaign
        Reply list = c.call("GET", base);
        if (!list.ok()) return failure(list, "buyers");
        const json::value all = json::parse(list.body);
        const json::array* items = all.is_array() ? &all.as_array() : nullptr;
        if (!items && all.is_object())
          if (const auto* d = all.as_object().if_contains("data"); d && d->is_array())
            items = &d->as_array();
        for (const auto& b : items ? *items : json::array{})
          if (b.is_object()) buyers.push_back(int_of(b.as_object().if_contains("id")));
      }
      int code = kOk;
      for (int64_t id : buyers) {
        Reply r = c.call("POST", base + "/" + std::to_string(id) + "/test",
                         json::serialize(json::object{{"dry_run", !send}}));
        if (!r.ok()) {
          code = failure(r, "buyer test " + std::to_string(id));
          continue;
        }
        std::cout << "buyer " << id << ":\n" << pp::config::pretty(json::parse(r.body)) << "\n";
      }
      return code;
    };
  });

  // tail
  auto* tail = app.add_subcommand("tail", "Print leads as they are stored");
  std::vector<int64_t> campaigns;
  int64_t count = 0;
  double interval = 2;
  tail->add_option("--campaign", campaigns, "Campaigns (default: every campaign)");
  tail->add_option("--count", count, "Stop after this many leads");
  tail->add_option("--interval", interval, "Seconds between looks")->check(CLI::Range(0.1, 3600.0));
  tail->callback([&] {
    run = [&](Client& c) {
      if (campaigns.empty()) {
        Reply r = c.call("GET", "/public/campaigns");
        if (!r.ok()) return failure(r, "campaigns");
        const json::value all = json::parse(r.body);
        for (const auto& x : all.as_array()) campaigns.push_back(x.as_object().at("id").as_int64());
      }
      // From now on: the newest lead of each campaign at the start is where it begins.
      std::map<int64_t, std::string> seen_until;
      std::set<std::string> printed;
      int64_t n = 0;
      const auto started = std::chrono::system_clock::now();
      for (bool first = true;; first = false) {
        const auto now = std::chrono::system_clock::now();
        auto day = [](std::chrono::system_clock::time_point t) {
          std::time_t tt = std::chrono::system_clock::to_time_t(t);
          char buf[16];
          std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&tt));
          return std::string(buf);
        };
        for (int64_t cid : campaigns) {
          Reply r = c.call("GET",
                           "/public/leads?campaign=" + std::to_string(cid) +
                               "&timezone=UTC&start_date=" + day(started - std::chrono::hours(24)) +
                               "&end_date=" + day(now + std::chrono::hours(24)));
          if (!r.ok()) return failure(r, "leads");
          const json::array leads = parse_object(r.body)["leads"].as_array();
          for (auto it = leads.rbegin(); it != leads.rend(); ++it) {  // oldest first
            const json::object& l = it->as_object();
            const std::string id(l.at("id").as_string());
            // Leads stored before tail began are passed over (the first look only takes note).
            if (!printed.insert(id).second || first) continue;
            std::cout << id << " campaign=" << cid
                      << " status=" << std::string_view(l.at("status").as_string());
            if (const auto* s = l.if_contains("supplier"); s && s->is_object())
              std::cout << " supplier=" << int_of(s->as_object().if_contains("id"));
            if (const auto* e = l.if_contains("error_message");
                e && e->is_string() && !e->as_string().empty())
              std::cout << " message=\"" << std::string_view(e->as_string()) << "\"";
            std::cout << std::endl;
            if (count > 0 && ++n >= count) return int(kOk);
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(int64_t(interval * 1000)));
      }
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  if (o.token.empty()) {
    std::cerr << "ppctl: no token: --token, PINGPOST_TOKEN or the config file\n";
    return kUsage;
  }
  Client client(o.server, o.token, o.timeout_s);
  return run ? run(client) : kUsage;
}
