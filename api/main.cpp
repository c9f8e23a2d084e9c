// pingpostd: the pingpost engine.
//   pingpostd --config FILE --data DIR --listen HOST:PORT [--threads N]
//             [--log-format text|json] [--log-level trace|debug|info|warn|error]
// --config seeds an empty data directory; afterwards the stored configuration wins (change it
// through /admin/, or edit the file and send SIGHUP to apply it as one change).
// SIGINT/SIGTERM drain: stop accepting, finish leads in flight, flush storage, exit 0.
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <functional>
#include <iostream>
#include <string>
#include <thread>

#include "api/app.h"
#include "core/json_writer.h"
#include "core/text.h"

namespace {

// %* in a pattern: the log message as JSON string content (escaped, without quotes).
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string q;
    pp::json_escape_append(q, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(q.data() + 1, q.data() + q.size() - 1);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

void usage() {
  std::cerr << "usage: pingpostd --config FILE --data DIR --listen HOST:PORT [--threads N]\n"
               "                 [--group-wait-us US]\n"
               "                 [--log-format text|json] [--log-level info]\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, data_dir = "var/data", listen = "127.0.0.1:8080";
  std::string log_format = "text", log_level = "info";
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  int64_t group_wait_us = pp::storage::StoreOptions{}.group_wait_us;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config")
      config_path = next();
    else if (a == "--data")
      data_dir = next();
    else if (a == "--listen")
      listen = next();
    else if (a == "--threads")
      threads = unsigned(std::max<int64_t>(1, pp::parse_int(next()).value_or(1)));
    else if (a == "--group-wait-us")
      group_wait_us = std::max<int64_t>(0, pp::parse_int(next()).value_or(0));
    else if (a == "--log-format")
      log_format = next();
    else if (a == "--log-level")
      log_level = next();
    else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else {
      std::cerr << "unknown argument: " << a << "\n";
      usage();
      return 2;
    }
  }
  if (config_path.empty()) {
    usage();
    return 2;
  }

  auto logger = spdlog::stdout_logger_mt("pingpost");
  spdlog::set_default_logger(logger);
  if (log_format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    spdlog::set_formatter(std::move(f));
  } else {
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::flush_every(std::chrono::seconds(1));

  auto text = pp::api::read_file(config_path);
  if (!text) {
    spdlog::critical("cannot read configuration file {}", config_path);
    return 1;
  }
  size_t colon = listen.rfind(':');
  auto port = colon == std::string::npos ? std::nullopt : pp::parse_int(listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    std::cerr << "--listen must be HOST:PORT\n";
    return 2;
  }

  // A file-size limit (or a full disk) must make writes fail with an error the engine answers
  // (1011, never ACCEPTED), not kill the process.
  std::signal(SIGXFSZ, SIG_IGN);
  pp::api::AppOptions opts;
  opts.config_text = std::move(*text);
  opts.data_dir = data_dir;
  opts.host = listen.substr(0, colon);
  opts.port = uint16_t(*port);
  opts.threads = threads;
  opts.store.group_wait_us = group_wait_us;
  std::vector<std::string> errors;
  auto app = pp::api::App::create(opts, errors);
  if (!app) {
    std::cerr << "pingpostd: cannot start, " << errors.size() << " problem(s) in " << config_path
              << " / " << data_dir << ":\n";
    for (const auto& e : errors) std::cerr << "  " << e << "\n";
    return 1;
  }
  try {
    app->start();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  spdlog::info("pingpostd listening on {}:{} with {} thread(s), data in {}", opts.host, app->port(),
               threads, data_dir);

  // SIGHUP re-reads --config and applies it as one configuration change (validated whole; an
  // invalid file changes nothing). SIGINT/SIGTERM drain and stop.
  boost::asio::io_context signals_ioc;
  boost::asio::signal_set signals(signals_ioc, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig != SIGHUP) {
          spdlog::info("signal {} received: draining", sig);
          return;
        }
        auto file = pp::api::read_file(config_path);
        if (!file) {
          spdlog::error("SIGHUP: cannot read {}; the configuration is unchanged", config_path);
        } else {
          pp::engine::ChangeResult r = app->reload_config(*file, "SIGHUP");
          if (r.ok()) {
            spdlog::info("SIGHUP: {} applied as configuration version {}", config_path, r.version);
          } else {
            spdlog::error("SIGHUP: {} not applied ({}); the configuration is unchanged",
                          config_path, r.message);
            for (const auto& [path, what] : r.details) spdlog::error("  {}: {}", path, what);
          }
        }
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  signals_ioc.run();

  app->shutdown(std::chrono::seconds(30));
  spdlog::info("stopped cleanly");
  spdlog::shutdown();
  return 0;
}
