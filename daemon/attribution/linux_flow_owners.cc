// The Linux FlowOwnerProvider: the socket from the kernel's socket
// diagnostics, its holder from /proc. A socket found after the packet was
// sent is "medium" confidence (the process could have handed it on).

#include <unistd.h>

#include "attribution/flow_owner.h"
#include "attribution/procfs.h"
#include "attribution/sock_diag.h"

namespace dnsleak::attribution {
namespace {

class LinuxFlowOwners : public FlowOwnerProvider {
 public:
  FlowOwner lookup(const FlowQuery& q) override {
    FlowOwner out;
    out.attribution.method = "sock_diag";
    out.attribution.confidence = core::Confidence::kNone;
    auto socket = findSocket(q.ip_protocol, q.local, q.remote);
    if (!socket) {
      out.attribution.failure = core::AttributionFailure::kNotFound;
      out.attribution.detail = "no socket holds this flow now (closed, or another network namespace's)";
      return out;
    }
    out.process.uid = socket->uid;
    auto pid = procfs_.socketOwner(socket->inode);
    if (!pid) {
      // Without the right to read other processes' fds, only our own are found.
      bool privileged = geteuid() == 0;
      out.attribution.failure =
          privileged ? core::AttributionFailure::kExited : core::AttributionFailure::kPermissionDenied;
      out.attribution.detail = privileged ? "the socket's holder is gone" : "cannot read other processes' fds";
      return out;
    }
    auto process = procfs_.process(*pid);
    if (!process) {
      out.attribution.failure = core::AttributionFailure::kExited;
      out.attribution.detail = "the process exited while it was looked up";
      return out;
    }
    out.process = std::move(*process);
    out.attribution.method = "sock_diag+procfs";
    out.attribution.confidence = core::Confidence::kMedium;
    out.attribution.failure = core::AttributionFailure::kNone;
    return out;
  }

 private:
  ProcFs procfs_;
};

}  // namespace

std::unique_ptr<FlowOwnerProvider> makeFlowOwnerProvider() { return std::make_unique<LinuxFlowOwners>(); }

}  // namespace dnsleak::attribution
