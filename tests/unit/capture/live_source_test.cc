// The live source on a real veth (root): what it promises the pipeline
// about time. onIdle(now) lets go of queries whose response did not come
// by `now`, so every packet captured before `now` must have been handed
// over by then, including those the kernel still holds in a block it has
// not yet retired.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capture/capture_source.h"
#include "packet_builder.h"

namespace dnsleak::capture {
namespace {

using testing::Bytes;
using testing::Peer;

class LiveSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (a veth pair and live capture)";
    std::system("ip link del dlidle-a 2>/dev/null");
    if (std::system("ip link add dlidle-a type veth peer name dlidle-b && ip link set dlidle-a up && "
                    "ip link set dlidle-b up") != 0) {
      GTEST_SKIP() << "cannot create a veth pair here";
    }
  }
  void TearDown() override { std::system("ip link del dlidle-a 2>/dev/null"); }
};

// Records, in order, each packet's capture time and each onIdle's `now`.
class Recorder : public PacketSink {
 public:
  void onPacket(const RawPacket& packet) override {
    std::lock_guard lock(mutex_);
    ++packets_;
    // Captured before a time already declared past: too late.
    if (packet.time < idle_) ++late_;
  }
  void onIdle(core::Timestamp now) override {
    std::lock_guard lock(mutex_);
    ++idles_;
    idle_ = std::max(idle_, now);
  }
  int packets() const {
    std::lock_guard lock(mutex_);
    return packets_;
  }
  int late() const {
    std::lock_guard lock(mutex_);
    return late_;
  }
  int idles() const {
    std::lock_guard lock(mutex_);
    return idles_;
  }

 private:
  mutable std::mutex mutex_;
  core::Timestamp idle_{};
  int packets_ = 0, late_ = 0, idles_ = 0;
};

void checkNoPacketComesAfterItsTimeWasDeclaredPast(LiveOptions options) {
  options.interfaces = {"dlidle-b"};
  options.link_types = {DLT_EN10MB};
  auto source = openLive(options);
  Recorder recorder;
  std::thread capture([&] { source->run(recorder); });

  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* sender = pcap_open_live("dlidle-a", 2048, 0, 1, errbuf);
  ASSERT_NE(sender, nullptr) << errbuf;
  const Peer client{"192.0.2.10", 40000}, resolver{"198.51.100.53", 53};
  Bytes query =
      testing::ethernet(testing::ipUdp(client, resolver, testing::DnsBuilder::query(1, "a.example", 1).build()));
  // Light traffic (capture stays quiet) at an odd pace, so that packets
  // land at every point between two readings and two of the kernel's
  // block timeouts.
  constexpr int kSent = 150;
  for (int i = 0; i < kSent; ++i) {
    ASSERT_EQ(pcap_inject(sender, query.data(), query.size()), static_cast<int>(query.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(7 + i % 5));
  }
  pcap_close(sender);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (recorder.packets() < kSent && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  source->stop();
  capture.join();

  EXPECT_EQ(recorder.packets(), kSent);
  EXPECT_GT(recorder.idles(), 10);
  EXPECT_EQ(recorder.late(), 0) << "packets were handed over after onIdle had said their time was past";
}

TEST_F(LiveSourceTest, QuietReadingsNeverDeclarePastWhatTheKernelStillHolds) {
  LiveOptions options;
  options.quiet_ms = 50;
  options.timeout_ms = 20;  // a wide window: blocks retired up to ~40 ms late
  checkNoPacketComesAfterItsTimeWasDeclaredPast(options);
}

}  // namespace
}  // namespace dnsleak::capture
