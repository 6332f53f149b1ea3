#include "attribution/sock_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace dnsleak::attribution {
namespace {

void putAddress(const core::IpAddress& a, __be32 out[4]) {
  std::memset(out, 0, 16);
  std::memcpy(out, a.bytes().data(), a.isV4() ? 4 : 16);
}

}  // namespace

std::optional<SocketIdentity> findSocket(std::uint8_t ip_protocol, const core::Endpoint& local,
                                         const core::Endpoint& remote) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return std::nullopt;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST;  // one socket, the kernel's own lookup
  message.request.sdiag_family = local.address.isV4() ? AF_INET : AF_INET6;
  message.request.sdiag_protocol = ip_protocol;
  message.request.idiag_states = ~0u;
  // The kernel answers a single-socket request with its own delivery
  // lookup, whose sides differ by protocol: TCP takes the socket's local end
  // as "src", UDP takes the packet's sender as "src" and the socket's end as
  // "dst" (net/ipv4/udp_diag.c), which also finds unconnected sockets.
  const bool udp = ip_protocol == IPPROTO_UDP;
  const core::Endpoint& src = udp ? remote : local;
  const core::Endpoint& dst = udp ? local : remote;
  message.request.id.idiag_sport = htons(src.port);
  message.request.id.idiag_dport = htons(dst.port);
  putAddress(src.address, message.request.id.idiag_src);
  putAddress(dst.address, message.request.id.idiag_dst);
  message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  timeval timeout{0, 200'000};  // the kernel answers at once
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::optional<SocketIdentity> found;
  if (send(fd, &message, sizeof message, 0) == static_cast<ssize_t>(sizeof message)) {
    alignas(nlmsghdr) std::uint8_t buffer[8192];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) found = parseSockDiagReply(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)));
  }
  close(fd);
  return found;
}

std::optional<SocketIdentity> parseSockDiagReply(std::span<const std::uint8_t> reply) {
  if (reply.empty()) return std::nullopt;
  alignas(nlmsghdr) std::uint8_t buffer[8192];
  const std::size_t size = std::min(reply.size(), sizeof buffer);
  std::memcpy(buffer, reply.data(), size);
  int left = static_cast<int>(size);
  for (auto* h = reinterpret_cast<const nlmsghdr*>(buffer); NLMSG_OK(h, static_cast<unsigned>(left));
       h = NLMSG_NEXT(h, left)) {
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) break;  // NLMSG_ERROR: no such socket
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) break;  // too short to be one
    const auto* diag = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
    return SocketIdentity{diag->idiag_inode, diag->idiag_uid, false};
  }
  return std::nullopt;
}

}  // namespace dnsleak::attribution
