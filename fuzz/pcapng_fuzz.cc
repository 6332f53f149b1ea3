// libFuzzer target: the pcapng block reader. Any bytes must give packets
// that lie inside the input, then an end or an error sentence; never a
// crash, a read out of bounds or a loop.

#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "capture/pcapng_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::FILE* file = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
  if (!file) return 0;
  dnsleak::capture::PcapngReader reader(file);
  dnsleak::capture::PcapngPacket packet;
  // Each packet takes at least a 12-byte block: more would be a loop.
  for (std::size_t packets = 0;; ++packets) {
    if (packets > size / 12 + 1) __builtin_trap();
    auto result = reader.next(packet);
    if (result == dnsleak::capture::PcapngReader::Result::kError && reader.error().empty()) __builtin_trap();
    if (result != dnsleak::capture::PcapngReader::Result::kPacket) break;
    volatile std::uint8_t sum = 0;
    for (auto b : packet.data) sum += b;  // every byte of it readable
  }
  std::fclose(file);
  return 0;
}
