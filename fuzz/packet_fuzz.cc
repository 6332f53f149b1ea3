// libFuzzer target: a sequence of frames through decode and classify, so
// TCP reassembly sees state carried from one packet to the next. Input:
// [link type selector][len hi][len lo][frame]... repeated.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "classify/classifier.h"
#include "decode/decoder.h"
#include "decode/fragments.h"

namespace {

class CountingSink : public dnsleak::classify::ObservationSink {
 public:
  void onObservation(dnsleak::core::Event& event) override {
    if (event.dns.qname.size() > 4 * 255) __builtin_trap();
    ++observations;
  }
  std::size_t observations = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<int> link_types = dnsleak::decode::supportedLinkTypes();
  static const dnsleak::core::ResolverList* resolvers = [] {
    auto* list = new dnsleak::core::ResolverList;  // lives for the process
    list->addHost("dns.example.net");
    list->addAddress(*dnsleak::core::IpAddress::parse("198.51.100.99"));
    return list;
  }();
  constexpr std::size_t kBudget = 4096;
  dnsleak::classify::Classifier classifier({/*max_flows=*/16, std::chrono::seconds(60), kBudget});
  dnsleak::decode::FragmentReassembler fragments({/*max_datagrams=*/8, /*max_bytes=*/16384, std::chrono::seconds(30)});
  CountingSink sink;
  std::int64_t t = 0;
  while (size >= 3) {
    int link_type = link_types[data[0] % link_types.size()];
    std::size_t length = static_cast<std::size_t>(data[1]) << 8 | data[2];
    data += 3;
    size -= 3;
    if (length > size) length = size;
    dnsleak::decode::DecodedPacket packet;
    packet.time = dnsleak::core::Timestamp(std::chrono::seconds(t++));
    auto status = dnsleak::decode::decodeFrame(link_type, std::span<const std::uint8_t>(data, length), packet);
    if (status == dnsleak::decode::DecodeStatus::kIgnoredFragment && !packet.ip_packet.empty()) {
      auto whole = fragments.add(packet.ip_packet, packet.time);
      if (fragments.bufferedBytes() > 16384 || fragments.datagrams() > 8) __builtin_trap();
      if (!whole.empty()) {
        dnsleak::decode::DecodedPacket rebuilt;
        rebuilt.time = packet.time;
        if (dnsleak::decode::decodeIp(whole, rebuilt) == dnsleak::decode::DecodeStatus::kOk) {
          classifier.classify(rebuilt, sink, resolvers);
        }
      }
    } else if (status == dnsleak::decode::DecodeStatus::kOk) {
      if (packet.payload.data() < data || packet.payload.data() + packet.payload.size() > data + length) {
        __builtin_trap();  // the payload must lie inside the frame
      }
      classifier.classify(packet, sink, resolvers);
      if (classifier.tcpStreams().bufferedBytes() > kBudget) __builtin_trap();
      if (classifier.tcpStreams().flowCount() > 16) __builtin_trap();
    }
    data += length;
    size -= length;
  }
  return 0;
}
