// On Linux the main loop's stop and reload are SIGTERM, SIGINT and SIGHUP
// (app/daemon_events_linux.cc), read through a signalfd.

#include <signal.h>

#include <gtest/gtest.h>

#include "app/daemon_events.h"

namespace dnsleak::app {
namespace {

using namespace std::chrono_literals;
using Kind = DaemonEvent::Kind;

TEST(DaemonEventsLinux, SignalsAreStopAndReloadByName) {
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  {
    auto events = makeDaemonEvents();
    // Blocked now, so raised they wait for the signalfd instead of ending the test.
    raise(SIGHUP);
    DaemonEvent e = events->wait(5s);
    EXPECT_EQ(e.kind, Kind::kReload);
    EXPECT_EQ(e.source, "SIGHUP");
    raise(SIGTERM);
    e = events->wait(5s);
    EXPECT_EQ(e.kind, Kind::kStop);
    EXPECT_EQ(e.source, "SIGTERM");
    raise(SIGINT);
    e = events->wait(5s);
    EXPECT_EQ(e.kind, Kind::kStop);
    EXPECT_EQ(e.source, "SIGINT");
    // A request and a signal both waiting: neither is lost.
    events->requestReload("the API");
    raise(SIGTERM);
    DaemonEvent a = events->wait(5s), b = events->wait(5s);
    EXPECT_EQ(a.kind, Kind::kReload);
    EXPECT_EQ(a.source, "the API");
    EXPECT_EQ(b.kind, Kind::kStop);
    EXPECT_EQ(events->wait(10ms).kind, Kind::kNone);
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

}  // namespace
}  // namespace dnsleak::app
