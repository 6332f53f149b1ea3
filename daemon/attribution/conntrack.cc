// Asks ctnetlink for the entry by its reply tuple. libnetfilter_conntrack
// always sends an original tuple along (which the kernel then prefers), so
// the request is built here: one GET with a CTA_TUPLE_REPLY, one answer.

#include "attribution/conntrack.h"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace dnsleak::attribution {
namespace {

// Appends attributes to a netlink message in a fixed buffer.
class Message {
 public:
  explicit Message(std::uint16_t type) {
    header()->nlmsg_type = type;
    header()->nlmsg_flags = NLM_F_REQUEST;
    length_ = NLMSG_LENGTH(0);
  }
  void put(const void* data, std::size_t size) {
    std::memcpy(buffer_ + length_, data, size);
    length_ += NLMSG_ALIGN(size);
  }
  // Opens a nested attribute; close() writes its length.
  std::size_t open(std::uint16_t type) {
    std::size_t at = length_;
    nlattr a{0, static_cast<std::uint16_t>(type | NLA_F_NESTED)};
    put(&a, sizeof a);
    return at;
  }
  void close(std::size_t at) { reinterpret_cast<nlattr*>(buffer_ + at)->nla_len = static_cast<std::uint16_t>(length_ - at); }
  void attribute(std::uint16_t type, const void* data, std::size_t size) {
    nlattr a{static_cast<std::uint16_t>(NLA_HDRLEN + size), type};
    std::memcpy(buffer_ + length_, &a, sizeof a);
    std::memcpy(buffer_ + length_ + NLA_HDRLEN, data, size);
    length_ += NLA_ALIGN(NLA_HDRLEN + size);
  }
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_); }
  std::size_t finish() {
    header()->nlmsg_len = static_cast<std::uint32_t>(length_);
    return length_;
  }

 private:
  alignas(nlmsghdr) char buffer_[256] = {};
  std::size_t length_ = 0;
};

// Walks the attributes in [data, data + size), calling f(type, payload, len).
template <typename F>
void eachAttribute(const char* data, std::size_t size, F f) {
  while (size >= NLA_HDRLEN) {
    const auto* a = reinterpret_cast<const nlattr*>(data);
    if (a->nla_len < NLA_HDRLEN || a->nla_len > size) return;
    f(a->nla_type & NLA_TYPE_MASK, data + NLA_HDRLEN, a->nla_len - NLA_HDRLEN);
    std::size_t step = NLA_ALIGN(a->nla_len);
    if (step >= size) return;
    data += step;
    size -= step;
  }
}

}  // namespace

std::optional<FlowQuery> originalEnds(const FlowQuery& t) {
  const bool v6 = t.local.address.isV6();
  Message m((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
  nfgenmsg family{static_cast<std::uint8_t>(v6 ? AF_INET6 : AF_INET), NFNETLINK_V0, 0};
  m.put(&family, sizeof family);
  // The reply direction runs from the server to the translated client end.
  auto reply = m.open(CTA_TUPLE_REPLY);
  auto ip = m.open(CTA_TUPLE_IP);
  const std::size_t address_size = v6 ? 16 : 4;
  m.attribute(v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, t.remote.address.bytes().data(), address_size);
  m.attribute(v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, t.local.address.bytes().data(), address_size);
  m.close(ip);
  auto proto = m.open(CTA_TUPLE_PROTO);
  m.attribute(CTA_PROTO_NUM, &t.ip_protocol, 1);
  std::uint16_t sport = htons(t.remote.port), dport = htons(t.local.port);
  m.attribute(CTA_PROTO_SRC_PORT, &sport, 2);
  m.attribute(CTA_PROTO_DST_PORT, &dport, 2);
  m.close(proto);
  m.close(reply);
  const std::size_t length = m.finish();

  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return std::nullopt;
  timeval timeout{0, 200'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::optional<FlowQuery> found;
  if (send(fd, m.header(), length, 0) == static_cast<ssize_t>(length)) {
    alignas(nlmsghdr) std::uint8_t buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      found = parseConntrackReply(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)), t.ip_protocol,
                                  v6);
    }
  }
  ::close(fd);
  return found;
}

std::optional<FlowQuery> parseConntrackReply(std::span<const std::uint8_t> reply, std::uint8_t ip_protocol, bool v6) {
  if (reply.empty()) return std::nullopt;
  alignas(nlmsghdr) char buffer[4096];
  const std::size_t n = std::min(reply.size(), sizeof buffer);
  std::memcpy(buffer, reply.data(), n);
  const auto* h = reinterpret_cast<const nlmsghdr*>(buffer);
  const std::size_t header = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(nfgenmsg)));
  // The message must hold its own header and the nfgenmsg before the
  // attributes: a shorter length once made their size wrap around.
  if (!NLMSG_OK(h, static_cast<unsigned>(n)) || h->nlmsg_type == NLMSG_ERROR || h->nlmsg_len < header) {
    return std::nullopt;
  }
  const char* payload = buffer + header;
  const std::size_t size = h->nlmsg_len - header;
  const std::size_t address_size = v6 ? 16 : 4;
  FlowQuery q{ip_protocol, {}, {}};
  int parts = 0;
  eachAttribute(payload, size, [&](int type, const char* data, std::size_t len) {
    if (type != CTA_TUPLE_ORIG) return;
    eachAttribute(data, len, [&](int inner, const char* d, std::size_t l) {
      eachAttribute(d, l, [&](int leaf, const char* v, std::size_t vl) {
        auto bytes = reinterpret_cast<const std::uint8_t*>(v);
        if (inner == CTA_TUPLE_IP && vl == address_size) {
          auto address = v6 ? core::IpAddress::v6(bytes) : core::IpAddress::v4(bytes);
          if (leaf == (v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC)) q.local.address = address, ++parts;
          if (leaf == (v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST)) q.remote.address = address, ++parts;
        } else if (inner == CTA_TUPLE_PROTO && vl == 2) {
          std::uint16_t port;
          std::memcpy(&port, v, 2);
          if (leaf == CTA_PROTO_SRC_PORT) q.local.port = ntohs(port), ++parts;
          if (leaf == CTA_PROTO_DST_PORT) q.remote.port = ntohs(port), ++parts;
        }
      });
    });
  });
  if (parts == 4) return q;
  return std::nullopt;
}

}  // namespace dnsleak::attribution
