#pragma once
// A loopback SMTP relay for tests (issue 18): Debian's aiosmtpd (tests/support/smtp_sink.py) with
// STARTTLS on the test certificate and AUTH for one user; the messages it accepted, as JSON.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "app_fixture.h"

namespace pp::testkit {

class SmtpSink {
 public:
  SmtpSink(const std::string& dir, const std::string& user, const std::string& password,
           const std::string& reject = "") {
    out_ = dir + "/messages.jsonl";
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      const std::string script = std::string(PP_SOURCE_DIR) + "/tests/support/smtp_sink.py";
      int pipefd[2];
      if (pipe(pipefd) != 0) return;
      // Everything the child needs is built before fork: after it, in a threaded process, the
      // child only calls async-signal-safe functions.
      const std::vector<std::string> args = {"python3",       script,
                                             "--port",        std::to_string(port_),
                                             "--out",         out_,
                                             "--cert",        cert_dir() + "/server.pem",
                                             "--key",         cert_dir() + "/server.key",
                                             "--user",        user,
                                             "--password",    password,
                                             "--reject-rcpt", reject};
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      pid_t pid = fork();
      if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        execv("/usr/bin/python3", argv.data());
        _exit(127);
      }
      close(pipefd[1]);
      char buf[16] = {};
      ssize_t n = read(pipefd[0], buf, sizeof buf - 1);  // "ready", or EOF when it failed
      close(pipefd[0]);
      if (n > 0 && std::string(buf).rfind("ready", 0) == 0) {
        pid_ = pid;
      } else {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  std::vector<boost::json::object> messages() const {
    std::vector<boost::json::object> out;
    std::ifstream in(out_);
    for (std::string line; std::getline(in, line);) out.push_back(parse_object(line));
    return out;
  }

 private:
  static uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
  }
  std::string out_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pp::testkit
