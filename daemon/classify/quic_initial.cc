// QUIC Initial decryption (RFC 9001 section 5; QUIC v2, RFC 9369), with
// the primitives of classify/quic_crypto.h.

#include "classify/quic_initial.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "classify/quic_crypto.h"
#include "core/bytes.h"

namespace dnsleak::classify {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint8_t kSaltV1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
// Drafts still seen in captures (and DoQ's drafts ran on them).
constexpr std::uint8_t kSaltDraft29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                           0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
constexpr std::uint8_t kSaltDraft23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
                                           0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
constexpr std::uint8_t kSaltV2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                      0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

// HKDF-Expand-Label (RFC 8446 section 7.1) with an empty context, for
// outputs of at most one SHA-256 block.
bool expandLabel(const std::uint8_t* secret, std::string_view label, std::uint8_t* out, std::size_t length) {
  std::uint8_t info[2 + 1 + 255 + 1 + 1];
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(length >> 8);
  info[n++] = static_cast<std::uint8_t>(length);
  info[n++] = static_cast<std::uint8_t>(6 + label.size());
  std::memcpy(info + n, "tls13 ", 6);
  n += 6;
  std::memcpy(info + n, label.data(), label.size());
  n += label.size();
  info[n++] = 0;  // context
  info[n++] = 1;  // HKDF-Expand's block counter T(1)
  std::uint8_t block[32];
  if (!quic_crypto::hmacSha256(secret, 32, info, n, block)) return false;
  std::memcpy(out, block, length);
  return true;
}

// RFC 9000 section 16 variable-length integers.
bool varint(Bytes data, std::size_t& at, std::uint64_t& value) {
  if (at >= data.size()) return false;
  std::size_t length = std::size_t{1} << (data[at] >> 6);
  if (data.size() - at < length) return false;
  value = data[at] & 0x3f;
  for (std::size_t i = 1; i < length; ++i) value = (value << 8) | data[at + i];
  at += length;
  return true;
}

}  // namespace

std::string_view quicInitialStatusName(QuicInitialStatus status) {
  switch (status) {
    case QuicInitialStatus::kOk: return "ok";
    case QuicInitialStatus::kNotInitial: return "quic_not_initial";
    case QuicInitialStatus::kMalformed: return "quic_malformed_initial";
    case QuicInitialStatus::kDecryptFailed: return "quic_decrypt_failed";
    case QuicInitialStatus::kCount: break;
  }
  return "unknown";
}

std::string_view quicFlowEventName(QuicFlowEvent e) {
  switch (e) {
    case QuicFlowEvent::kNotInitial: return "quic_not_initial";
    case QuicFlowEvent::kMalformed: return "quic_malformed_initial";
    case QuicFlowEvent::kDecryptFailed: return "quic_decrypt_failed";
    case QuicFlowEvent::kHelloMalformed: return "quic_malformed_client_hello";
    case QuicFlowEvent::kFlowEvicted: return "quic_flow_evicted";
    case QuicFlowEvent::kCount: break;
  }
  return "unknown";
}

namespace {

thread_local std::uint64_t derived_on_this_thread = 0;

bool deriveKeys(std::uint32_t version, Bytes dcid, QuicInitialKeys& out) {
  ++derived_on_this_thread;
  const std::uint8_t* salt;
  std::string_view key_label, iv_label, hp_label;
  const bool draft29to32 = version >= 0xff00001d && version <= 0xff000020;
  const bool draft23to28 = version >= 0xff000017 && version <= 0xff00001c;
  if (version == kQuicV1 || draft29to32 || draft23to28) {
    salt = version == kQuicV1 ? kSaltV1 : draft29to32 ? kSaltDraft29 : kSaltDraft23;
    key_label = "quic key";
    iv_label = "quic iv";
    hp_label = "quic hp";
  } else if (version == kQuicV2) {
    salt = kSaltV2;
    key_label = "quicv2 key";
    iv_label = "quicv2 iv";
    hp_label = "quicv2 hp";
  } else {
    return false;
  }
  std::uint8_t initial_secret[32];
  if (!quic_crypto::hmacSha256(salt, 20, dcid.data(), dcid.size(), initial_secret)) return false;
  std::uint8_t client_secret[32];
  return expandLabel(initial_secret, "client in", client_secret, 32) &&
         expandLabel(client_secret, key_label, out.key.data(), 16) &&
         expandLabel(client_secret, iv_label, out.iv.data(), 12) &&
         expandLabel(client_secret, hp_label, out.hp.data(), 16);
}

// Keys are a function of the version and the DCID alone, and four HMACs
// through OpenSSL's providers cost tens of thousands of instructions: the
// last few are kept per thread. Every Initial of a connection, its
// retransmissions, and the undecryptable long-header datagrams that keep
// coming on one flow share a DCID.
struct KeyCacheEntry {
  bool valid = false;
  bool derived = false;  // whether the version had keys at all
  std::uint32_t version = 0;
  std::uint8_t length = 0;
  std::array<std::uint8_t, 20> dcid{};
  QuicInitialKeys keys;
};
constexpr std::size_t kKeyCacheEntries = 64;
thread_local std::array<KeyCacheEntry, kKeyCacheEntries> key_cache;

}  // namespace

