#include <systemd/sd-daemon.h>

#include "app/service_manager.h"

namespace dnsleak::app {
namespace {

class SystemdServiceManager : public ServiceManager {
 public:
  SystemdServiceManager() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) interval_ = std::chrono::microseconds(usec);
  }
  void ready(const std::string& status) override { sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }
  void reloading() override { sd_notify(0, "RELOADING=1"); }
  void stopping() override { sd_notify(0, "STOPPING=1"); }
  void status(const std::string& status) override { sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }
  void watchdog() override { sd_notify(0, "WATCHDOG=1"); }
  std::chrono::microseconds watchdogInterval() const override { return interval_; }

 private:
  std::chrono::microseconds interval_{0};
};

}  // namespace

std::unique_ptr<ServiceManager> makeServiceManager() { return std::make_unique<SystemdServiceManager>(); }

}  // namespace dnsleak::app
