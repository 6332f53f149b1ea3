#include "classify/dns_parser.h"

#include <cstring>

#include "core/bytes.h"
#include "core/escape.h"
#include "core/ip_address.h"

namespace dnsleak::classify {
namespace {

using Bytes = std::span<const std::uint8_t>;

using core::be16;
using core::be32;

constexpr std::size_t kMaxNameWireLength = 255;
constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeNs = 2;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypePtr = 12;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint16_t kTypeDname = 39;
constexpr std::uint16_t kTypeOpt = 41;
constexpr std::uint16_t kTypeSvcb = 64;
constexpr std::uint16_t kTypeHttps = 65;

void appendLabel(std::string& out, const std::uint8_t* label, std::size_t length) {
  core::appendEscaped(out, std::span<const std::uint8_t>(label, length), /*escape_dots=*/true);
}

// Reads the fixed part of a resource record after its name.
struct RecordHeader {
  std::uint16_t type;
  std::uint16_t klass;
  std::uint32_t ttl;
  std::uint16_t rdlength;
};

DnsParseStatus readRecordHeader(Bytes message, std::size_t& offset, RecordHeader& rr) {
  if (message.size() - offset < 10) return DnsParseStatus::kTruncatedRecord;
  const std::uint8_t* p = message.data() + offset;
  rr.type = be16(p);
  rr.klass = be16(p + 2);
  rr.ttl = be32(p + 4);
  rr.rdlength = be16(p + 8);
  offset += 10;
  if (message.size() - offset < rr.rdlength) return DnsParseStatus::kTruncatedRecord;
  return DnsParseStatus::kOk;
}

DnsParseStatus formatRdata(Bytes message, std::size_t offset, const RecordHeader& rr, std::string& data,
                           core::IpAddress& address) {
  const std::uint8_t* rdata = message.data() + offset;
  data.clear();
  address = {};
  switch (rr.type) {
    case kTypeA: {
      if (rr.rdlength != 4) return DnsParseStatus::kBadRdata;
      char buf[core::kMaxAddressText];
      data.assign(buf, core::formatIpv4(rdata, buf));
      address = core::IpAddress::v4(rdata);
      return DnsParseStatus::kOk;
    }
    case kTypeAaaa: {
      if (rr.rdlength != 16) return DnsParseStatus::kBadRdata;
      char buf[core::kMaxAddressText];
      data.assign(buf, core::formatIpv6(rdata, buf));
      address = core::IpAddress::v6(rdata);
      return DnsParseStatus::kOk;
    }
    case kTypeCname:
    case kTypeNs:
    case kTypePtr:
    case kTypeDname: {
      std::size_t next = 0;
      // The name must lie inside the rdata, though its pointers may reach back
      // into the rest of the message.
      DnsParseStatus status = readDnsName(message.first(offset + rr.rdlength), offset, data, next);
      if (status != DnsParseStatus::kOk) return status;
      return DnsParseStatus::kOk;
    }
    case kTypeSvcb:
    case kTypeHttps: {
      if (rr.rdlength < 3) return DnsParseStatus::kBadRdata;
      std::uint16_t priority = be16(rdata);
      std::string target;
      std::size_t next = 0;
      // RFC 9460: the target name is never compressed.
      DnsParseStatus status = readDnsName(message.subspan(offset + 2, rr.rdlength - 2u), 0, target, next);
      if (status != DnsParseStatus::kOk) return status;
      data = std::to_string(priority) + " " + target;
      return DnsParseStatus::kOk;
    }
    default:
      data = "<" + std::to_string(rr.rdlength) + " bytes>";
      return DnsParseStatus::kOk;
  }
}

}  // namespace

namespace {

// Reads a name into `out`, or with no `out` only checks and steps over it
// (the records that are not kept): the same checks and statuses either way.
DnsParseStatus walkDnsName(Bytes message, std::size_t offset, std::string* out, std::size_t& next) {
  if (out) out->clear();
  bool empty = true;
  std::size_t wire_length = 1;  // the root label
  std::size_t position = offset;
  bool jumped = false;
  int jumps = 0;
  for (;;) {
    if (position >= message.size()) return DnsParseStatus::kTruncatedName;
    std::uint8_t length = message[position];
    std::uint8_t type = length & 0xc0;
    if (type == 0xc0) {
      if (position + 1 >= message.size()) return DnsParseStatus::kTruncatedName;
      std::size_t target = static_cast<std::size_t>(((length & 0x3f) << 8) | message[position + 1]);
      if (target >= message.size()) return DnsParseStatus::kBadPointer;
      if (++jumps > kMaxPointerJumps) return DnsParseStatus::kPointerLoop;
      if (!jumped) next = position + 2;
      jumped = true;
      position = target;
      continue;
    }
    if (type != 0) return DnsParseStatus::kBadLabelType;
    if (length == 0) {
      if (!jumped) next = position + 1;
      if (out && empty) *out = ".";
      return DnsParseStatus::kOk;
    }
    wire_length += 1u + length;
    if (wire_length > kMaxNameWireLength) return DnsParseStatus::kNameTooLong;
    if (position + 1 + length > message.size()) return DnsParseStatus::kTruncatedName;
    if (out) {
      if (!empty) out->push_back('.');
      appendLabel(*out, message.data() + position + 1, length);
    }
    empty = false;
    position += 1u + length;
  }
}

}  // namespace

DnsParseStatus readDnsName(Bytes message, std::size_t offset, std::string& out, std::size_t& next) {
  return walkDnsName(message, offset, &out, next);
}

DnsParseStatus parseDnsMessage(Bytes message, core::DnsInfo& out, DnsParseStatus& records_error, std::size_t* end) {
  records_error = DnsParseStatus::kOk;
  if (message.size() < 12) return DnsParseStatus::kTooShort;
  const std::uint8_t* h = message.data();
  out.size = static_cast<std::uint32_t>(message.size());
  out.id = be16(h);
  std::uint16_t flags = be16(h + 2);
  out.is_response = (flags & 0x8000) != 0;
  out.opcode = static_cast<std::uint8_t>((flags >> 11) & 0x0f);
  out.authoritative = (flags & 0x0400) != 0;
  out.truncated = (flags & 0x0200) != 0;
  out.recursion_desired = (flags & 0x0100) != 0;
  out.recursion_available = (flags & 0x0080) != 0;
  out.authentic_data = (flags & 0x0020) != 0;
  out.checking_disabled = (flags & 0x0010) != 0;
  out.rcode = flags & 0x000f;
  out.question_count = be16(h + 4);
  out.answer_count = be16(h + 6);
  out.authority_count = be16(h + 8);
  out.additional_count = be16(h + 10);
  out.qname.clear();
  out.qtype = 0;
  out.qclass = 0;
  out.has_edns = false;
  out.edns_udp_size = 0;
  out.edns_version = 0;
  out.edns_dnssec_ok = false;
  out.edns_options.clear();

  std::size_t offset = 12;
  for (std::uint16_t i = 0; i < out.question_count; ++i) {
    std::size_t next = 0;
    DnsParseStatus status = walkDnsName(message, offset, i == 0 ? &out.qname : nullptr, next);
    if (status != DnsParseStatus::kOk) return status;
    offset = next;
    if (message.size() - offset < 4) return DnsParseStatus::kTruncatedQuestion;
    if (i == 0) {
      out.qtype = be16(message.data() + offset);
      out.qclass = be16(message.data() + offset + 2);
    }
    offset += 4;
  }

  // Answers are kept (up to kMaxKeptAnswers); authority is walked over;
  // additional is searched for the OPT record. Element strings are reused.
  std::size_t kept = 0;
  std::uint32_t records = static_cast<std::uint32_t>(out.answer_count) + out.authority_count + out.additional_count;
  for (std::uint32_t i = 0; i < records; ++i) {
    std::size_t next = 0;
    bool is_answer = i < out.answer_count;
    core::DnsAnswer* slot = nullptr;
    if (is_answer && kept < kMaxKeptAnswers) {
      if (kept == out.answers.size()) out.answers.emplace_back();
      slot = &out.answers[kept];
    }
    DnsParseStatus status = walkDnsName(message, offset, slot ? &slot->name : nullptr, next);
    if (status != DnsParseStatus::kOk) {
      records_error = status;
      break;
    }
    offset = next;
    RecordHeader rr{};
    status = readRecordHeader(message, offset, rr);
    if (status != DnsParseStatus::kOk) {
      records_error = status;
      break;
    }
    if (slot) {
      slot->type = rr.type;
      slot->ttl = rr.ttl;
      if (formatRdata(message, offset, rr, slot->data, slot->address) != DnsParseStatus::kOk) {
        // Keep the record, say its data is unreadable, go on: the rdata
        // length still frames the next record.
        records_error = DnsParseStatus::kBadRdata;
        slot->data = "<malformed " + std::to_string(rr.rdlength) + " bytes>";
      }
      ++kept;
    } else if (rr.type == kTypeOpt && i >= static_cast<std::uint32_t>(out.answer_count) + out.authority_count &&
               !out.has_edns) {
      out.has_edns = true;
      out.edns_udp_size = rr.klass;
      out.rcode = static_cast<std::uint16_t>(out.rcode | ((rr.ttl >> 24) << 4));
      out.edns_version = static_cast<std::uint8_t>((rr.ttl >> 16) & 0xff);
      out.edns_dnssec_ok = (rr.ttl & 0x8000) != 0;
      std::size_t o = offset;
      std::size_t end = offset + rr.rdlength;
      while (end - o >= 4) {
        std::uint16_t code = be16(message.data() + o);
        std::uint16_t length = be16(message.data() + o + 2);
        if (end - o - 4 < length) break;
        out.edns_options.push_back(code);
        o += 4u + length;
      }
      if (o != end) records_error = DnsParseStatus::kBadRdata;
    }
    offset += rr.rdlength;
  }
  out.answers.resize(kept);
  if (end) *end = offset;
  return DnsParseStatus::kOk;
}

bool decodeNetbiosName(std::string& name) {
  auto dot = name.find('.');
  std::size_t label = dot == std::string::npos ? name.size() : dot;
  if (label != 32) return false;
  for (std::size_t i = 0; i < 32; ++i) {
    if (name[i] < 'A' || name[i] > 'P') return false;
  }
  unsigned char bytes[16];
  for (std::size_t i = 0; i < 16; ++i) {
    bytes[i] = static_cast<unsigned char>(((name[2 * i] - 'A') << 4) | (name[2 * i + 1] - 'A'));
  }
  std::size_t length = 15;
  while (length > 0 && bytes[length - 1] == ' ') --length;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string decoded;
  auto hex = [&](unsigned char b) {
    decoded += '<';
    decoded += kHex[b >> 4];
    decoded += kHex[b & 0x0f];
    decoded += '>';
  };
  for (std::size_t i = 0; i < length; ++i) {
    if (bytes[i] > 0x20 && bytes[i] < 0x7f && bytes[i] != '<' && bytes[i] != '\\') {
      decoded += static_cast<char>(bytes[i]);
    } else {
      hex(bytes[i]);
    }
  }
  hex(bytes[15]);
  name = decoded + name.substr(label);
  return true;
}

bool looksLikeDns(const core::DnsInfo& m) {
  if (m.question_count != 1 || m.opcode != 0) return false;
  if (m.qclass != 1 && m.qclass != 255) return false;
  if (core::qtypeName(m.qtype).empty() || m.qtype == 41 /* OPT is never asked for */) return false;
  if (static_cast<std::uint32_t>(m.answer_count) + m.authority_count + m.additional_count > 100) return false;
  if (m.qname.empty() || m.qname == ".") return false;
  std::size_t label = 0;
  for (char ch : m.qname) {
    bool host_char = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                     ch == '_';
    if (ch == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (!host_char) {
      return false;
    } else {
      ++label;
    }
  }
  if (label == 0) return false;
  if (m.is_response) return (m.rcode & 0x0f) <= 5;
  // A query asks: it carries no answers, and no server flags.
  return m.answer_count == 0 && m.authority_count == 0 && m.additional_count <= 1 && !m.authoritative &&
         !m.truncated && !m.recursion_available && m.rcode == 0;
}

std::string_view dnsParseStatusName(DnsParseStatus status) {
  switch (status) {
    case DnsParseStatus::kOk: return "ok";
    case DnsParseStatus::kTooShort: return "dns_too_short";
    case DnsParseStatus::kTruncatedName: return "dns_truncated_name";
    case DnsParseStatus::kBadLabelType: return "dns_bad_label_type";
    case DnsParseStatus::kBadPointer: return "dns_bad_compression_pointer";
    case DnsParseStatus::kPointerLoop: return "dns_compression_loop";
    case DnsParseStatus::kNameTooLong: return "dns_name_too_long";
    case DnsParseStatus::kTruncatedQuestion: return "dns_truncated_question";
    case DnsParseStatus::kTruncatedRecord: return "dns_truncated_record";
    case DnsParseStatus::kBadRdata: return "dns_bad_rdata";
    case DnsParseStatus::kCount: break;
  }
  return "unknown";
}

}  // namespace dnsleak::classify
