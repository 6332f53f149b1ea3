// QUIC Initial primitives for a build without a crypto library: none.
// quic_crypto.h says what the classifier does then.

#include "classify/quic_crypto.h"

namespace dnsleak::classify::quic_crypto {

bool available() { return false; }

bool hmacSha256(const std::uint8_t*, std::size_t, const std::uint8_t*, std::size_t, std::uint8_t[32]) { return false; }

bool aes128Block(const std::uint8_t[16], const std::uint8_t[16], std::uint8_t[16]) { return false; }

bool aes128GcmOpen(const std::uint8_t[16], const std::uint8_t[12], std::span<const std::uint8_t>,
                   std::span<const std::uint8_t>, const std::uint8_t[16], std::uint8_t*) {
  return false;
}

}  // namespace dnsleak::classify::quic_crypto
