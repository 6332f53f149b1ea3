#pragma once

// What the service test and the service body it installs (main.cc) agree on.

namespace dnsleak::testing {

inline constexpr const char* kTestServiceName = "dnsleak-windows-test";
inline constexpr int kTestServiceExitCode = 3;

}  // namespace dnsleak::testing
