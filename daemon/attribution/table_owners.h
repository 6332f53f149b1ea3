#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attribution/flow_owner.h"

namespace dnsleak::attribution {

// A platform's table of sockets and their owning pids, as Windows gives it
// (GetExtendedTcpTable / GetExtendedUdpTable): a UDP row has no remote end.
struct OwnerRow {
  core::Endpoint local;
  core::Endpoint remote;  // TCP only
  std::uint32_t pid = 0;
};

class OwnerTables {
 public:
  virtual ~OwnerTables() = default;
  // The rows of one protocol and family, read now; nothing when the
  // platform refused.
  virtual std::optional<std::vector<OwnerRow>> rows(std::uint8_t ip_protocol, bool v6) = 0;
  // The process by pid: name, exe, user and parent where the platform
  // gives them; nothing when it has exited or cannot be opened.
  virtual std::optional<core::ProcessInfo> process(std::uint32_t pid) = 0;
};

// A FlowOwnerProvider over such tables: TCP by both ends, UDP by the local
// port (and address, or the wildcard), as the sockets are bound. Medium
// confidence for TCP (the table is read after the packet was sent), low
// for UDP (the local port alone).
class TableFlowOwners : public FlowOwnerProvider {
 public:
  TableFlowOwners(std::unique_ptr<OwnerTables> tables, std::string method)
      : tables_(std::move(tables)), method_(std::move(method)) {}
  FlowOwner lookup(const FlowQuery& query) override;
  ProviderStatus status() const override { return {"not available on this platform", 0, 0}; }

 private:
  std::unique_ptr<OwnerTables> tables_;
  std::string method_;
};

}  // namespace dnsleak::attribution
