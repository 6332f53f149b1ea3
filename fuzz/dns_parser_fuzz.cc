// libFuzzer target: any bytes as a DNS message, and as a name at any offset.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "classify/dns_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> message(data, size);
  static dnsleak::core::DnsInfo info;  // reused, as the classifier does
  dnsleak::classify::DnsParseStatus records;
  if (dnsleak::classify::parseDnsMessage(message, info, records) == dnsleak::classify::DnsParseStatus::kOk) {
    // Invariants a consumer relies on.
    if (info.qname.size() > 4 * 255) __builtin_trap();
    if (info.answers.size() > dnsleak::classify::kMaxKeptAnswers) __builtin_trap();
  }
  if (size > 2) {
    std::string name;
    std::size_t next = 0;
    std::size_t offset = data[0] % size;
    if (dnsleak::classify::readDnsName(message, offset, name, next) == dnsleak::classify::DnsParseStatus::kOk &&
        (next > size || next <= offset)) {
      __builtin_trap();
    }
  }
  return 0;
}
