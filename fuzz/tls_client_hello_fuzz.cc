// libFuzzer target: any bytes as the start of a TLS stream, and as a bare
// ClientHello message (as QUIC carries it).

#include <cstddef>
#include <cstdint>
#include <span>

#include "classify/tls_client_hello.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  dnsleak::classify::ClientHello hello;
  if (dnsleak::classify::parseTlsClientHello(bytes, hello) == dnsleak::classify::TlsParseStatus::kOk) {
    if (hello.alpn.size() > 16) __builtin_trap();
  }
  dnsleak::classify::parseClientHelloMessage(bytes, hello);
  return 0;
}
