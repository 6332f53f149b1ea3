// The kernel's netlink replies to attribution's two questions, parsed from
// their bytes: well-formed ones give the socket or the original ends; short
// or wrong ones give nothing and read no byte past the message.

#include <linux/inet_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "attribution/conntrack.h"
#include "attribution/sock_diag.h"

namespace dnsleak::attribution {
namespace {

using Bytes = std::vector<std::uint8_t>;

void append(Bytes& b, const void* data, std::size_t n) {
  auto p = static_cast<const std::uint8_t*>(data);
  b.insert(b.end(), p, p + n);
  b.resize(NLA_ALIGN(b.size()));
}

void attribute(Bytes& b, std::uint16_t type, const void* data, std::size_t n) {
  nlattr a{static_cast<std::uint16_t>(NLA_HDRLEN + n), type};
  append(b, &a, sizeof a);
  b.resize(b.size() - NLA_ALIGN(sizeof a) + NLA_HDRLEN);
  append(b, data, n);
}

Bytes nested(std::uint16_t type, const Bytes& inside) {
  Bytes b;
  nlattr a{static_cast<std::uint16_t>(NLA_HDRLEN + inside.size()), static_cast<std::uint16_t>(type | NLA_F_NESTED)};
  append(b, &a, sizeof a);
  b.insert(b.end(), inside.begin(), inside.end());
  return b;
}

// A ctnetlink answer whose original tuple is 10.0.0.2:40000 -> 192.0.2.53:53.
Bytes conntrackReply() {
  Bytes ip, proto;
  std::uint8_t src[4] = {10, 0, 0, 2}, dst[4] = {192, 0, 2, 53};
  attribute(ip, CTA_IP_V4_SRC, src, 4);
  attribute(ip, CTA_IP_V4_DST, dst, 4);
  std::uint16_t sport = htons(40000), dport = htons(53);
  std::uint8_t udp = IPPROTO_UDP;
  attribute(proto, CTA_PROTO_NUM, &udp, 1);
  attribute(proto, CTA_PROTO_SRC_PORT, &sport, 2);
  attribute(proto, CTA_PROTO_DST_PORT, &dport, 2);
  Bytes tuple = nested(CTA_TUPLE_IP, ip);
  Bytes p = nested(CTA_TUPLE_PROTO, proto);
  tuple.insert(tuple.end(), p.begin(), p.end());
  Bytes body = nested(CTA_TUPLE_ORIG, tuple);
  Bytes message(NLMSG_LENGTH(0), 0);
  nfgenmsg family{AF_INET, NFNETLINK_V0, 0};
  append(message, &family, sizeof family);
  message.insert(message.end(), body.begin(), body.end());
  auto* h = reinterpret_cast<nlmsghdr*>(message.data());
  h->nlmsg_len = static_cast<std::uint32_t>(message.size());
  h->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
  return message;
}

TEST(NetlinkReplies, ConntrackReplyGivesTheOriginalEnds) {
  auto q = parseConntrackReply(conntrackReply(), IPPROTO_UDP, false);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->local.address.toString(), "10.0.0.2");
  EXPECT_EQ(q->local.port, 40000);
  EXPECT_EQ(q->remote.address.toString(), "192.0.2.53");
  EXPECT_EQ(q->remote.port, 53);
}

// A length shorter than the headers once made the attributes' size wrap
// around, and the walk read far past the buffer.
TEST(NetlinkReplies, ShortOrErrorConntrackRepliesGiveNothing) {
  for (std::uint32_t length : {16u, 17u, 19u}) {
    Bytes reply = conntrackReply();
    reinterpret_cast<nlmsghdr*>(reply.data())->nlmsg_len = length;
    EXPECT_FALSE(parseConntrackReply(reply, IPPROTO_UDP, false)) << length;
  }
  Bytes error = conntrackReply();
  reinterpret_cast<nlmsghdr*>(error.data())->nlmsg_type = NLMSG_ERROR;
  EXPECT_FALSE(parseConntrackReply(error, IPPROTO_UDP, false));
  Bytes cut = conntrackReply();
  cut.resize(cut.size() - 6);  // the message says more than arrived
  EXPECT_FALSE(parseConntrackReply(cut, IPPROTO_UDP, false));
  EXPECT_FALSE(parseConntrackReply({}, IPPROTO_UDP, false));
}

TEST(NetlinkReplies, SockDiagReplyGivesTheSocketAndAShortOneNothing) {
  Bytes reply(NLMSG_LENGTH(sizeof(inet_diag_msg)), 0);
  auto* h = reinterpret_cast<nlmsghdr*>(reply.data());
  h->nlmsg_len = static_cast<std::uint32_t>(reply.size());
  h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  auto* diag = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
  diag->idiag_inode = 123456;
  diag->idiag_uid = 1000;
  auto found = parseSockDiagReply(reply);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->inode, 123456u);
  EXPECT_EQ(found->uid, 1000u);

  h->nlmsg_len = NLMSG_LENGTH(8);  // says it holds 8 bytes of a 72-byte message
  EXPECT_FALSE(parseSockDiagReply(reply));
  h->nlmsg_len = static_cast<std::uint32_t>(reply.size());
  h->nlmsg_type = NLMSG_ERROR;
  EXPECT_FALSE(parseSockDiagReply(reply));
}

}  // namespace
}  // namespace dnsleak::attribution
