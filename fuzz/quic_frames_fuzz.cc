// libFuzzer target: QUIC past decryption. The input is the plaintext of a
// client Initial (its first byte picks the DCID's length); it is protected
// as a client would (RFC 9001 section 5) and handed to the same code as a
// captured datagram, so that the frame parser and the CRYPTO reassembly
// see every input rather than only the few whose AEAD tag happened to
// verify. A datagram built this way must always decrypt.

#include <cstddef>
#include <cstdint>
#include <span>

#include "classify/quic_initial.h"
#include "packet_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || size > 8000) return 0;
  const std::size_t dcid_length = 1 + data[0] % 20;
  dnsleak::testing::Bytes dcid(dcid_length);
  for (std::size_t i = 0; i < dcid_length; ++i) dcid[i] = static_cast<std::uint8_t>(i * 37 + data[0]);
  dnsleak::testing::Bytes frames(data + 1, data + size);
  const auto datagram = dnsleak::testing::quicInitialOfFrames(dcid, frames);

  dnsleak::classify::QuicInitial initial;
  auto status = dnsleak::classify::decryptClientInitial(datagram, initial);
  if (status == dnsleak::classify::QuicInitialStatus::kNotInitial ||
      status == dnsleak::classify::QuicInitialStatus::kDecryptFailed) {
    __builtin_trap();  // it was built to decrypt
  }
  static dnsleak::classify::QuicHellos hellos({/*max_connections=*/8, std::chrono::seconds(30)});
  auto client = *dnsleak::core::IpAddress::parse("192.0.2.1");
  auto server = *dnsleak::core::IpAddress::parse("198.51.100.1");
  const auto* hello = hellos.add(datagram, client, static_cast<std::uint16_t>(40000 + data[0] % 4), server, 443,
                                 dnsleak::core::Timestamp(std::chrono::seconds(1)));
  if (hello && hello->alpn.size() > 16) __builtin_trap();
  if (hellos.connections() > 8) __builtin_trap();
  return 0;
}
