#pragma once

#include <string>

namespace dnsleak::app {

// Sends the daemon's log to the systemd journal when `journal` (native
// entries with PRIORITY and SYSLOG_IDENTIFIER=dnsleakd), else to stderr
// with a timestamp and level for a person reading a terminal.
void setUpLogging(const std::string& level, bool journal);

}  // namespace dnsleak::app
