// What wakes the daemon's main loop (app/daemon_events.h), the same on
// every platform: requests from other threads in order, the capture
// thread's end, and a timeout. Run on Linux and under Wine.

#include "app/daemon_events.h"

#include <gtest/gtest.h>

#include <thread>

namespace dnsleak::app {
namespace {

using namespace std::chrono_literals;
using Kind = DaemonEvent::Kind;

TEST(DaemonEvents, NothingAskedIsATimeout) {
  auto events = makeDaemonEvents();
  auto before = std::chrono::steady_clock::now();
  DaemonEvent e = events->wait(50ms);
  EXPECT_EQ(e.kind, Kind::kNone);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 40ms);
}

TEST(DaemonEvents, RequestsFromOtherThreadsArriveInOrderWithTheirSource) {
  auto events = makeDaemonEvents();
  std::thread other([&] {
    events->requestReload("the service control manager");
    events->captureEnded();
    events->requestStop("the service control manager");
  });
  other.join();
  DaemonEvent first = events->wait(5s), second = events->wait(5s), third = events->wait(5s);
  EXPECT_EQ(first.kind, Kind::kReload);
  EXPECT_EQ(first.source, "the service control manager");
  EXPECT_EQ(second.kind, Kind::kCaptureEnded);
  EXPECT_EQ(third.kind, Kind::kStop);
  EXPECT_EQ(events->wait(10ms).kind, Kind::kNone);
}

TEST(DaemonEvents, AWaitingLoopIsWokenAtOnce) {
  auto events = makeDaemonEvents();
  std::thread other([&] {
    std::this_thread::sleep_for(100ms);
    events->captureEnded();
  });
  auto before = std::chrono::steady_clock::now();
  DaemonEvent e = events->wait(30s);
  other.join();
  EXPECT_EQ(e.kind, Kind::kCaptureEnded);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
}

}  // namespace
}  // namespace dnsleak::app