std::uint64_t quicKeysDerivedOnThisThread() { return derived_on_this_thread; }

bool deriveClientInitialKeys(std::uint32_t version, Bytes dcid, QuicInitialKeys& out) {
  if (dcid.size() > 20) return deriveKeys(version, dcid, out);
  std::uint64_t h = version * 0x9e3779b97f4a7c15ULL;
  for (std::uint8_t b : dcid) h = (h ^ b) * 0x100000001b3ULL;
  KeyCacheEntry& e = key_cache[(h ^ h >> 29) % kKeyCacheEntries];
  if (e.valid && e.version == version && e.length == dcid.size() &&
      std::equal(dcid.begin(), dcid.end(), e.dcid.begin())) {
    out = e.keys;
    return e.derived;
  }
  e.derived = deriveKeys(version, dcid, e.keys);
  e.valid = true;
  e.version = version;
  e.length = static_cast<std::uint8_t>(dcid.size());
  std::copy(dcid.begin(), dcid.end(), e.dcid.begin());
  out = e.keys;
  return e.derived;
}

bool headerProtectionMask(const std::array<std::uint8_t, 16>& hp, std::span<const std::uint8_t, 16> sample,
                          std::array<std::uint8_t, 5>& mask) {
  std::uint8_t block[16];
  if (!quic_crypto::aes128Block(hp.data(), sample.data(), block)) return false;
  std::memcpy(mask.data(), block, 5);
  return true;
}

QuicInitialStatus decryptClientInitial(Bytes d, QuicInitial& out, Bytes key_dcid) {
  out.crypto.clear();
  if (d.size() < 7 || (d[0] & 0x80) == 0) return QuicInitialStatus::kNotInitial;
  std::uint32_t version = core::be32(d.data() + 1);
  unsigned type = (d[0] >> 4) & 0x03;
  bool draft = version >= 0xff000017 && version <= 0xff000020;
  bool initial = ((version == kQuicV1 || draft) && type == 0) || (version == kQuicV2 && type == 1);
  if (!initial) return QuicInitialStatus::kNotInitial;
  out.version = version;
  std::size_t at = 5;
  std::size_t dcid_length = d[at++];
  if (dcid_length > 20 || d.size() - at < dcid_length + 1) return QuicInitialStatus::kMalformed;
  out.dcid.assign(d.begin() + static_cast<std::ptrdiff_t>(at), d.begin() + static_cast<std::ptrdiff_t>(at + dcid_length));
  at += dcid_length;
  std::size_t scid_length = d[at++];
  if (scid_length > 20 || d.size() - at < scid_length) return QuicInitialStatus::kMalformed;
  at += scid_length;
  std::uint64_t token_length = 0, length = 0;
  if (!varint(d, at, token_length) || d.size() - at < token_length) return QuicInitialStatus::kMalformed;
  at += token_length;
  if (!varint(d, at, length) || length > d.size() - at || length < 20) return QuicInitialStatus::kMalformed;
  const std::size_t pn_offset = at;

  QuicInitialKeys keys;
  if (!deriveClientInitialKeys(version, key_dcid.empty() ? Bytes(out.dcid) : key_dcid, keys)) {
    return QuicInitialStatus::kNotInitial;
  }
  std::array<std::uint8_t, 5> mask;
  if (!headerProtectionMask(keys.hp, std::span<const std::uint8_t, 16>(d.data() + pn_offset + 4, 16), mask)) {
    return QuicInitialStatus::kDecryptFailed;
  }
  std::uint8_t first = d[0] ^ (mask[0] & 0x0f);
  std::size_t pn_length = (first & 0x03) + 1u;
  std::vector<std::uint8_t> header(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(pn_offset + pn_length));
  header[0] = first;
  std::uint64_t pn = 0;
  for (std::size_t i = 0; i < pn_length; ++i) {
    header[pn_offset + i] ^= mask[1 + i];
    pn = (pn << 8) | header[pn_offset + i];
  }
  std::array<std::uint8_t, 12> nonce = keys.iv;
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));

  std::size_t payload_at = pn_offset + pn_length;
  std::size_t payload_length = length - pn_length;
  if (payload_length < 16) return QuicInitialStatus::kMalformed;
  std::size_t cipher_length = payload_length - 16;
  std::vector<std::uint8_t> plain(cipher_length);
  if (!quic_crypto::aes128GcmOpen(keys.key.data(), nonce.data(), header, Bytes(d.data() + payload_at, cipher_length),
                                  d.data() + payload_at + cipher_length, plain.data())) {
    return QuicInitialStatus::kDecryptFailed;
  }

  // Frames allowed in an Initial: PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE.
  Bytes p(plain);
  std::size_t i = 0;
  while (i < p.size()) {
    std::uint8_t frame = p[i++];
    std::uint64_t a, b, count;
    switch (frame) {
      case 0x00: {
        // PADDING, one byte each: an Initial is padded to 1200 bytes, so
        // the run is skipped eight bytes at a time.
        std::uint64_t word;
        while (p.size() - i >= 8 && (std::memcpy(&word, p.data() + i, 8), word == 0)) i += 8;
        while (i < p.size() && p[i] == 0) ++i;
        break;
      }
      case 0x01:
        break;
      case 0x02:
      case 0x03:
        if (!varint(p, i, a) || !varint(p, i, a) || !varint(p, i, count) || !varint(p, i, a)) return QuicInitialStatus::kOk;
        for (std::uint64_t r = 0; r < count; ++r) {
          if (!varint(p, i, a) || !varint(p, i, b)) return QuicInitialStatus::kOk;
        }
        if (frame == 0x03 && (!varint(p, i, a) || !varint(p, i, a) || !varint(p, i, a))) return QuicInitialStatus::kOk;
        break;
      case 0x06: {
        std::uint64_t offset, data_length;
        if (!varint(p, i, offset) || !varint(p, i, data_length) || p.size() - i < data_length) {
          return QuicInitialStatus::kOk;  // keep what was read
        }
        out.crypto.push_back({offset, std::vector<std::uint8_t>(p.begin() + static_cast<std::ptrdiff_t>(i),
                                                                p.begin() + static_cast<std::ptrdiff_t>(i + data_length))});
        i += data_length;
        break;
      }
      default:
        return QuicInitialStatus::kOk;  // CONNECTION_CLOSE or a frame not allowed here: nothing more to read
    }
  }
  return QuicInitialStatus::kOk;
}

