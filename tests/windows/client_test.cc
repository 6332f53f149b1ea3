// dnsleakctl's Windows half (client/platform_windows.cc): who may serve the
// socket, what a missing or wrong socket path says, and the private daemon
// of report --file started, split back into its arguments and stopped.

#include <windows.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "commands.h"
#include "platform.h"
#include "platform/windows_text.h"
#include "server_trust_windows.h"

namespace dnsleak::client {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string thisBinary() {
  wchar_t path[MAX_PATH];
  DWORD n = GetModuleFileNameW(nullptr, path, MAX_PATH);
  return platform::narrow(std::wstring(path, n));
}

std::string readAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(WindowsClient, ThisUsersOwnProcessMayServeAndAMissingOneMayNot) {
  ServerTrust own = serverTrust(GetCurrentProcessId());
  EXPECT_TRUE(own.trusted) << own.who;
  EXPECT_EQ(own.user_sid.rfind("S-1-5-", 0), 0u) << own.user_sid;
  ServerTrust gone = serverTrust(0x7ffffff0);
  EXPECT_FALSE(gone.trusted);
  EXPECT_NE(gone.who.find("cannot be looked at"), std::string::npos) << gone.who;
}

TEST(WindowsClient, SocketPathsThatCannotBeTheDaemonsSaySo) {
  EXPECT_NE(defaultSocketPath().find("\\dnsleak\\dnsleakd.sock"), std::string::npos) << defaultSocketPath();
  std::string error;
  const std::string dir = makePrivateDirectory(error);
  ASSERT_FALSE(dir.empty()) << error;
  ASSERT_TRUE(fs::is_directory(dir));
  const std::string missing = (fs::path(dir) / "dnsleakd.sock").string();
  DaemonSocket s = connectToDaemon(missing);
  EXPECT_EQ(s.code, kExitNotRunning);
  EXPECT_EQ(s.why, "dnsleakctl: no socket at " + missing +
                       ": dnsleakd is not running (or listens elsewhere; see --socket)\n");
  std::ofstream(missing) << "a file";
  s = connectToDaemon(missing);
  EXPECT_EQ(s.code, kExitNotRunning);
  EXPECT_EQ(s.why, "dnsleakctl: " + missing + " is not a socket: is --socket right?\n");
  fs::remove_all(dir);
}

TEST(WindowsClient, APrivateDaemonGetsItsArgumentsBackWhole) {
  std::string error;
  const std::string dir = makePrivateDirectory(error);
  ASSERT_FALSE(dir.empty()) << error;
  const std::string log = (fs::path(dir) / "daemon.log").string();
  // As report --file passes them (an empty --user), and what quoting must survive.
  const std::vector<std::string> args = {"--echo-args", "--user", "", "C:\\Program Files\\x y\\capture.pcapng",
                                         "say \"hi\"", "trailing\\", "two\\\\\"q", "\t"};
  auto child = startPrivateDaemon(thisBinary(), args, log, error);
  ASSERT_TRUE(child) << error;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!child->exited() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(child->exited());
  std::string expected;
  for (std::size_t i = 1; i < args.size(); ++i) expected += "[" + args[i] + "]\n";
  std::string got = readAll(log);
  // The C runtime's text mode writes CRLF.
  for (auto at = got.find("\r\n"); at != std::string::npos; at = got.find("\r\n", at)) got.erase(at, 1);
  EXPECT_EQ(got, expected);
  child.reset();
  fs::remove_all(dir);
}

TEST(WindowsClient, APrivateDaemonIsStoppedAndAMissingProgramIsSaid) {
  std::string error;
  const std::string dir = makePrivateDirectory(error);
  ASSERT_FALSE(dir.empty()) << error;
  const std::string log = (fs::path(dir) / "daemon.log").string();
  auto child = startPrivateDaemon(thisBinary(), {"--wait"}, log, error);
  ASSERT_TRUE(child) << error;
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(child->exited());
  auto before = std::chrono::steady_clock::now();
  child->stop();
  EXPECT_TRUE(child->exited());
  EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
  auto none = startPrivateDaemon((fs::path(dir) / "no-such-dnsleakd.exe").string(), {}, log, error);
  EXPECT_FALSE(none);
  EXPECT_FALSE(error.empty());
  child.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dnsleak::client
