#pragma once

// HPACK (RFC 7541) header-block decoding for the HTTP/2 DNS flows, behind
// one seam: nghttp2's decoder where the build has it (hpack_nghttp2.cc),
// none where it has not (hpack_none.cc, a cross-build without nghttp2:
// every block is then undecodable and the connection is dropped as
// malformed, so DNS over cleartext HTTP/2 is not seen). CMake chooses the
// file.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace dnsleak::classify {

class HpackDecoder {
 public:
  // Told each header field of a block, in order.
  class Fields {
   public:
    virtual void field(std::string_view name, std::string_view value) = 0;

   protected:
    ~Fields() = default;
  };

  HpackDecoder();
  ~HpackDecoder();
  HpackDecoder(const HpackDecoder&) = delete;
  HpackDecoder& operator=(const HpackDecoder&) = delete;

  // Whether this build can decode at all.
  static bool available();
  // Decodes one whole header block, keeping the dynamic table in step.
  // False when the block is malformed (or cannot be decoded here).
  bool decode(const std::uint8_t* block, std::size_t size, Fields& fields);
  // The peer's SETTINGS_HEADER_TABLE_SIZE. False when refused.
  bool setTableSize(std::uint32_t size);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dnsleak::classify
