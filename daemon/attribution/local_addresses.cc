#include "attribution/local_addresses.h"

#include <algorithm>

namespace dnsleak::attribution {

LocalAddresses::LocalAddresses(Source source, std::chrono::milliseconds min_refresh, Clock clock)
    : source_(std::move(source)), min_refresh_(min_refresh), clock_(std::move(clock)) {}

void LocalAddresses::refresh(std::chrono::steady_clock::time_point now) {
  sorted_ = source_();
  std::sort(sorted_.begin(), sorted_.end());
  read_at_ = now;
  read_ = true;
  ++refreshes_;
}

bool LocalAddresses::holds(const core::IpAddress& address) {
  if (address.isLoopback()) return true;
  if (!read_) refresh(clock_());
  if (std::binary_search(sorted_.begin(), sorted_.end(), address)) return true;
  const auto now = clock_();
  if (now - read_at_ < min_refresh_) return false;
  refresh(now);
  return std::binary_search(sorted_.begin(), sorted_.end(), address);
}

}  // namespace dnsleak::attribution
