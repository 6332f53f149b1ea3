// HPACK decoding for a build without nghttp2: none. hpack.h says what the
// HTTP/2 DNS flows do then.

#include "classify/hpack.h"

namespace dnsleak::classify {

struct HpackDecoder::State {};

HpackDecoder::HpackDecoder() = default;
HpackDecoder::~HpackDecoder() = default;

bool HpackDecoder::available() { return false; }

bool HpackDecoder::decode(const std::uint8_t*, std::size_t, Fields&) { return false; }

bool HpackDecoder::setTableSize(std::uint32_t) { return false; }

}  // namespace dnsleak::classify
