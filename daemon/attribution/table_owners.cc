#include "attribution/table_owners.h"

namespace dnsleak::attribution {
namespace {

constexpr std::uint8_t kTcp = 6;

}  // namespace

FlowOwner TableFlowOwners::lookup(const FlowQuery& q) {
  FlowOwner out;
  out.attribution.method = method_;
  out.attribution.confidence = core::Confidence::kNone;
  auto rows = tables_->rows(q.ip_protocol, q.local.address.isV6());
  if (!rows) {
    out.attribution.failure = core::AttributionFailure::kPermissionDenied;
    out.attribution.detail = "the platform refused its socket table";
    return out;
  }
  const OwnerRow* found = nullptr;
  for (const auto& row : *rows) {
    if (row.local.port != q.local.port) continue;
    if (q.ip_protocol == kTcp) {
      if (row.local.address == q.local.address && row.remote == q.remote) {
        found = &row;
        break;
      }
    } else if (row.local.address == q.local.address) {
      found = &row;  // bound to this address: the best UDP match
      break;
    } else if (!found && row.local.address.isUnspecified()) {
      found = &row;
    }
  }
  if (!found) {
    out.attribution.failure = core::AttributionFailure::kNotFound;
    out.attribution.detail = "no socket in the table holds this flow now";
    return out;
  }
  auto process = tables_->process(found->pid);
  if (!process) {
    out.process.pid = out.process.tgid = found->pid;
    out.attribution.failure = core::AttributionFailure::kExited;
    out.attribution.detail = "the socket's process could not be opened (exited, or not ours to read)";
    return out;
  }
  out.process = std::move(*process);
  // A UDP row has no remote end: the match is the local port's alone.
  out.attribution.confidence = q.ip_protocol == kTcp ? core::Confidence::kMedium : core::Confidence::kLow;
  out.attribution.failure = core::AttributionFailure::kNone;
  return out;
}

}  // namespace dnsleak::attribution
