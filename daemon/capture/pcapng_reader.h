#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace dnsleak::capture {

// One packet of a pcapng file. `data` and `interface_name` point into the
// reader's buffers: valid until the next call to next().
struct PcapngPacket {
  core::Timestamp time{};
  int link_type = 0;
  std::uint32_t interface_id = 0;   // the index of its Interface Description Block in the section
  std::string_view interface_name;  // the IDB's if_name, "" when it has none
  std::uint32_t wire_length = 0;
  std::span<const std::uint8_t> data;
};

// Reads pcapng (draft-ietf-opsawg-pcapng) block by block, as libpcap 1.10
// cannot when a file's interfaces have different link types: every
// section (either byte order), its Interface Description Blocks (link
// type, if_name, if_tsresol, if_tsoffset), and Enhanced, Simple and
// obsolete Packet Blocks; other blocks are skipped. Each block is checked
// against its own length and the file's end before a byte of it is used.
// One buffer, reused: no allocation per packet once it has grown.
class PcapngReader {
 public:
  enum class Result { kPacket, kEnd, kError };

  // Reads from `file`, which the caller owns and keeps open.
  explicit PcapngReader(std::FILE* file) : file_(file) {}

  Result next(PcapngPacket& out);
  // Why the last next() returned kError: one sentence with the offset.
  const std::string& error() const { return error_; }
  // Link types of the interfaces described so far, in order.
  std::vector<int> linkTypes() const;

  // Whether a file starting with these bytes is pcapng (a Section Header Block).
  static bool startsPcapng(std::span<const std::uint8_t> first);

  // The largest block accepted (a packet of a 16 MiB snaplen, and room).
  static constexpr std::uint32_t kMaxBlockBytes = 16u << 20;

 private:
  struct Interface {
    int link_type = 0;
    std::uint32_t snaplen = 0;
    std::string name;
    bool binary_resolution = false;  // if_tsresol: 2^-exponent, else 10^-exponent
    std::uint8_t exponent = 6;
    std::int64_t offset_seconds = 0;
  };

  Result fail(std::string why);
  std::uint16_t u16(const std::uint8_t* p) const;
  std::uint32_t u32(const std::uint8_t* p) const;
  // Takes the section's byte order from its magic; false when it is none.
  bool setByteOrder(const std::uint8_t* magic_bytes);
  bool readSectionHeader(std::span<const std::uint8_t> body);
  bool readInterface(std::span<const std::uint8_t> body);
  core::Timestamp timestamp(const Interface& i, std::uint64_t ticks) const;

  std::FILE* file_;
  std::vector<std::uint8_t> block_;  // the current block's body, reused
  std::vector<Interface> interfaces_;
  bool swapped_ = false;  // the section's byte order is not this host's
  bool in_section_ = false;
  std::uint64_t offset_ = 0;       // of the next block
  std::uint64_t block_start_ = 0;  // of the block being read, for errors
  std::string error_;
};

}  // namespace dnsleak::capture