QuicHellos::QuicHellos(QuicHelloLimits limits) : limits_(limits) {}

void QuicHellos::erase(Flow& flow) {
  arrival_.remove(flow);
  flows_.erase(flows_.find(*flow.key));
}

void QuicHellos::expire(core::Timestamp now) {
  while (arrival_.oldest() && now - arrival_.oldest()->first_seen > limits_.timeout) erase(*arrival_.oldest());
}

const ClientHello* QuicHellos::add(Bytes datagram, const core::IpAddress& client, std::uint16_t client_port,
                                   const core::IpAddress& server, std::uint16_t server_port, core::Timestamp now,
                                   bool* was_initial) {
  expire(now);
  Key key{client, server, client_port, server_port};  // client first
  auto it = flows_.find(key);
  auto decrypted = decryptClientInitial(datagram, initial_);
  if (decrypted == QuicInitialStatus::kDecryptFailed && it != flows_.end() && !it->second.key_dcid.empty() &&
      initial_.dcid != it->second.key_dcid) {
    // A later Initial under the DCID the server chose, keyed by the first.
    decrypted = decryptClientInitial(datagram, initial_, it->second.key_dcid);
  }
  if (was_initial) *was_initial = decrypted == QuicInitialStatus::kOk;
  switch (decrypted) {
    case QuicInitialStatus::kOk: break;
    case QuicInitialStatus::kNotInitial: counters_.add(QuicFlowEvent::kNotInitial); return nullptr;
    case QuicInitialStatus::kMalformed: counters_.add(QuicFlowEvent::kMalformed); return nullptr;
    default: counters_.add(QuicFlowEvent::kDecryptFailed); return nullptr;
  }
  if (it == flows_.end()) {
    if (flows_.size() >= limits_.max_connections && arrival_.oldest()) {
      erase(*arrival_.oldest());  // a flood: the connection seen first goes
      counters_.add(QuicFlowEvent::kFlowEvicted);
    }
    it = flows_.emplace(std::move(key), Flow{}).first;
    it->second.first_seen = now;
    it->second.key_dcid = initial_.dcid;
    it->second.key = &it->first;
    arrival_.append(it->second);
  }
  Flow& flow = it->second;
  if (flow.done) return nullptr;
  for (const auto& c : initial_.crypto) {
    std::uint64_t end = c.offset + c.data.size();
    if (c.offset > kMaxClientHello || end > kMaxClientHello + 4) {
      flow.done = true;
      flow.stream.clear();
      counters_.add(QuicFlowEvent::kHelloMalformed);
      return nullptr;
    }
    if (flow.stream.size() < end) flow.stream.resize(end);
    std::copy(c.data.begin(), c.data.end(), flow.stream.begin() + static_cast<std::ptrdiff_t>(c.offset));
    flow.have.emplace_back(c.offset, end);
  }
  std::sort(flow.have.begin(), flow.have.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> merged;
  for (const auto& r : flow.have) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  flow.have = std::move(merged);
  if (flow.have.empty() || flow.have.front().first != 0) return nullptr;
  auto status = parseClientHelloMessage(std::span(flow.stream).first(flow.have.front().second), hello_);
  if (status == TlsParseStatus::kNeedMore) return nullptr;
  flow.done = true;
  flow.stream = {};
  if (status != TlsParseStatus::kOk) {
    counters_.add(QuicFlowEvent::kHelloMalformed);
    return nullptr;
  }
  return &hello_;
}

}  // namespace dnsleak::classify
