#pragma once

// What wakes the daemon's main loop, one file per platform:
// daemon_events_linux.cc (SIGTERM, SIGINT and SIGHUP through a signalfd,
// an eventfd for the capture thread) and daemon_events_windows.cc (Ctrl+C
// and Ctrl+Break, the service control manager's stop and paramchange, an
// event for the capture thread). CMake chooses the file.

#include <chrono>
#include <memory>
#include <string>

namespace dnsleak::app {

struct DaemonEvent {
  enum class Kind { kNone, kStop, kReload, kCaptureEnded };
  Kind kind = Kind::kNone;
  std::string source;  // what asked: "SIGTERM", "SIGHUP", "Ctrl+C", "the service control manager"
};

class DaemonEvents {
 public:
  virtual ~DaemonEvents() = default;
  // Waits until something happens or `timeout` passes (then kind kNone).
  // Main loop only.
  virtual DaemonEvent wait(std::chrono::milliseconds timeout) = 0;
  // Any thread: the capture thread has returned.
  virtual void captureEnded() = 0;
  // Any thread: a stop or reload asked by something other than a signal
  // (the SCM on Windows), said as `source`.
  virtual void requestStop(const std::string& source) = 0;
  virtual void requestReload(const std::string& source) = 0;
};

// Made before any other thread starts: on Linux the signals are blocked
// here, so that every thread inherits the mask and only wait() sees them.
std::unique_ptr<DaemonEvents> makeDaemonEvents();

}  // namespace dnsleak::app
