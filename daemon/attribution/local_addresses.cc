#include "attribution/local_addresses.h"

#include <algorithm>

namespace dnsleak::attribution {

LocalAddresses::LocalAddresses(Source source, Changed changed, std::chrono::milliseconds min_check, Clock clock)
    : source_(std::move(source)), changed_(std::move(changed)), min_check_(min_check), clock_(std::move(clock)) {}

void LocalAddresses::read() {
  sorted_ = source_();
  std::sort(sorted_.begin(), sorted_.end());
  read_ = true;
  ++reads_;
}

bool LocalAddresses::holds(const core::IpAddress& address) {
  if (address.isLoopback()) return true;
  if (!read_) {
    changed_();  // what was said before the first read is in it
    read();
  }
  if (std::binary_search(sorted_.begin(), sorted_.end(), address)) return true;
  const auto now = clock_();
  if (now - checked_at_ < min_check_) return false;
  checked_at_ = now;
  if (!changed_()) return false;
  read();
  return std::binary_search(sorted_.begin(), sorted_.end(), address);
}

}  // namespace dnsleak::attribution
