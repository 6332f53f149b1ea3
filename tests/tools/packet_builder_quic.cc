// QUIC Initials for the packet builder: keys by the daemon's own derivation
// (checked against RFC 9001's vectors), sealed with OpenSSL's AES-GCM.

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "classify/quic_initial.h"
#include "packet_builder.h"

namespace dnsleak::testing {

Bytes quicInitial(const Bytes& dcid, const std::string& sni, const std::vector<std::string>& alpn,
                  const Bytes& key_dcid, std::size_t from, std::size_t to, std::size_t key_share_bytes) {
  Bytes record = tlsClientHello(sni, alpn, key_share_bytes);
  Bytes message(record.begin() + 5, record.end());  // the handshake message, without its TLS record header
  to = std::min(to, message.size());
  Bytes hello(message.begin() + static_cast<std::ptrdiff_t>(from), message.begin() + static_cast<std::ptrdiff_t>(to));
  // CRYPTO frame (2-byte varint offset and length), then PADDING.
  Bytes plain = {0x06, static_cast<std::uint8_t>(0x40 | (from >> 8)), static_cast<std::uint8_t>(from),
                 static_cast<std::uint8_t>(0x40 | (hello.size() >> 8)), static_cast<std::uint8_t>(hello.size())};
  plain.insert(plain.end(), hello.begin(), hello.end());
  return quicInitialOfFrames(dcid, plain, key_dcid);
}

Bytes quicInitialOfFrames(const Bytes& dcid, Bytes plain, const Bytes& key_dcid) {
  dnsleak::classify::QuicInitialKeys keys;
  if (!dnsleak::classify::deriveClientInitialKeys(dnsleak::classify::kQuicV1, key_dcid.empty() ? dcid : key_dcid,
                                                  keys)) {
    throw std::runtime_error("cannot derive QUIC Initial keys");
  }
  constexpr std::size_t kPnLength = 2;
  Bytes header = {0xc0 | (kPnLength - 1), 0, 0, 0, 1, static_cast<std::uint8_t>(dcid.size())};
  header.insert(header.end(), dcid.begin(), dcid.end());
  header.insert(header.end(), {0, 0});  // no SCID, no token
  std::size_t fixed = header.size() + 2 + kPnLength + 16;  // Length field, packet number, tag
  if (plain.size() + fixed < 1200) plain.resize(1200 - fixed, 0x00);
  std::size_t length = kPnLength + plain.size() + 16;
  if (length >= 0x4000) throw std::runtime_error("QUIC Initial too long for a 2-byte length");
  header.push_back(static_cast<std::uint8_t>(0x40 | (length >> 8)));
  header.push_back(static_cast<std::uint8_t>(length));
  std::size_t pn_offset = header.size();
  header.insert(header.end(), {0, 0});  // packet number 0: the nonce is the IV itself

  Bytes sealed(plain.size() + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0, m = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, keys.key.data(), keys.iv.data()) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &n, header.data(), static_cast<int>(header.size())) == 1 &&
            EVP_EncryptUpdate(ctx, sealed.data(), &n, plain.data(), static_cast<int>(plain.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, sealed.data() + n, &m) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, sealed.data() + plain.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) throw std::runtime_error("AES-GCM failed");
  Bytes packet = header;
  packet.insert(packet.end(), sealed.begin(), sealed.end());
  // Header protection: the sample starts 4 bytes past the packet number's start.
  std::array<std::uint8_t, 5> mask{};
  if (!dnsleak::classify::headerProtectionMask(keys.hp, std::span<const std::uint8_t, 16>(packet.data() + pn_offset + 4, 16),
                                               mask)) {
    throw std::runtime_error("header protection failed");
  }
  packet[0] ^= mask[0] & 0x0f;
  for (std::size_t i = 0; i < kPnLength; ++i) packet[pn_offset + i] ^= mask[1 + i];
  return packet;
}

}  // namespace dnsleak::testing
