#pragma once

#include <cstdint>
#include <memory>

#include "core/event.h"

namespace dnsleak::attribution {

// A flow of this host's, by its two ends: `local` is this host's.
struct FlowQuery {
  std::uint8_t ip_protocol = 0;  // IPPROTO_UDP or IPPROTO_TCP
  core::Endpoint local;
  core::Endpoint remote;
};

// Who owns a flow: the process, and how it was found (method and
// confidence) or why it was not (failure).
struct FlowOwner {
  core::ProcessInfo process;
  core::AttributionInfo attribution;
};

// The seam between the pipeline and the platform: one implementation per
// platform, chosen by makeFlowOwnerProvider(). lookup() may block on the
// kernel and on /proc: it runs on the attribution worker, never on the
// capture thread. Not thread-safe.
class FlowOwnerProvider {
 public:
  virtual ~FlowOwnerProvider() = default;
  virtual FlowOwner lookup(const FlowQuery& query) = 0;
};

// Linux: socket diagnostics (NETLINK_SOCK_DIAG) for the socket's inode and
// uid, then /proc for the process holding it.
std::unique_ptr<FlowOwnerProvider> makeFlowOwnerProvider();

}  // namespace dnsleak::attribution
