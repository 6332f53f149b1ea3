#pragma once

#include <string>

namespace dnsleak::app {

// Sends the daemon's log to stderr. Under systemd (JOURNAL_STREAM is set)
// each line starts with its syslog priority, "<3>" for errors and so on,
// which journald turns into the entry's priority; elsewhere lines carry a
// timestamp and level for a person reading a terminal.
void setUpLogging(const std::string& level);

}  // namespace dnsleak::app
