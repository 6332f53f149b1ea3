#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dnsleak::classify {

enum class TlsParseStatus : std::uint8_t {
  kOk = 0,
  kNeedMore,        // a ClientHello so far, but not all of it yet
  kNotTls,          // does not start with a TLS handshake record
  kNotClientHello,  // TLS, but the first handshake message is another
  kMalformed,       // lengths that do not add up
  kCount
};
std::string_view tlsParseStatusName(TlsParseStatus status);

struct ClientHello {
  std::string sni;                // server_name host_name, "" when absent
  std::vector<std::string> alpn;  // application_layer_protocol_negotiation, in order
  bool ech = false;               // an encrypted_client_hello extension (the SNI is then the outer, public name)
};

// The largest ClientHello we wait for. Post-quantum key shares make them
// larger than one segment, but nothing like this.
inline constexpr std::size_t kMaxClientHello = 16384;

// Reads a ClientHello from the start of a TLS byte stream (records of type
// handshake; the message may span several records). Strings are escaped
// like DNS names (bytes outside printable ASCII as \DDD), so they are
// always valid UTF-8.
TlsParseStatus parseTlsClientHello(std::span<const std::uint8_t> stream, ClientHello& out);

// Reads a ClientHello handshake message without the record layer, as QUIC
// carries it in CRYPTO frames.
TlsParseStatus parseClientHelloMessage(std::span<const std::uint8_t> message, ClientHello& out);

}  // namespace dnsleak::classify
