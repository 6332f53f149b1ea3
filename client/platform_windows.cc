// dnsleakctl on Windows: the daemon's AF_UNIX socket in a directory only
// SYSTEM, Administrators and the configured group may use
// (api/socket_directory_windows.h), the serving process checked by its
// token, and CreateProcess for a private daemon.

#include <winsock2.h>
#include <windows.h>
#include <afunix.h>
#include <io.h>
#include <sddl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>

#include "commands.h"
#include "platform.h"
#include "socket_messages.h"
#include "platform/windows_text.h"
#include "server_trust_windows.h"

namespace dnsleak::client {
namespace {

using platform::narrow;
using platform::systemMessage;
using platform::widen;

// SIO_AF_UNIX_GETPEERPID (afunix.h in newer SDKs): the peer's process id.
#ifndef SIO_AF_UNIX_GETPEERPID
#define SIO_AF_UNIX_GETPEERPID _WSAIOR(IOC_VENDOR, 256)
#endif

struct Winsock {
  Winsock() { ok = WSAStartup(MAKEWORD(2, 2), &data) == 0; }
  bool ok = false;
  WSADATA data{};
};

bool winsockStarted() {
  static Winsock winsock;  // for the life of the process, as gRPC's own use
  return winsock.ok;
}

// A command line CreateProcess splits back into `args` as the C runtime
// does: quoted when empty or holding blanks or quotes, backslashes doubled
// before a quote.
void appendQuoted(std::wstring& line, const std::wstring& arg) {
  if (!line.empty()) line += L' ';
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
    line += arg;
    return;
  }
  line += L'"';
  for (std::size_t i = 0;; ++i) {
    std::size_t backslashes = 0;
    while (i < arg.size() && arg[i] == L'\\') {
      ++i;
      ++backslashes;
    }
    if (i == arg.size()) {
      line.append(backslashes * 2, L'\\');
      break;
    }
    if (arg[i] == L'"') {
      line.append(backslashes * 2 + 1, L'\\');
    } else {
      line.append(backslashes, L'\\');
    }
    line += arg[i];
  }
  line += L'"';
}

}  // namespace

std::wstring commandLine(const std::vector<std::string>& argv) {
  std::wstring line;
  for (const auto& a : argv) appendQuoted(line, widen(a));
  return line;
}

ServerTrust serverTrust(std::uint32_t pid) {
  ServerTrust t;
  HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (!process) {
    t.who = "process " + std::to_string(pid) + " (which cannot be looked at: " + systemMessage(GetLastError()) + ")";
    return t;
  }
  HANDLE token = nullptr;
  bool opened = OpenProcessToken(process, TOKEN_QUERY, &token);
  CloseHandle(process);
  if (!opened) {
    t.who = "process " + std::to_string(pid) + " (whose token cannot be read: " + systemMessage(GetLastError()) + ")";
    return t;
  }
  t.user_sid = platform::tokenUserSid(token);
  CloseHandle(token);
  const std::string mine = platform::processUserSid();
  t.who = "process " + std::to_string(pid) + " as " + t.user_sid;
  // LocalSystem (the service), LocalService and NetworkService (a service
  // account it may be given), or this user (a daemon of one's own).
  t.trusted = t.user_sid == "S-1-5-18" || t.user_sid == "S-1-5-19" || t.user_sid == "S-1-5-20" ||
              (!mine.empty() && t.user_sid == mine);
  return t;
}

std::string defaultSocketPath() {
  wchar_t data[MAX_PATH];
  DWORD n = GetEnvironmentVariableW(L"ProgramData", data, MAX_PATH);
  std::string root = n > 0 && n < MAX_PATH ? narrow(std::wstring(data, n)) : "C:\\ProgramData";
  return root + "\\dnsleak\\dnsleakd.sock";
}

std::string whoMayConnect(const std::string&) {
  return "Administrators and members of the daemon's group (api.group)";
}

