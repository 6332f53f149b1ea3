// On Windows a console's Ctrl+Break (and Ctrl+C) stops the daemon
// (app/daemon_events_windows.cc).

#include <windows.h>

#include <gtest/gtest.h>

#include "app/daemon_events.h"

namespace dnsleak::app {
namespace {

using namespace std::chrono_literals;

TEST(DaemonEventsWindows, CtrlBreakStopsTheDaemon) {
  auto events = makeDaemonEvents();
  // To this process group, through a console: the test's own, or one made
  // for it when it runs without (as under ctest).
  if (!GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, 0) &&
      !(AllocConsole() && GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, 0))) {
    GTEST_SKIP() << "no console to send Ctrl+Break through (error " << GetLastError() << ")";
  }
  DaemonEvent e = events->wait(10s);
  EXPECT_EQ(e.kind, DaemonEvent::Kind::kStop);
  EXPECT_EQ(e.source, "Ctrl+Break");
}

}  // namespace
}  // namespace dnsleak::app
