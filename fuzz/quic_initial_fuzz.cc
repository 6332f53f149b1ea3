// libFuzzer target: any bytes as a UDP datagram that might be a QUIC
// client Initial (header parsing, header protection, AEAD, frames), and a
// stream of them through the CRYPTO reassembly.

#include <cstddef>
#include <cstdint>
#include <span>

#include "classify/quic_initial.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dnsleak::classify::QuicInitial initial;
  dnsleak::classify::decryptClientInitial(std::span<const std::uint8_t>(data, size), initial);
  static dnsleak::classify::QuicHellos hellos({/*max_connections=*/8, std::chrono::seconds(30)});
  auto client = *dnsleak::core::IpAddress::parse("192.0.2.1");
  auto server = *dnsleak::core::IpAddress::parse("198.51.100.1");
  const auto* hello = hellos.add(std::span<const std::uint8_t>(data, size), client, size % 4, server, 853,
                                 dnsleak::core::Timestamp(std::chrono::seconds(1)));
  if (hello && hello->alpn.size() > 16) __builtin_trap();
  if (hellos.connections() > 8) __builtin_trap();
  return 0;
}
