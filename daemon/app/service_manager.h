#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace dnsleak::app {

// The host's service manager: systemd on Linux. Every call is a no-op when
// the daemon was not started by one.
class ServiceManager {
 public:
  virtual ~ServiceManager() = default;
  virtual void ready(const std::string& status) = 0;
  virtual void reloading() = 0;
  virtual void stopping() = 0;
  virtual void status(const std::string& status) = 0;
  virtual void watchdog() = 0;
  // How often watchdog() must be called; zero when no watchdog is set.
  virtual std::chrono::microseconds watchdogInterval() const = 0;
};

// The implementation for this platform, chosen here and nowhere else.
std::unique_ptr<ServiceManager> makeServiceManager();

}  // namespace dnsleak::app
