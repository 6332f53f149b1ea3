#pragma once

// Whether the process serving the daemon's socket may be dnsleakd, by its
// token; and the command line a private daemon is started with. Windows
// only, apart so the tests reach them (tests/windows/client_test.cc).

#include <cstdint>
#include <string>
#include <vector>

namespace dnsleak::client {

struct ServerTrust {
  bool trusted = false;
  std::string user_sid;  // the process's user, "S-1-5-18" for LocalSystem
  std::string who;       // for a refusal: "process 1234 as S-1-5-21-..."
};
ServerTrust serverTrust(std::uint32_t pid);

// `argv` as one command line that CreateProcess and the C runtime split
// back into the same strings (empty ones and those with blanks or quotes
// quoted, backslashes before a quote doubled).
std::wstring commandLine(const std::vector<std::string>& argv);

}  // namespace dnsleak::client
