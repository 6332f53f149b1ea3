// HTTP/2 frames for the packet builder, with nghttp2's HPACK encoder.

#include <nghttp2/nghttp2.h>

#include <stdexcept>

#include "packet_builder.h"

namespace dnsleak::testing {

struct Http2Writer::Deflater {
  nghttp2_hd_deflater* hd = nullptr;
};

Http2Writer::Http2Writer() : deflater_(new Deflater) {
  if (nghttp2_hd_deflate_new(&deflater_->hd, 4096) != 0) throw std::runtime_error("nghttp2_hd_deflate_new failed");
}

Http2Writer::~Http2Writer() {
  nghttp2_hd_deflate_del(deflater_->hd);
  delete deflater_;
}

namespace {
Bytes frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, const Bytes& payload) {
  Bytes out = {static_cast<std::uint8_t>(payload.size() >> 16), static_cast<std::uint8_t>(payload.size() >> 8),
               static_cast<std::uint8_t>(payload.size()), type, flags};
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(stream >> shift));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}
}  // namespace

Bytes Http2Writer::preface() {
  std::string_view p = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  return Bytes(p.begin(), p.end());
}

Bytes Http2Writer::settings(bool ack) {
  Bytes payload;
  if (!ack) {  // MAX_CONCURRENT_STREAMS 100
    payload = {0, 3, 0, 0, 0, 100};
  }
  return frame(4, ack ? 1 : 0, 0, payload);
}

Bytes Http2Writer::headers(std::uint32_t stream, const std::vector<std::pair<std::string, std::string>>& fields,
                           bool end_stream) {
  std::vector<nghttp2_nv> nva;
  for (const auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                   NGHTTP2_NV_FLAG_NONE});
  }
  Bytes block(nghttp2_hd_deflate_bound(deflater_->hd, nva.data(), nva.size()));
  auto n = nghttp2_hd_deflate_hd(deflater_->hd, block.data(), block.size(), nva.data(), nva.size());
  if (n < 0) throw std::runtime_error("nghttp2_hd_deflate_hd failed");
  block.resize(static_cast<std::size_t>(n));
  return frame(1, static_cast<std::uint8_t>(0x04 | (end_stream ? 0x01 : 0)), stream, block);
}

Bytes Http2Writer::data(std::uint32_t stream, const Bytes& payload, bool end_stream) {
  return frame(0, end_stream ? 1 : 0, stream, payload);
}

}  // namespace dnsleak::testing
