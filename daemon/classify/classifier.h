#pragma once

#include <cstdint>
#include <span>

#include "classify/dns_parser.h"
#include "classify/tcp_dns_streams.h"
#include "core/counter.h"
#include "core/event.h"
#include "decode/packet.h"

namespace dnsleak::classify {

// Receives each observation. The event is the classifier's reused working
// object: valid only during the call; copy what must outlive it.
class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  virtual void onObservation(core::Event& event) = 0;
};

inline constexpr std::uint16_t kDnsPort = 53;

// Turns decoded packets into observations: one per DNS message on UDP/53 and
// TCP/53. Owned by the capture thread; its counters may be read anywhere.
class Classifier : private TcpDnsStreams::MessageHandler {
 public:
  explicit Classifier(TcpStreamLimits tcp_limits = {});

  void classify(const decode::DecodedPacket& packet, ObservationSink& sink);

  const core::EnumCounters<DnsParseStatus, kDnsParseStatusCount>& dnsCounters() const { return dns_counters_; }
  const TcpDnsStreams& tcpStreams() const { return tcp_; }

 private:
  void onTcpDnsMessage(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message) override;
  void observeDns(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message,
                  core::Transport transport);

  TcpDnsStreams tcp_;
  core::Event event_;              // reused for every observation
  ObservationSink* sink_ = nullptr;  // set for the duration of classify()
  core::EnumCounters<DnsParseStatus, kDnsParseStatusCount> dns_counters_;
};

}  // namespace dnsleak::classify
