#include "capture/pcapng_reader.h"

#include <cstring>

namespace dnsleak::capture {
namespace {

constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceDescription = 1;
constexpr std::uint32_t kObsoletePacket = 2;
constexpr std::uint32_t kSimplePacket = 3;
constexpr std::uint32_t kEnhancedPacket = 6;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;

constexpr std::uint16_t kOptionEnd = 0;
constexpr std::uint16_t kOptionIfName = 2;
constexpr std::uint16_t kOptionIfTsResol = 9;
constexpr std::uint16_t kOptionIfTsOffset = 14;

constexpr std::uint32_t padded(std::uint32_t n) { return (n + 3u) & ~3u; }

// std::byteswap is C++23.
constexpr std::uint16_t byteswap(std::uint16_t v) { return __builtin_bswap16(v); }
constexpr std::uint32_t byteswap(std::uint32_t v) { return __builtin_bswap32(v); }
constexpr std::uint64_t byteswap(std::uint64_t v) { return __builtin_bswap64(v); }

}  // namespace

bool PcapngReader::startsPcapng(std::span<const std::uint8_t> first) {
  return first.size() >= 4 && first[0] == 0x0A && first[1] == 0x0D && first[2] == 0x0D && first[3] == 0x0A;
}

std::vector<int> PcapngReader::linkTypes() const {
  std::vector<int> out;
  for (const auto& i : interfaces_) out.push_back(i.link_type);
  return out;
}

PcapngReader::Result PcapngReader::fail(std::string why) {
  error_ = "pcapng block at offset " + std::to_string(block_start_) + ": " + std::move(why);
  return Result::kError;
}

std::uint16_t PcapngReader::u16(const std::uint8_t* p) const {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return swapped_ ? byteswap(v) : v;
}

std::uint32_t PcapngReader::u32(const std::uint8_t* p) const {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped_ ? byteswap(v) : v;
}

bool PcapngReader::setByteOrder(const std::uint8_t* magic_bytes) {
  std::uint32_t magic;
  std::memcpy(&magic, magic_bytes, 4);
  if (magic != kByteOrderMagic && magic != byteswap(kByteOrderMagic)) return false;
  swapped_ = magic != kByteOrderMagic;
  return true;
}

bool PcapngReader::readSectionHeader(std::span<const std::uint8_t> body) {
  // Byte-order magic (4, read already by next()), major and minor version
  // (2 + 2), section length (8).
  if (body.size() < 16) return false;
  if (u16(body.data() + 4) != 1) return false;  // major version 1 only
  interfaces_.clear();                           // interface ids are per section
  in_section_ = true;
  return true;
}

bool PcapngReader::readInterface(std::span<const std::uint8_t> body) {
  // Link type (2), reserved (2), snaplen (4), then options.
  if (body.size() < 8) return false;
  Interface i;
  i.link_type = u16(body.data());
  i.snaplen = u32(body.data() + 4);
  std::size_t at = 8;
  while (at + 4 <= body.size()) {
    std::uint16_t code = u16(body.data() + at);
    std::uint16_t length = u16(body.data() + at + 2);
    at += 4;
    if (code == kOptionEnd) break;
    if (length > body.size() - at) return false;
    const std::uint8_t* value = body.data() + at;
    if (code == kOptionIfName) {
      i.name.assign(reinterpret_cast<const char*>(value), strnlen(reinterpret_cast<const char*>(value), length));
    } else if (code == kOptionIfTsResol && length >= 1) {
      i.binary_resolution = (value[0] & 0x80) != 0;
      i.exponent = value[0] & 0x7f;
      // Beyond these the ticks cannot be turned into a 64-bit time.
      if (i.binary_resolution ? i.exponent > 63 : i.exponent > 18) return false;
    } else if (code == kOptionIfTsOffset && length >= 8) {
      std::uint64_t v;
      std::memcpy(&v, value, 8);
      i.offset_seconds = static_cast<std::int64_t>(swapped_ ? byteswap(v) : v);
    }
    at += padded(length);
  }
  interfaces_.push_back(std::move(i));
  return true;
}

core::Timestamp PcapngReader::timestamp(const Interface& i, std::uint64_t ticks) const {
  __int128 ns;
  if (i.binary_resolution) {
    ns = (static_cast<__int128>(ticks) * 1'000'000'000) >> i.exponent;
  } else if (i.exponent <= 9) {
    __int128 scale = 1;
    for (int k = i.exponent; k < 9; ++k) scale *= 10;
    ns = static_cast<__int128>(ticks) * scale;
  } else {
    __int128 scale = 1;
    for (int k = 9; k < i.exponent; ++k) scale *= 10;
    ns = static_cast<__int128>(ticks) / scale;
  }
  ns += static_cast<__int128>(i.offset_seconds) * 1'000'000'000;
  return core::Timestamp(std::chrono::nanoseconds(static_cast<std::int64_t>(ns)));
}

PcapngReader::Result PcapngReader::next(PcapngPacket& out) {
  for (;;) {
    block_start_ = offset_;
    std::uint8_t head[8];
    std::size_t got = std::fread(head, 1, sizeof head, file_);
    if (got == 0 && std::feof(file_)) return Result::kEnd;
    if (got != sizeof head) return fail("the file ends inside a block header");
    std::uint32_t type;
    std::memcpy(&type, head, 4);
    if (type == kSectionHeader) {
      // The byte order is the new section's: read it before the length.
      std::uint8_t magic[4];
      if (std::fread(magic, 1, 4, file_) != 4) return fail("the file ends inside a section header");
      if (!setByteOrder(magic)) return fail("a section header without the byte-order magic");
      if (std::fseek(file_, -4, SEEK_CUR) != 0) return fail("cannot re-read the section header");
    } else if (!in_section_) {
      return fail("the file does not start with a section header");
    }
    std::uint32_t total = u32(head + 4);
    if (total < 12 || total % 4 != 0) return fail("a block length of " + std::to_string(total) + " bytes");
    if (total > kMaxBlockBytes) return fail("a block of " + std::to_string(total) + " bytes, over the limit");
    block_.resize(total - 8);
    if (std::fread(block_.data(), 1, block_.size(), file_) != block_.size()) {
      return fail("the file ends inside a block of " + std::to_string(total) + " bytes");
    }
    if (u32(block_.data() + block_.size() - 4) != total) return fail("a block whose trailing length differs");
    std::span<const std::uint8_t> body(block_.data(), block_.size() - 4);
    offset_ += total;
    type = u32(head);

    if (type == kSectionHeader) {
      if (!readSectionHeader(body)) return fail("a section header this reader does not understand");
      continue;
    }
    if (type == kInterfaceDescription) {
      if (!readInterface(body)) return fail("a malformed interface description");
      continue;
    }
    std::uint32_t interface_id = 0, caplen = 0, wire = 0;
    std::uint64_t ticks = 0;
    std::size_t data_at = 0;
    if (type == kEnhancedPacket || type == kObsoletePacket) {
      // Interface id (4, or 2 and a drop count in the obsolete block),
      // timestamp high and low, captured and original length.
      if (body.size() < 20) return fail("a truncated packet block");
      interface_id = type == kEnhancedPacket ? u32(body.data()) : u16(body.data());
      ticks = (static_cast<std::uint64_t>(u32(body.data() + 4)) << 32) | u32(body.data() + 8);
      caplen = u32(body.data() + 12);
      wire = u32(body.data() + 16);
      data_at = 20;
    } else if (type == kSimplePacket) {
      if (body.size() < 4) return fail("a truncated simple packet block");
      wire = u32(body.data());
      data_at = 4;
      caplen = static_cast<std::uint32_t>(std::min<std::size_t>(wire, body.size() - 4));
      if (!interfaces_.empty() && interfaces_[0].snaplen != 0) caplen = std::min(caplen, interfaces_[0].snaplen);
    } else {
      continue;  // name resolution, statistics, decryption secrets, custom: nothing to read here
    }
    if (interface_id >= interfaces_.size()) {
      return fail("a packet for interface " + std::to_string(interface_id) + ", which no block described");
    }
    if (caplen > body.size() - data_at) return fail("a packet longer than its block");
    const Interface& i = interfaces_[interface_id];
    out.time = type == kSimplePacket ? core::Timestamp{} : timestamp(i, ticks);
    out.link_type = i.link_type;
    out.interface_id = interface_id;
    out.interface_name = i.name;
    out.wire_length = wire;
    out.data = body.subspan(data_at, caplen);
    return Result::kPacket;
  }
}

}  // namespace dnsleak::capture
