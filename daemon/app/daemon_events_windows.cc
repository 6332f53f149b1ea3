// The main loop's wake-ups on Windows: Ctrl+C, Ctrl+Break, the console
// closing and the system shutting down (SetConsoleCtrlHandler, on a thread
// of Windows' own), the service control manager's stop and paramchange
// (app/windows_service.h, on the SCM's thread) and the capture thread, all
// through one queue.

#include <windows.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "app/daemon_events.h"

namespace dnsleak::app {
namespace {

class WindowsDaemonEvents;
std::atomic<WindowsDaemonEvents*> console_target{nullptr};

class WindowsDaemonEvents : public DaemonEvents {
 public:
  WindowsDaemonEvents() {
    console_target.store(this);
    SetConsoleCtrlHandler(onConsole, TRUE);
  }
  ~WindowsDaemonEvents() override {
    SetConsoleCtrlHandler(onConsole, FALSE);
    console_target.store(nullptr);
  }

  DaemonEvent wait(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return !queued_.empty(); })) return {};
    DaemonEvent e = std::move(queued_.front());
    queued_.pop_front();
    return e;
  }
  void captureEnded() override { push({DaemonEvent::Kind::kCaptureEnded, "capture"}); }
  void requestStop(const std::string& source) override { push({DaemonEvent::Kind::kStop, source}); }
  void requestReload(const std::string& source) override { push({DaemonEvent::Kind::kReload, source}); }

 private:
  static BOOL WINAPI onConsole(DWORD type) {
    WindowsDaemonEvents* target = console_target.load();
    if (!target) return FALSE;
    switch (type) {
      case CTRL_C_EVENT: target->requestStop("Ctrl+C"); return TRUE;
      case CTRL_BREAK_EVENT: target->requestStop("Ctrl+Break"); return TRUE;
      case CTRL_CLOSE_EVENT: target->requestStop("the console closing"); return TRUE;
      case CTRL_SHUTDOWN_EVENT: target->requestStop("the system shutting down"); return TRUE;
      default: return FALSE;
    }
  }
  void push(DaemonEvent e) {
    {
      std::lock_guard lock(mutex_);
      queued_.push_back(std::move(e));
    }
    changed_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<DaemonEvent> queued_;  // guarded by mutex_
};

}  // namespace

std::unique_ptr<DaemonEvents> makeDaemonEvents() { return std::make_unique<WindowsDaemonEvents>(); }

}  // namespace dnsleak::app
