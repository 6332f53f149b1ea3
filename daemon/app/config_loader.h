#pragma once

#include <string>

#include "config/config.h"

namespace dnsleak::app {

// Reads and validates a config file as the daemon runs it (start-up,
// reload, --check-config): the shipped resolver list as the default
// (data_files.h), and each capture.per_interface filter compiled by
// libpcap, which the config stage cannot include.
config::LoadResult loadConfig(const std::string& path);

// The same checks for config text (the built-in defaults are "").
config::LoadResult parseConfig(std::string_view text, const std::string& name);

}  // namespace dnsleak::app
