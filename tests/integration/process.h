#pragma once

// Runs the project's real binaries from tests: one-shot commands with their
// output, and background processes (a daemon, a long watch) that are
// stopped when the test ends.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace dnsleak::testing {

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs argv[0] with arguments, waiting at most `timeout`.
RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = std::chrono::seconds(30));

class Background {
 public:
  // Starts argv; stdout and stderr go to files under `dir`.
  Background(const std::vector<std::string>& argv, const std::string& dir, const std::string& name);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends a signal and waits for the exit; returns the exit code (-1 if
  // killed by a signal or still running after `timeout`).
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for the process to end by itself.
  int wait(std::chrono::milliseconds timeout);
  void signal(int signal);
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  bool exited_ = false;
  std::string out_path_;
  std::string err_path_;
};

std::string makeTempDir();
void removeTree(const std::string& path);
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& text);
bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
std::vector<std::string> lines(const std::string& text);
bool haveProgram(const std::string& name);

}  // namespace dnsleak::testing
