#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/event.h"

namespace dnsleak::attribution {

struct SocketIdentity {
  std::uint64_t inode = 0;
  std::uint32_t uid = 0;
  // Matched on the local port alone (a /proc/net row of an unconnected or
  // wildcard-bound UDP socket), not by the kernel's own lookup.
  bool port_only = false;
};

// Asks the kernel (NETLINK_SOCK_DIAG, inet_diag) for the socket that owns a
// UDP or TCP flow of this host: `local` is this host's end. UDP sockets are
// found unconnected too (the kernel matches them as it would deliver).
// Nothing when no socket has it (closed, or not this network namespace's).
std::optional<SocketIdentity> findSocket(std::uint8_t ip_protocol, const core::Endpoint& local,
                                         const core::Endpoint& remote);

// The kernel's reply to that request, as received: the socket of its first
// SOCK_DIAG_BY_FAMILY message, nothing for an error or a short message.
std::optional<SocketIdentity> parseSockDiagReply(std::span<const std::uint8_t> reply);

}  // namespace dnsleak::attribution
