// Scaling capture past one core (docs/performance.md, "Past one core"): N
// libpcap handles on one interface joined in a PACKET_FANOUT group by flow
// hash, one pipeline each. What that design rests on is tested here, with
// the kernel's own fanout on a real veth: every packet reaches exactly one
// handle, both directions of a flow reach the same one (so a DNS query and
// its response meet in one pipeline's exchange tracker), and the flows are
// spread over the handles.
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "packet_builder.h"

namespace dnsleak::testing {
namespace {

class FanoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (a veth pair and raw capture)";
    std::system("ip link del dlfan-a 2>/dev/null");
    if (std::system("ip link add dlfan-a type veth peer name dlfan-b && ip link set dlfan-a up && "
                    "ip link set dlfan-b up") != 0) {
      GTEST_SKIP() << "cannot create a veth pair here";
    }
  }
  void TearDown() override { std::system("ip link del dlfan-a 2>/dev/null"); }

  static pcap_t* open(const char* name) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_create(name, errbuf);
    if (!p) return nullptr;
    pcap_set_snaplen(p, 2048);
    pcap_set_timeout(p, 2);
    pcap_set_buffer_size(p, 1 << 20);
    if (pcap_activate(p) < 0 || pcap_setnonblock(p, 1, errbuf) < 0) {
      pcap_close(p);
      return nullptr;
    }
    return p;
  }
};

TEST_F(FanoutTest, EachFlowReachesOneHandleBothWaysAndFlowsSpreadOverHandles) {
  constexpr int kHandles = 2, kFlows = 64;
  std::vector<pcap_t*> handles;
  const int group = (getpid() & 0xffff);
  for (int i = 0; i < kHandles; ++i) {
    pcap_t* p = open("dlfan-b");
    ASSERT_NE(p, nullptr);
    // The group by flow hash (symmetric: both directions hash alike).
    int fanout = group | (PACKET_FANOUT_HASH << 16);
    ASSERT_EQ(setsockopt(pcap_fileno(p), SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout), 0) << strerror(errno);
    handles.push_back(p);
  }
  pcap_t* sender = open("dlfan-a");
  ASSERT_NE(sender, nullptr);

  const Peer resolver{"198.51.100.53", 53};
  for (int flow = 0; flow < kFlows; ++flow) {
    const Peer client{"192.0.2.10", static_cast<std::uint16_t>(30000 + flow)};
    const std::string name = "flow" + std::to_string(flow) + ".example";
    Bytes query = ethernet(ipUdp(client, resolver, DnsBuilder::query(static_cast<std::uint16_t>(flow), name, 1).build()));
    Bytes answer = ethernet(ipUdp(resolver, client, DnsBuilder::response(static_cast<std::uint16_t>(flow), name, 1).build()));
    ASSERT_EQ(pcap_inject(sender, query.data(), query.size()), static_cast<int>(query.size()));
    ASSERT_EQ(pcap_inject(sender, answer.data(), answer.size()), static_cast<int>(answer.size()));
  }

  // Which handle saw each flow's query (to 53) and response (from 53).
  std::map<int, std::vector<int>> seen_by;  // client port → handles, once per packet
  int packets = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (packets < 2 * kFlows && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < kHandles; ++i) {
      struct pcap_pkthdr* header;
      const u_char* data;
      while (pcap_next_ex(handles[i], &header, &data) == 1) {
        // Ethernet 14 + IPv4 20: UDP ports; other frames (IPv6 router
        // solicitations of a new link) are not ours.
        if (header->caplen < 42 || data[12] != 0x08 || data[13] != 0x00 || data[23] != 17) continue;
        int sport = data[34] << 8 | data[35], dport = data[36] << 8 | data[37];
        int client = sport == 53 ? dport : sport;
        if (client < 30000 || client >= 30000 + kFlows) continue;
        seen_by[client].push_back(i);
        ++packets;
      }
    }
  }
  EXPECT_EQ(packets, 2 * kFlows) << "every packet reaches exactly one handle";
  std::vector<int> flows_per_handle(kHandles, 0);
  for (const auto& [port, by] : seen_by) {
    ASSERT_EQ(by.size(), 2u) << "flow from port " << port;
    EXPECT_EQ(by[0], by[1]) << "query and response of the flow from port " << port << " reached different handles";
    ++flows_per_handle[by[0]];
  }
  for (int i = 0; i < kHandles; ++i) EXPECT_GT(flows_per_handle[i], 0) << "handle " << i << " got no flow";
  for (auto* p : handles) pcap_close(p);
  pcap_close(sender);
}

}  // namespace
}  // namespace dnsleak::testing
