#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/event.h"

namespace dnsleak::classify {

// The outcome of parsing one DNS message. Every value but kOk is a malformed
// message: counted and skipped, never trusted.
enum class DnsParseStatus : std::uint8_t {
  kOk = 0,
  kTooShort,            // shorter than the 12-byte header
  kTruncatedName,       // a name runs past the end of the message
  kBadLabelType,        // label type bits 01 or 10 (RFC 6891 ext. labels are obsolete)
  kBadPointer,          // a compression pointer that does not point strictly backwards
  kNameTooLong,         // more than 255 octets in wire form
  kTruncatedQuestion,
  kTruncatedRecord,
  kBadRdata,            // rdata inconsistent with its type (A not 4 bytes, ...)
  kCount
};
inline constexpr std::size_t kDnsParseStatusCount = static_cast<std::size_t>(DnsParseStatus::kCount);

std::string_view dnsParseStatusName(DnsParseStatus status);

// At most this many answer records are kept per message; answer_count still
// says how many there were.
inline constexpr std::size_t kMaxKeptAnswers = 32;

// Parses a whole DNS message (RFC 1035 section 4, EDNS(0) per RFC 6891) into
// `out`, which is reused across calls so its strings and vectors keep their
// capacity. Names are in presentation form without the trailing dot ("." for
// the root); bytes outside printable ASCII, '.' and '\' inside a label are
// written as \DDD, so a name is always valid UTF-8 and never ambiguous.
//
// Safety: every read is bounds-checked against `message`; a compression
// pointer must point before the pointer itself, so following pointers always
// moves backwards and cannot loop; names are limited to 255 wire octets.
DnsParseStatus parseDnsMessage(std::span<const std::uint8_t> message, core::DnsInfo& out);

// Reads a possibly compressed name starting at `offset`. On success `next`
// is the offset just past the name where it was found (not where pointers
// led). Exposed for the tests and for rdata that holds names.
DnsParseStatus readDnsName(std::span<const std::uint8_t> message, std::size_t offset, std::string& out,
                           std::size_t& next);

}  // namespace dnsleak::classify
