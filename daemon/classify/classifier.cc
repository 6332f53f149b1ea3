#include "classify/classifier.h"

#include <netinet/in.h>

namespace dnsleak::classify {

Classifier::Classifier(TcpStreamLimits tcp_limits) : tcp_(tcp_limits) {}

void Classifier::classify(const decode::DecodedPacket& packet, ObservationSink& sink) {
  if (packet.src_port != kDnsPort && packet.dst_port != kDnsPort) return;
  sink_ = &sink;
  if (packet.ip_protocol == IPPROTO_UDP) {
    observeDns(packet, packet.payload, core::Transport::kDnsUdp);
  } else if (packet.ip_protocol == IPPROTO_TCP) {
    tcp_.addSegment(packet, *this);
  }
  sink_ = nullptr;
}

void Classifier::onTcpDnsMessage(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message) {
  observeDns(packet, message, core::Transport::kDnsTcp);
}

void Classifier::observeDns(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message,
                            core::Transport transport) {
  DnsParseStatus records_error = DnsParseStatus::kOk;
  DnsParseStatus status = parseDnsMessage(message, event_.dns, records_error);
  dns_counters_.add(status);
  if (status != DnsParseStatus::kOk) return;
  if (records_error != DnsParseStatus::kOk) {
    dns_counters_.add(records_error);
    event_.dns.parse_error = dnsParseStatusName(records_error);
  } else {
    event_.dns.parse_error.clear();
  }

  core::Event& e = event_;
  e.seq = 0;
  e.time = packet.time;
  e.first_seen = packet.time;
  e.last_seen = packet.time;
  e.count = 1;
  e.transport = transport;
  e.kind = e.dns.is_response ? core::MessageKind::kResponse : core::MessageKind::kQuery;
  // Port 53 and a message that parses whole: both the port and the content agree.
  e.recognition = core::RecognitionMethod::kPort;
  e.recognition_confidence = core::Confidence::kHigh;
  e.source = {packet.src, packet.src_port};
  e.destination = {packet.dst, packet.dst_port};
  // The resolver is the port-53 end; for a query from 53 to 53 (server to
  // server) the query's destination is.
  bool server_is_destination = e.dns.is_response ? packet.src_port != kDnsPort : packet.dst_port == kDnsPort;
  e.resolver = server_is_destination ? e.destination : e.source;
  e.ip_version = packet.ip_version;
  e.ip_protocol = packet.ip_protocol;
  e.interface.index = packet.ifindex;
  e.interface.name.clear();
  e.interface.kind.clear();
  e.direction = packet.direction;
  e.tunnel.clear();
  e.sni.clear();
  e.alpn.clear();
  e.verdict = core::Verdict::kUnspecified;
  e.leak_type = core::LeakType::kNone;
  e.profile.clear();
  e.rule.clear();
  e.reason.clear();
  e.remediation.clear();
  e.process = {};
  e.attribution = {};
  sink_->onObservation(e);
}

}  // namespace dnsleak::classify
