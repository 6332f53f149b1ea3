#pragma once

#include <chrono>

#include "core/event.h"

namespace dnsleak::app {

inline core::Timestamp wallNow() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

}  // namespace dnsleak::app
