#include "attribution/procnet.h"

#include <netinet/in.h>

#include <cstring>
#include <fstream>
#include <string>

namespace dnsleak::attribution {
namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "0100007F:0035": the address's 32-bit words as the kernel stores them,
// each printed as a host-order number, then the port.
std::optional<core::Endpoint> parseEndpoint(std::string_view text, bool v6) {
  const std::size_t words = v6 ? 4 : 1;
  if (text.size() != words * 8 + 5 || text[words * 8] != ':') return std::nullopt;
  std::uint8_t bytes[16] = {};
  for (std::size_t w = 0; w < words; ++w) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      int d = hexDigit(text[w * 8 + i]);
      if (d < 0) return std::nullopt;
      value = value << 4 | static_cast<std::uint32_t>(d);
    }
    std::memcpy(bytes + w * 4, &value, 4);  // back to the kernel's (host) byte order
  }
  std::uint32_t port = 0;
  for (std::size_t i = words * 8 + 1; i < text.size(); ++i) {
    int d = hexDigit(text[i]);
    if (d < 0) return std::nullopt;
    port = port << 4 | static_cast<std::uint32_t>(d);
  }
  core::Endpoint out;
  out.address = v6 ? core::IpAddress::v6(bytes) : core::IpAddress::v4(bytes);
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

std::string_view nextField(std::string_view& line) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  std::size_t end = line.find(' ');
  std::string_view field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return field;
}

}  // namespace

std::optional<ProcNetRow> parseProcNetLine(std::string_view line, bool v6) {
  // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
  std::string_view fields[10];
  for (auto& f : fields) f = nextField(line);
  if (fields[0].empty() || fields[0].back() != ':') return std::nullopt;  // the header
  auto local = parseEndpoint(fields[1], v6);
  auto remote = parseEndpoint(fields[2], v6);
  if (!local || !remote || fields[9].empty()) return std::nullopt;
  ProcNetRow row;
  row.local = *local;
  row.remote = *remote;
  row.uid = static_cast<std::uint32_t>(std::strtoul(std::string(fields[7]).c_str(), nullptr, 10));
  row.inode = std::strtoull(std::string(fields[9]).c_str(), nullptr, 10);
  return row;
}

std::optional<SocketIdentity> findSocketInProcNet(const std::string& root, std::uint8_t ip_protocol,
                                                  const core::Endpoint& local, const core::Endpoint& remote) {
  const bool v6 = local.address.isV6();
  const bool udp = ip_protocol == IPPROTO_UDP;
  std::ifstream in(root + "/net/" + (udp ? "udp" : "tcp") + (v6 ? "6" : ""));
  if (!in) return std::nullopt;
  std::optional<SocketIdentity> loose;  // an unconnected or wildcard-bound UDP socket
  std::string line;
  while (std::getline(in, line)) {
    auto row = parseProcNetLine(line, v6);
    if (!row || row->inode == 0 || row->local.port != local.port) continue;
    if (row->local.address == local.address && row->remote == remote) {
      return SocketIdentity{row->inode, row->uid, false};
    }
    if (udp && !loose && (row->local.address == local.address || row->local.address.isUnspecified()) &&
        (row->remote.port == 0 || row->remote == remote)) {
      loose = SocketIdentity{row->inode, row->uid, true};
    }
  }
  return loose;
}

}  // namespace dnsleak::attribution
