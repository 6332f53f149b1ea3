#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "attribution/sock_diag.h"
#include "core/event.h"

namespace dnsleak::attribution {

// The last way to a flow's socket, for kernels or sandboxes without socket
// diagnostics: the tables in <root>/net/{tcp,udp,tcp6,udp6} ("/proc" on a
// host, the reading process's network namespace). A connected socket is
// matched on both ends; a UDP socket may also be unconnected (remote end
// zero) or bound to the wildcard address, and is then matched on its port.
std::optional<SocketIdentity> findSocketInProcNet(const std::string& root, std::uint8_t ip_protocol,
                                                  const core::Endpoint& local, const core::Endpoint& remote);

// One row of such a table: "0100007F:0035" is 127.0.0.1 port 53 (each
// 32-bit word in the kernel's byte order, as /proc prints it).
struct ProcNetRow {
  core::Endpoint local;
  core::Endpoint remote;
  std::uint32_t uid = 0;
  std::uint64_t inode = 0;
};
std::optional<ProcNetRow> parseProcNetLine(std::string_view line, bool v6);

}  // namespace dnsleak::attribution
