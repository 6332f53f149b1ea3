// The Windows FlowOwnerProvider: the owner-pid socket tables of the IP
// Helper API, and the process behind a pid. Compiled only on Windows; the
// matching itself (table_owners.cc) is shared and unit-tested everywhere.

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <tlhelp32.h>
// objbase.h defines `interface` as `struct`; core::Event has a member so named.
#undef interface

#include <vector>

#include "attribution/table_owners.h"

namespace dnsleak::attribution {
namespace {

core::Endpoint endpoint4(DWORD address, DWORD port) {
  core::Endpoint e;
  e.address = core::IpAddress::v4(reinterpret_cast<const std::uint8_t*>(&address));
  e.port = ntohs(static_cast<u_short>(port));
  return e;
}

core::Endpoint endpoint6(const UCHAR address[16], DWORD port) {
  core::Endpoint e;
  e.address = core::IpAddress::v6(address);
  e.port = ntohs(static_cast<u_short>(port));
  return e;
}

// Calls a Get*Table function until its buffer is large enough.
template <typename Call>
std::optional<std::vector<char>> table(Call call) {
  std::vector<char> buffer(16 * 1024);
  for (int attempt = 0; attempt < 4; ++attempt) {
    DWORD size = static_cast<DWORD>(buffer.size());
    DWORD rc = call(buffer.data(), &size);
    if (rc == NO_ERROR) return buffer;
    if (rc != ERROR_INSUFFICIENT_BUFFER) return std::nullopt;
    buffer.resize(size + 4096);
  }
  return std::nullopt;
}

class WindowsOwnerTables : public OwnerTables {
 public:
  std::optional<std::vector<OwnerRow>> rows(std::uint8_t ip_protocol, bool v6) override {
    const ULONG family = v6 ? AF_INET6 : AF_INET;
    std::vector<OwnerRow> out;
    if (ip_protocol == IPPROTO_TCP) {
      auto buffer = table([&](void* b, DWORD* n) {
        return GetExtendedTcpTable(b, n, FALSE, family, TCP_TABLE_OWNER_PID_ALL, 0);
      });
      if (!buffer) return std::nullopt;
      if (v6) {
        auto* t = reinterpret_cast<const MIB_TCP6TABLE_OWNER_PID*>(buffer->data());
        for (DWORD i = 0; i < t->dwNumEntries; ++i) {
          const auto& r = t->table[i];
          out.push_back({endpoint6(r.ucLocalAddr, r.dwLocalPort), endpoint6(r.ucRemoteAddr, r.dwRemotePort),
                         r.dwOwningPid});
        }
      } else {
        auto* t = reinterpret_cast<const MIB_TCPTABLE_OWNER_PID*>(buffer->data());
        for (DWORD i = 0; i < t->dwNumEntries; ++i) {
          const auto& r = t->table[i];
          out.push_back({endpoint4(r.dwLocalAddr, r.dwLocalPort), endpoint4(r.dwRemoteAddr, r.dwRemotePort),
                         r.dwOwningPid});
        }
      }
    } else {
      auto buffer = table([&](void* b, DWORD* n) {
        return GetExtendedUdpTable(b, n, FALSE, family, UDP_TABLE_OWNER_PID, 0);
      });
      if (!buffer) return std::nullopt;
      if (v6) {
        auto* t = reinterpret_cast<const MIB_UDP6TABLE_OWNER_PID*>(buffer->data());
        for (DWORD i = 0; i < t->dwNumEntries; ++i) {
          const auto& r = t->table[i];
          out.push_back({endpoint6(r.ucLocalAddr, r.dwLocalPort), {}, r.dwOwningPid});
        }
      } else {
        auto* t = reinterpret_cast<const MIB_UDPTABLE_OWNER_PID*>(buffer->data());
        for (DWORD i = 0; i < t->dwNumEntries; ++i) {
          const auto& r = t->table[i];
          out.push_back({endpoint4(r.dwLocalAddr, r.dwLocalPort), {}, r.dwOwningPid});
        }
      }
    }
    return out;
  }

  std::optional<core::ProcessInfo> process(std::uint32_t pid) override {
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!h) return std::nullopt;
    core::ProcessInfo p;
    p.pid = p.tgid = pid;
    char path[MAX_PATH * 2];
    DWORD size = sizeof path;
    if (QueryFullProcessImageNameA(h, 0, path, &size)) {
      p.exe.assign(path, size);
      auto slash = p.exe.find_last_of("\\/");
      p.name = slash == std::string::npos ? p.exe : p.exe.substr(slash + 1);
    }
    CloseHandle(h);
    // The parent, from a process snapshot.
    HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snapshot != INVALID_HANDLE_VALUE) {
      PROCESSENTRY32 entry{};
      entry.dwSize = sizeof entry;
      for (BOOL ok = Process32First(snapshot, &entry); ok; ok = Process32Next(snapshot, &entry)) {
        if (entry.th32ProcessID == pid && entry.th32ParentProcessID != 0) {
          p.parents.push_back({entry.th32ParentProcessID, std::string()});
          break;
        }
      }
      CloseHandle(snapshot);
    }
    return p;
  }
};

}  // namespace

std::unique_ptr<FlowOwnerProvider> makeFlowOwnerProvider(const ProviderOptions&) {
  return std::make_unique<TableFlowOwners>(std::make_unique<WindowsOwnerTables>(), "iphlpapi");
}

}  // namespace dnsleak::attribution
