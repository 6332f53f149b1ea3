#pragma once

#include <string>

#include "core/event.h"

namespace dnsleak::app {

// One human-readable line for an observation, as `dnsleakd --read` prints it.
std::string formatEventLine(const core::Event& event);
std::string formatTime(core::Timestamp t);  // RFC 3339 UTC with microseconds
// "0.4ms", "12ms": a DNS response time.
std::string formatResponseTime(std::chrono::nanoseconds t);

}  // namespace dnsleak::app
