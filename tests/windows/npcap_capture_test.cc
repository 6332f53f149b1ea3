// Live capture through Npcap (capture/npcap_source_windows.cc). Without
// Npcap (Wine, a CI runner) opening must say so in one sentence; with it,
// a DNS query this test sends to 127.0.0.1 is captured on Npcap's loopback
// adapter.

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "capture/adapters_windows.h"
#include "capture/capture_source.h"

namespace dnsleak::capture {
namespace {

using namespace std::chrono_literals;

TEST(NpcapCapture, WithoutNpcapOpeningSaysSo) {
  std::string version;
  if (npcapPresent(version)) GTEST_SKIP() << "Npcap is installed here (" << version << ")";
  LiveOptions options;
  options.interfaces = {"any"};
  try {
    openLive(options);
    FAIL() << "opened without Npcap";
  } catch (const CaptureError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("Npcap is not installed (https://npcap.com): ", 0), 0u) << e.what();
  }
}

struct Collect : PacketSink {
  std::mutex mutex;
  std::atomic<int> dns{0};
  void onPacket(const RawPacket& p) override {
    // Npcap's loopback frames are DLT_NULL: 4 bytes of family, then IPv4.
    if (p.data.size() < 4 + 20 + 8) return;
    const std::uint8_t* ip = p.data.data() + 4;
    std::size_t header = (ip[0] & 0x0f) * 4u;
    if (p.data.size() < 4 + header + 8 || ip[9] != 17) return;
    const std::uint8_t* udp = ip + header;
    if (((udp[2] << 8) | udp[3]) == 53) dns.fetch_add(1);
  }
};

TEST(NpcapCapture, AQueryToTheLoopbackIsCaptured) {
  std::string version;
  if (!npcapPresent(version)) GTEST_SKIP() << version;
  LiveOptions options;
  options.interfaces = {"\\Device\\NPF_Loopback"};
  auto source = openLive(options);
  Collect sink;
  std::thread capture([&] { source->run(sink); });
  WSADATA data;
  WSAStartup(MAKEWORD(2, 2), &data);
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(53);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A query for example.com, A.
  const unsigned char query[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                                 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sink.dns.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    sendto(s, reinterpret_cast<const char*>(query), sizeof query, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    std::this_thread::sleep_for(200ms);
  }
  closesocket(s);
  WSACleanup();
  source->stop();
  capture.join();
  EXPECT_GT(sink.dns.load(), 0);
  auto stats = source->stats();
  ASSERT_FALSE(stats.empty());
  EXPECT_EQ(stats[0].state, "capturing") << stats[0].error;
}

}  // namespace
}  // namespace dnsleak::capture
