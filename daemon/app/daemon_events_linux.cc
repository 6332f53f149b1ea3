// The main loop's wake-ups on Linux: a signalfd for SIGTERM, SIGINT and
// SIGHUP, an eventfd for everything else.

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "app/daemon_events.h"

namespace dnsleak::app {
namespace {

class LinuxDaemonEvents : public DaemonEvents {
 public:
  LinuxDaemonEvents() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    signal(SIGPIPE, SIG_IGN);
    signal_fd_ = signalfd(-1, &signals_, SFD_CLOEXEC | SFD_NONBLOCK);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  ~LinuxDaemonEvents() override {
    if (signal_fd_ >= 0) close(signal_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  DaemonEvent wait(std::chrono::milliseconds timeout) override {
    if (auto queued = take()) return *queued;
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return {};
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd_, &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) return {DaemonEvent::Kind::kReload, "SIGHUP"};
        return {DaemonEvent::Kind::kStop, info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT"};
      }
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t value = 0;
      [[maybe_unused]] auto n = read(wake_fd_, &value, sizeof value);
    }
    return take().value_or(DaemonEvent{});
  }

  void captureEnded() override { push({DaemonEvent::Kind::kCaptureEnded, "capture"}); }
  void requestStop(const std::string& source) override { push({DaemonEvent::Kind::kStop, source}); }
  void requestReload(const std::string& source) override { push({DaemonEvent::Kind::kReload, source}); }

 private:
  void push(DaemonEvent e) {
    {
      std::lock_guard lock(mutex_);
      queued_.push_back(std::move(e));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof one);
  }
  std::optional<DaemonEvent> take() {
    std::lock_guard lock(mutex_);
    if (queued_.empty()) return std::nullopt;
    DaemonEvent e = std::move(queued_.front());
    queued_.pop_front();
    return e;
  }

  sigset_t signals_{};
  int signal_fd_ = -1;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::deque<DaemonEvent> queued_;  // guarded by mutex_
};

}  // namespace

std::unique_ptr<DaemonEvents> makeDaemonEvents() { return std::make_unique<LinuxDaemonEvents>(); }

}  // namespace dnsleak::app
