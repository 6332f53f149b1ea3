// libFuzzer target: TCP reassembly. One connection's segments in any order,
// with any sequence numbers and flags, fed to the three stream followers
// (DNS over TCP framing, TLS ClientHello gathering, cleartext HTTP), which
// must stay within their bounds and never read outside what they hold.
// Input: [flags][seq delta: 2 bytes][len][payload]... repeated; bit 0x80 of
// flags sends the segment from the server.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "classify/http_dns.h"
#include "classify/tcp_dns_streams.h"
#include "classify/tls_flows.h"
#include "core/ip_address.h"

namespace {

using namespace dnsleak;

struct Sink : classify::TcpDnsStreams::MessageHandler, classify::TlsFlows::Handler, classify::HttpDnsFlows::Handler {
  void check(std::span<const std::uint8_t> message) {
    // Touch every byte: ASan catches a span that outlived its buffer.
    volatile std::uint8_t sum = 0;
    for (auto b : message) sum = static_cast<std::uint8_t>(sum + b);
    if (message.size() > 65535) __builtin_trap();
  }
  void onTcpDnsMessage(const decode::DecodedPacket&, std::span<const std::uint8_t> message) override { check(message); }
  void onTlsFlow(const decode::DecodedPacket&, const classify::TlsFlows::Report& report) override {
    if (report.hello && report.hello->sni.size() > 4 * 255) __builtin_trap();
  }
  void onHttpDnsMessage(const decode::DecodedPacket&, std::span<const std::uint8_t> message, bool) override {
    check(message);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const core::IpAddress client = *core::IpAddress::parse("192.0.2.1");
  static const core::IpAddress server = *core::IpAddress::parse("198.51.100.1");
  constexpr std::size_t kBudget = 8192;
  classify::TcpDnsStreams dns({/*max_flows=*/4, std::chrono::seconds(60), kBudget});
  classify::TlsFlows tls({/*max_flows=*/4, kBudget, std::chrono::seconds(300), std::chrono::seconds(30)});
  classify::HttpDnsFlows http({/*max_connections=*/4, /*max_buffered_per_direction=*/kBudget, std::chrono::seconds(60)});
  Sink sink;
  std::uint32_t seq[2] = {1000, 5000};
  std::int64_t t = 0;
  while (size >= 4) {
    std::uint8_t flags = data[0];
    int dir = flags >> 7;
    auto delta = static_cast<std::int16_t>(data[1] << 8 | data[2]);
    std::size_t length = data[3];
    data += 4;
    size -= 4;
    if (length > size) length = size;
    decode::DecodedPacket p;
    p.time = core::Timestamp(std::chrono::milliseconds(t++));
    p.ip_version = 4;
    p.ip_protocol = 6;
    p.src = dir ? server : client;
    p.dst = dir ? client : server;
    p.src_port = dir ? 53 : 40000;
    p.dst_port = dir ? 40000 : 53;
    seq[dir] += static_cast<std::uint32_t>(static_cast<std::int32_t>(delta));
    p.tcp_seq = seq[dir];
    p.tcp_flags = flags & 0x1f;
    p.payload = std::span<const std::uint8_t>(data, length);
    dns.addSegment(p, sink);
    // The same bytes as a TLS port's and an HTTP port's.
    p.src_port = dir ? 853 : 40000;
    p.dst_port = dir ? 40000 : 853;
    tls.addSegment(p, 853, sink);
    p.src_port = dir ? 80 : 40000;
    p.dst_port = dir ? 40000 : 80;
    http.addSegment(p, sink);
    seq[dir] += static_cast<std::uint32_t>(length);
    data += length;
    size -= length;
    if (dns.bufferedBytes() > kBudget || tls.bufferedBytes() > kBudget) __builtin_trap();
    if (dns.flowCount() > 4 || tls.flowCount() > 4 || http.connectionCount() > 4) __builtin_trap();
  }
  return 0;
}
