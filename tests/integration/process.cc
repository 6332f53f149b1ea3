#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace dnsleak::testing {
namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: its own process group, so that stopping it stops what it starts.
  setpgid(0, 0);
  int in = open("/dev/null", O_RDONLY);
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

int decode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

bool reap(pid_t pid, std::chrono::milliseconds timeout, int& exit_code) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      exit_code = decode(status);
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::string makeTempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "dnsleak-test-XXXXXX").string();
  if (!mkdtemp(templ.data())) std::abort();
  chmod(templ.c_str(), 0755);
  return templ;
}

void removeTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  std::string dir = makeTempDir();
  RunResult result;
  pid_t pid = spawn(argv, dir + "/out", dir + "/err");
  if (!reap(pid, timeout, result.exit_code)) {
    kill(-pid, SIGKILL);
    int ignored;
    reap(pid, std::chrono::seconds(5), ignored);
    result.exit_code = -1;
  }
  result.out = readFile(dir + "/out");
  result.err = readFile(dir + "/err");
  removeTree(dir);
  return result;
}

Background::Background(const std::vector<std::string>& argv, const std::string& dir, const std::string& name)
    : out_path_(dir + "/" + name + ".out"), err_path_(dir + "/" + name + ".err") {
  pid_ = spawn(argv, out_path_, err_path_);
}

Background::~Background() {
  if (!exited_) stop(SIGKILL, std::chrono::seconds(5));
}

bool Background::running() {
  if (exited_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    exit_code_ = decode(status);
    return false;
  }
  return true;
}

void Background::signal(int sig) {
  if (!exited_) kill(pid_, sig);
}

int Background::wait(std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  if (reap(pid_, timeout, exit_code_)) exited_ = true;
  return exited_ ? exit_code_ : -1;
}

int Background::stop(int sig, std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  kill(pid_, sig);
  if (reap(pid_, timeout, exit_code_)) {
    exited_ = true;
    kill(-pid_, SIGKILL);  // anything it left in its group
    return exit_code_;
  }
  kill(-pid_, SIGKILL);
  int ignored;
  if (reap(pid_, std::chrono::seconds(5), ignored)) exited_ = true;
  return -1;
}

std::string Background::out() const { return readFile(out_path_); }
std::string Background::err() const { return readFile(err_path_); }

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string line;
  while (std::getline(s, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

bool haveProgram(const std::string& name) {
  return run({"sh", "-c", "command -v " + name}, std::chrono::seconds(5)).exit_code == 0;
}

}  // namespace dnsleak::testing
