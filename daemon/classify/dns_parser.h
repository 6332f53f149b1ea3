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
  kBadPointer,          // a compression pointer outside the message
  kPointerLoop,         // more compression pointers in one name than a name can need
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
// Safety: every read is bounds-checked against `message`; a name may follow
// at most kMaxPointerJumps compression pointers, so loops end; names are
// limited to 255 wire octets. Pointers forward are followed like any other:
// resolvers accept them, so rejecting them would let a crafted query pass
// unseen.
//
// The header and the questions decide: if they do not parse, the message is
// rejected. If a later record does not, the message is kept with what came
// before it, and its reason is set in `out.records_error` (kOk otherwise);
// a broken trailing record must not hide the question from the detector.
// `end`, when given, is set to the offset just past the last record read.
DnsParseStatus parseDnsMessage(std::span<const std::uint8_t> message, core::DnsInfo& out,
                               DnsParseStatus& records_error, std::size_t* end = nullptr);

// NetBIOS first-level encoding (RFC 1001 section 14.1): a 32-letter label
// of 'A'..'P' pairs holds 16 bytes, 15 of name and a suffix byte. Rewrites
// such a first label of `name` as "NAME<xx>" (trailing spaces dropped,
// other unprintable bytes as <xx>), as tshark prints it; leaves any other
// name as it is. Returns whether it decoded.
bool decodeNetbiosName(std::string& name);

// Whether a message that parsed (with nothing trailing) is DNS beyond
// reasonable doubt, for UDP on a port no DNS protocol is known on: one
// question of a known type and class IN/ANY, a host-like name, standard
// opcode, flags and counts that fit a query or a response.
bool looksLikeDns(const core::DnsInfo& message);

// A name of at most 255 octets has at most 127 labels; a chain of pointers
// longer than that must revisit a label.
inline constexpr int kMaxPointerJumps = 127;

// Reads a possibly compressed name starting at `offset`. On success `next`
// is the offset just past the name where it was found (not where pointers
// led). Exposed for the tests and for rdata that holds names.
DnsParseStatus readDnsName(std::span<const std::uint8_t> message, std::size_t offset, std::string& out,
                           std::size_t& next);

}  // namespace dnsleak::classify
