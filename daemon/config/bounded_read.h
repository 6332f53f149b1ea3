#pragma once

// What readBoundedFile does the same on every platform
// (bounded_file_posix.cc, bounded_file_windows.cc): reading a file that may
// grow while it is read, up to one byte past its bound.

#include <algorithm>
#include <cstddef>
#include <string>

#include "config/config.h"

namespace dnsleak::config {

inline ReadOutcome tooLargeOutcome(std::size_t max_bytes) {
  return ReadOutcome{false, "larger than the " + std::to_string(max_bytes >> 20) + " MiB allowed"};
}

// Fills `out`, sized to the file's size at open, by calls of `read(data,
// room)` (bytes read, 0 at the end, negative on an error, when `error()`
// says why), growing it while the file grows. `out` is empty unless ok.
template <typename Read, typename Error>
ReadOutcome readGrowing(std::string& out, std::size_t max_bytes, Read read, Error error) {
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      if (out.size() > max_bytes) break;  // one byte past the limit is enough to know
      out.resize(std::min(max_bytes + 1, std::max<std::size_t>(out.size() * 2, 4096)));
    }
    long long n = read(out.data() + got, out.size() - got);
    if (n < 0) {
      out.clear();
      return {false, error()};
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) {
    out.clear();
    return tooLargeOutcome(max_bytes);
  }
  out.resize(got);
  return {true, {}};
}

}  // namespace dnsleak::config
