#pragma once

// The three primitives QUIC Initial decryption needs (RFC 9001 section 5),
// behind one seam: OpenSSL where the build has it (quic_crypto_openssl.cc),
// nothing where it has not (quic_crypto_none.cc, a cross-build without
// OpenSSL). Without them every Initial is "not decryptable": the QUIC flow
// is still seen, its server name is not. CMake chooses the file.

#include <cstddef>
#include <cstdint>
#include <span>

namespace dnsleak::classify::quic_crypto {

// Whether the primitives below can succeed in this build.
bool available();

// HMAC-SHA256 of `data` under `key`, into `out`.
bool hmacSha256(const std::uint8_t* key, std::size_t key_length, const std::uint8_t* data, std::size_t length,
                std::uint8_t out[32]);

// One AES-128 block: `out` = AES(key, in), as header protection uses it.
bool aes128Block(const std::uint8_t key[16], const std::uint8_t in[16], std::uint8_t out[16]);

// AES-128-GCM with a 12-byte nonce: checks `tag` over `aad` and `cipher`
// and writes cipher.size() bytes of plain text to `plain`. False when the
// tag does not match.
bool aes128GcmOpen(const std::uint8_t key[16], const std::uint8_t nonce[12], std::span<const std::uint8_t> aad,
                   std::span<const std::uint8_t> cipher, const std::uint8_t tag[16], std::uint8_t* plain);

}  // namespace dnsleak::classify::quic_crypto