DaemonSocket connectToDaemon(const std::string& path) {
  std::ostringstream why;
  auto say = [&](int code) { return DaemonSocket{code, why.str(), -1}; };
  DWORD attributes = GetFileAttributesW(widen(path).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    if (GetLastError() == ERROR_ACCESS_DENIED) {
      why << messages::permissionDeniedReaching(path, "SYSTEM, " + whoMayConnect(path));
      return say(kExitPermission);
    }
    why << messages::noSocket(path);
    return say(kExitNotRunning);
  }
  // An AF_UNIX socket is a reparse point of its own kind; anything else is not one.
  if ((attributes & FILE_ATTRIBUTE_DIRECTORY) || !(attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    why << messages::notASocket(path);
    return say(kExitNotRunning);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    why << messages::pathTooLong(path);
    return say(kExitUsage);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  SOCKET s = winsockStarted() ? socket(AF_UNIX, SOCK_STREAM, 0) : INVALID_SOCKET;
  if (s == INVALID_SOCKET) {
    why << "dnsleakctl: this Windows cannot make AF_UNIX sockets (Windows 10 1803 or later can): "
        << systemMessage(static_cast<std::uint32_t>(WSAGetLastError())) << "\n";
    return say(kExitFailed);
  }
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = WSAGetLastError();
    closesocket(s);
    if (err == WSAEACCES) {
      why << messages::permissionDeniedOn(path, "SYSTEM, " + whoMayConnect(path));
      return say(kExitPermission);
    }
    if (err == WSAECONNREFUSED) {
      why << messages::nothingListening(path);
      return say(kExitNotRunning);
    }
    why << messages::cannotConnect(path, systemMessage(static_cast<std::uint32_t>(err)));
    return say(kExitNotRunning);
  }
  // Who listens, as Windows recorded it at accept, checked by its token.
  ULONG pid = 0;
  DWORD got = 0;
  if (WSAIoctl(s, SIO_AF_UNIX_GETPEERPID, nullptr, 0, &pid, sizeof pid, &got, nullptr, nullptr) != 0) {
    closesocket(s);
    why << "dnsleakctl: refusing " << path << ": who serves it cannot be known ("
        << systemMessage(static_cast<std::uint32_t>(WSAGetLastError())) << ")\n";
    return say(kExitPermission);
  }
  ServerTrust trust = serverTrust(pid);
  if (!trust.trusted) {
    closesocket(s);
    why << "dnsleakctl: refusing " << path << ": it is served by " << trust.who
        << ", but dnsleakd runs as SYSTEM, a service account or you; something else may be posing as dnsleakd\n";
    return say(kExitPermission);
  }
  return DaemonSocket{kExitOk, {}, static_cast<std::intptr_t>(s)};
}

void closeDaemonSocket(std::intptr_t handle) {
  if (handle >= 0) closesocket(static_cast<SOCKET>(handle));
}

bool isTerminal(Stream stream) {
  HANDLE h = GetStdHandle(stream == Stream::kOut ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
  DWORD mode = 0;
  if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode)) return false;
  // Colour is written as ANSI sequences: the console must be told to read them.
  if (!(mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING)) SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
  return true;
}

std::string findDaemon() {
  if (const char* env = std::getenv("DNSLEAKD"); env && *env) return env;
  wchar_t self[MAX_PATH];
  DWORD n = GetModuleFileNameW(nullptr, self, MAX_PATH);
  if (n > 0 && n < MAX_PATH) {
    auto beside = std::filesystem::path(std::wstring(self, n)).parent_path() / L"dnsleakd.exe";
    std::error_code ignored;
    if (std::filesystem::exists(beside, ignored)) return narrow(beside.wstring());
  }
  return "dnsleakd.exe";
}

std::string makePrivateDirectory(std::string& error) {
  wchar_t temp[MAX_PATH + 1];
  DWORD n = GetTempPathW(MAX_PATH + 1, temp);
  if (n == 0 || n > MAX_PATH) {
    error = systemMessage(GetLastError());
    return {};
  }
  // This user and SYSTEM only: the private daemon's socket is in it.
  const std::string user = platform::processUserSid();
  std::random_device random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    wchar_t name[64];
    std::swprintf(name, 64, L"dnsleakctl-report-%08x", static_cast<unsigned>(random()));
    std::wstring dir = std::wstring(temp, n) + name;
    PSECURITY_DESCRIPTOR sd = nullptr;
    std::wstring sddl = widen("D:P(A;OICI;FA;;;SY)" + (user.empty() ? "" : "(A;OICI;FA;;;" + user + ")"));
    ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr);
    SECURITY_ATTRIBUTES attributes{sizeof attributes, sd, FALSE};
    BOOL made = CreateDirectoryW(dir.c_str(), sd ? &attributes : nullptr);
    DWORD code = GetLastError();
    if (sd) LocalFree(sd);
    if (made) return narrow(dir);
    if (code != ERROR_ALREADY_EXISTS) {
      error = systemMessage(code);
      return {};
    }
  }
  error = "no free name for it";
  return {};
}

namespace {

class ChildDaemon : public PrivateDaemon {
 public:
  explicit ChildDaemon(PROCESS_INFORMATION info) : info_(info) {}
  ~ChildDaemon() override {
    stop();
    CloseHandle(info_.hProcess);
  }
  bool exited() override { return WaitForSingleObject(info_.hProcess, 0) == WAIT_OBJECT_0; }
  // Ctrl+Break to its own process group, as Ctrl+C stops the daemon in a
  // console; then, after 2 s, the end.
  void stop() override {
    if (exited()) return;
    GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, info_.dwProcessId);
    if (WaitForSingleObject(info_.hProcess, 2000) != WAIT_OBJECT_0) {
      TerminateProcess(info_.hProcess, 1);
      WaitForSingleObject(info_.hProcess, INFINITE);
    }
  }

 private:
  PROCESS_INFORMATION info_;
};

}  // namespace

std::unique_ptr<PrivateDaemon> startPrivateDaemon(const std::string& program, const std::vector<std::string>& args,
                                                  const std::string& log, std::string& error) {
  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  HANDLE out = CreateFileW(widen(log).c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                           CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (out == INVALID_HANDLE_VALUE) {
    error = "cannot write " + log + ": " + systemMessage(GetLastError());
    return nullptr;
  }
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  std::wstring line = commandLine(argv);
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  startup.hStdOutput = out;
  startup.hStdError = out;
  PROCESS_INFORMATION info{};
  BOOL started = CreateProcessW(nullptr, line.data(), nullptr, nullptr, TRUE, CREATE_NEW_PROCESS_GROUP, nullptr,
                                nullptr, &startup, &info);
  DWORD code = GetLastError();
  CloseHandle(out);
  if (!started) {
    error = systemMessage(code);
    return nullptr;
  }
  CloseHandle(info.hThread);
  return std::make_unique<ChildDaemon>(info);
}

}  // namespace dnsleak::client
