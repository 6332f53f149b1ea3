#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/event.h"

namespace dnsleak::attribution {

// A flow of this host's, by its two ends: `local` is this host's.
struct FlowQuery {
  std::uint8_t ip_protocol = 0;  // IPPROTO_UDP or IPPROTO_TCP
  core::Endpoint local;
  core::Endpoint remote;

  bool operator==(const FlowQuery& o) const {
    return ip_protocol == o.ip_protocol && local == o.local && remote == o.remote;
  }
};

struct FlowQueryHash {
  std::size_t operator()(const FlowQuery& q) const noexcept {
    core::IpAddressHash h;
    return h(q.local.address) * 31 + h(q.remote.address) * 17 +
           (static_cast<std::size_t>(q.local.port) << 24 ^ static_cast<std::size_t>(q.remote.port) << 8 ^ q.ip_protocol);
  }
};

// Who owns a flow: the process, and how it was found (method and
// confidence) or why it was not (failure).
struct FlowOwner {
  core::ProcessInfo process;
  core::AttributionInfo attribution;
  // The socket it was found by (eBPF: its cookie; sock_diag: its inode),
  // 0 when none: a later socket on the same ends is another flow.
  std::uint64_t socket = 0;
};

// Whether a remembered owner still holds a flow's ends.
enum class Freshness { kSame, kChanged, kUnknown };

// What a provider can say about itself, for status. Read from any thread.
struct ProviderStatus {
  std::string ebpf;  // "loaded", or why not
  std::uint64_t ebpf_flows = 0;
  std::uint64_t ebpf_lost = 0;
};

// The seam between the pipeline and the platform: one implementation per
// platform, chosen by makeFlowOwnerProvider(). lookup() and poll() may
// block on the kernel and on /proc: they run on the attribution worker,
// never on the capture thread, and only there. status() is thread-safe.
class FlowOwnerProvider {
 public:
  virtual ~FlowOwnerProvider() = default;
  virtual FlowOwner lookup(const FlowQuery& query) = 0;
  // Takes in what the platform reported since the last call (eBPF's ring);
  // true when there was any. Where needsPolling(), the worker calls it when
  // idle too, so reports are read while their processes still live.
  virtual bool poll() { return false; }
  virtual bool needsPolling() const { return false; }
  // Checks a remembered owner against the socket holding the flow's ends
  // now: ephemeral ports are reused, so the same ends can be a new
  // client's. Cheap next to lookup() (no /proc scan).
  virtual Freshness check(const FlowQuery& query, const FlowOwner& remembered) {
    (void)query;
    (void)remembered;
    return Freshness::kUnknown;
  }
  virtual ProviderStatus status() const { return {}; }
  // The owner of a flow this host forwards rather than sends (the query
  // arrived here from a container's network namespace), where the platform
  // can know it; nothing otherwise.
  virtual std::optional<FlowOwner> lookupForwarded(const FlowQuery& query) {
    (void)query;
    return std::nullopt;
  }
  // Whether this host holds an address: a flow whose client end is not
  // this host's is carried, not sent, here (another host's on a shared
  // link, or forwarded) and gets no socket lookup. Where the platform
  // cannot tell, every address is taken as this host's.
  virtual bool holdsAddress(const core::IpAddress& address) {
    (void)address;
    return true;
  }
};

struct ProviderOptions {
  bool ebpf = true;  // try the send-time hooks first where the platform has them
};

// Linux: eBPF send-time records when they load, then socket diagnostics
// (NETLINK_SOCK_DIAG) or /proc/net for the socket, and /proc for the
// process holding it. Windows: the TCP/UDP owner tables. Elsewhere: a
// provider that answers "unsupported".
std::unique_ptr<FlowOwnerProvider> makeFlowOwnerProvider(const ProviderOptions& options = {});

}  // namespace dnsleak::attribution
