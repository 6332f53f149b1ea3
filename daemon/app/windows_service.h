#pragma once

// The Windows service control manager (SCM): the Windows side of the
// service seam (service_manager.h; systemd on Linux). The daemon runs as a
// service of its own process, as svchost-less services do:
//
//   start       the SCM starts the binary; runWindowsService() connects
//               back to it, reports START_PENDING and runs the daemon
//   ready()     SERVICE_RUNNING, accepting stop, shutdown and paramchange
//   paramchange a reload, as SIGHUP is on Linux (`sc control NAME paramchange`)
//   stop        SERVICE_CONTROL_STOP and _SHUTDOWN: STOP_PENDING, then
//               STOPPED with the daemon's exit code
//   status()    the SCM keeps no status text: it goes to the Event Log
//               (source NAME), as STATUS= goes to systemd
//
// No Windows header here: the seam stays portable to read.

#include <functional>
#include <string>
#include <vector>

#include "app/service_manager.h"

namespace dnsleak::app {

// What the SCM may ask of the running daemon; called on the SCM's control
// thread, so each must only signal the main loop and return.
struct ServiceRequests {
  std::function<void()> stop;    // stop or shutdown
  std::function<void()> reload;  // paramchange
};

// The daemon's body: given the manager to report to and the requests to
// fill in (before it reports ready), returns the exit code.
using ServiceBody = std::function<int(ServiceManager&, ServiceRequests&)>;

// Runs `body` as the service `name` when the SCM started this process.
// Returns false at once, running nothing, when it did not (the process was
// started from a console): then `error` says so. On true, `exit_code` is
// the body's.
bool runWindowsService(const std::string& name, const ServiceBody& body, int& exit_code, std::string& error);

struct ServiceInstall {
  std::string name;          // the service's key name, "dnsleakd"
  std::string display_name;  // as services.msc shows it
  std::string description;
  std::string command_line;  // the binary, quoted, and its arguments
  bool start_at_boot = true;
  // Started after the Npcap driver's service, which capture needs.
  bool depends_on_npcap = true;
  // Restarted this long after it fails (exits non-zero or crashes), as
  // systemd's Restart=on-failure; 0: not restarted.
  unsigned restart_after_ms = 5000;
};

// Installs the service (CreateService, then its description and failure
// actions) and registers it as an Event Log source. On false `error` is one
// sentence; `notes` gets what was installed without (failure actions on a
// system that refuses them).
bool installWindowsService(const ServiceInstall& install, std::string& error, std::vector<std::string>& notes);

// Stops the service if it runs, then deletes it and its Event Log source.
bool uninstallWindowsService(const std::string& name, std::string& error);

// Writes one message to the Event Log under source `name`: level is
// "error", "warn" or anything else for information. False when the log
// cannot be written.
bool reportToEventLog(const std::string& name, const std::string& level, const std::string& text);

}  // namespace dnsleak::app
