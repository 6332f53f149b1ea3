#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "classify/tls_client_hello.h"
#include "core/counter.h"
#include "core/event.h"
#include "core/flow_key.h"
#include "core/hash_map.h"
#include "core/ip_address.h"
#include "core/recency_list.h"

namespace dnsleak::classify {

// QUIC Initial packets are protected with keys derived from the client's
// Destination Connection ID and a public salt (RFC 9001 section 5.2; QUIC
// v2: RFC 9369), so anyone can read them: that is how the ClientHello, with
// its SNI and ALPN, is seen.
struct QuicInitialKeys {
  std::array<std::uint8_t, 16> key{};
  std::array<std::uint8_t, 12> iv{};
  std::array<std::uint8_t, 16> hp{};
};

inline constexpr std::uint32_t kQuicV1 = 0x00000001;
inline constexpr std::uint32_t kQuicV2 = 0x6b3343cf;

// The client's Initial keys for a version (v1, v2, or drafts 23 to 32);
// false for others.
bool deriveClientInitialKeys(std::uint32_t version, std::span<const std::uint8_t> dcid, QuicInitialKeys& out);
// How many derivations this thread made (the rest came from its cache of
// recent DCIDs' keys).
std::uint64_t quicKeysDerivedOnThisThread();

// The header protection mask: AES-128-ECB(hp, sample), first 5 bytes.
bool headerProtectionMask(const std::array<std::uint8_t, 16>& hp, std::span<const std::uint8_t, 16> sample,
                          std::array<std::uint8_t, 5>& mask);

enum class QuicInitialStatus : std::uint8_t {
  kOk = 0,
  kNotInitial,     // not a QUIC long-header Initial of a version we know
  kMalformed,      // lengths that do not add up
  kDecryptFailed,  // the AEAD tag did not verify (not a client Initial, or damaged)
  kCount
};
std::string_view quicInitialStatusName(QuicInitialStatus status);

// One decrypted client Initial: its DCID and the CRYPTO frames it carried.
struct QuicInitial {
  std::uint32_t version = 0;
  std::vector<std::uint8_t> dcid;
  struct Crypto {
    std::uint64_t offset;
    std::vector<std::uint8_t> data;
  };
  std::vector<Crypto> crypto;
};

// Decrypts the first QUIC packet of a UDP datagram when it is a client
// Initial (v1 or v2). Its keys come from its own DCID unless `key_dcid` is
// given: a client keeps the keys of its first Initial's DCID after the
// server has given it another (RFC 9001 section 5.2).
QuicInitialStatus decryptClientInitial(std::span<const std::uint8_t> datagram, QuicInitial& out,
                                       std::span<const std::uint8_t> key_dcid = {});

enum class QuicFlowEvent : std::uint8_t {
  kNotInitial = 0,
  kMalformed,
  kDecryptFailed,
  kHelloMalformed,
  kFlowEvicted,
  kCount
};
inline constexpr std::size_t kQuicFlowEventCount = static_cast<std::size_t>(QuicFlowEvent::kCount);
std::string_view quicFlowEventName(QuicFlowEvent e);

// Puts the CRYPTO stream of a connection's client Initials together (a
// post-quantum ClientHello spans two packets, and frames come out of
// order) and gives the ClientHello once, the first time it is whole.
// Bounded in connections and bytes: past max_connections the connection
// seen first goes, and each goes `timeout` after its first Initial (in the
// order they came: no scans). Owned by the capture thread.
struct QuicHelloLimits {
  std::size_t max_connections = 512;  // each holds at most kMaxClientHello bytes
  std::chrono::seconds timeout{30};
};

class QuicHellos {
 public:
  explicit QuicHellos(QuicHelloLimits limits = {});

  // Returns the ClientHello when this datagram completes it; nullptr
  // otherwise (also for every later Initial of a connection already read).
  // The pointer is valid until the next call.
  // A connection is its client and server addresses and ports: the
  // pieces of one ClientHello can come under different DCIDs (after a
  // Retry, or once the server chose one).
  const ClientHello* add(std::span<const std::uint8_t> datagram, const core::IpAddress& client,
                         std::uint16_t client_port, const core::IpAddress& server, std::uint16_t server_port,
                         core::Timestamp now, bool* was_initial = nullptr);

  const core::EnumCounters<QuicFlowEvent, kQuicFlowEventCount>& counters() const { return counters_; }
  std::size_t connections() const { return flows_.size(); }

 private:
  using Key = core::FlowKey;  // a connection, client first
  struct Flow {
    std::vector<std::uint8_t> stream;                            // CRYPTO bytes by offset
    std::vector<std::pair<std::uint64_t, std::uint64_t>> have;   // received ranges, merged
    bool done = false;
    core::Timestamp first_seen{};
    std::vector<std::uint8_t> key_dcid;  // the DCID of the first Initial, which the keys stay derived from
    // Its place in arrival_ and its key in flows_ (whose nodes do not move).
    core::RecencyLinks<Flow> arrival;
    const Key* key = nullptr;
  };
  void expire(core::Timestamp now);
  void erase(Flow& flow);

  QuicHelloLimits limits_;
  core::StableMap<Key, Flow, core::FlowKeyHash> flows_;
  core::RecencyList<Flow, &Flow::arrival> arrival_;  // by first_seen, the earliest first
  QuicInitial initial_;  // reused
  ClientHello hello_;
  core::EnumCounters<QuicFlowEvent, kQuicFlowEventCount> counters_;
};

}  // namespace dnsleak::classify
