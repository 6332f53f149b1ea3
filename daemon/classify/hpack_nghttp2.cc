// HPACK decoding by nghttp2's inflater.

#include <nghttp2/nghttp2.h>

#include "classify/hpack.h"

namespace dnsleak::classify {

struct HpackDecoder::State {
  nghttp2_hd_inflater* inflater = nullptr;
  ~State() {
    if (inflater) nghttp2_hd_inflate_del(inflater);
  }
};

HpackDecoder::HpackDecoder() : state_(std::make_unique<State>()) {
  if (nghttp2_hd_inflate_new(&state_->inflater) != 0) state_->inflater = nullptr;
}

HpackDecoder::~HpackDecoder() = default;

bool HpackDecoder::available() { return true; }

bool HpackDecoder::decode(const std::uint8_t* in, std::size_t left, Fields& fields) {
  nghttp2_hd_inflater* inflater = state_->inflater;
  if (!inflater) return false;
  for (;;) {
    nghttp2_nv nv{};
    int flags = 0;
    auto used = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
    if (used < 0) return false;
    in += used;
    left -= static_cast<std::size_t>(used);
    if (flags & NGHTTP2_HD_INFLATE_EMIT) {
      fields.field(std::string_view(reinterpret_cast<const char*>(nv.name), nv.namelen),
                   std::string_view(reinterpret_cast<const char*>(nv.value), nv.valuelen));
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(inflater);
      return true;
    }
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) return true;
  }
}

bool HpackDecoder::setTableSize(std::uint32_t size) {
  return state_->inflater && nghttp2_hd_inflate_change_table_size(state_->inflater, size) == 0;
}

}  // namespace dnsleak::classify
