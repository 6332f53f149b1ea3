#include "core/event.h"

#include <charconv>

namespace dnsleak::core {

void appendEndpoint(std::string& out, const Endpoint& ep) {
  char buf[kMaxAddressText + 8];
  char* p = buf;
  if (ep.address.isV6()) {
    *p++ = '[';
    p += formatIpv6(ep.address.bytes().data(), p);
    *p++ = ']';
  } else if (ep.address.isV4()) {
    p += formatIpv4(ep.address.bytes().data(), p);
  }
  *p++ = ':';
  p = std::to_chars(p, buf + sizeof buf, ep.port).ptr;
  out.append(buf, p);
}

std::string describeEndpoint(const Endpoint& ep) {
  std::string out;
  appendEndpoint(out, ep);
  return out;
}

std::string_view transportName(Transport t) {
  switch (t) {
    case Transport::kDnsUdp: return "dns-udp";
    case Transport::kDnsTcp: return "dns-tcp";
    case Transport::kDot: return "dot";
    case Transport::kDoh: return "doh";
    case Transport::kDoq: return "doq";
    case Transport::kDnsCrypt: return "dnscrypt";
    case Transport::kMdns: return "mdns";
    case Transport::kLlmnr: return "llmnr";
    case Transport::kNbns: return "nbns";
    case Transport::kDnsHttp: return "dns-http";
    case Transport::kUnspecified: break;
  }
  return "unspecified";
}

std::string_view leakTypeName(LeakType t) {
  switch (t) {
    case LeakType::kA: return "Leak-A";
    case LeakType::kB: return "Leak-B";
    case LeakType::kC: return "Leak-C";
    case LeakType::kD: return "Leak-D";
    case LeakType::kTunnel: return "DNS-tunnel";
    case LeakType::kNone: break;
  }
  return "none";
}

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::kOk: return "ok";
    case Verdict::kLeak: return "leak";
    case Verdict::kInfo: return "info";
    case Verdict::kUnspecified: break;
  }
  return "unspecified";
}

std::string_view qtypeName(std::uint16_t qtype) {
  switch (qtype) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 39: return "DNAME";
    case 41: return "OPT";
    case 43: return "DS";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 50: return "NSEC3";
    case 52: return "TLSA";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 99: return "SPF";
    case 252: return "AXFR";
    case 255: return "ANY";
    case 257: return "CAA";
    default: return "";
  }
}

std::string_view qtypeName(std::uint16_t qtype, Transport transport) {
  if (transport == Transport::kNbns) {
    if (qtype == 32) return "NB";
    if (qtype == 33) return "NBSTAT";
  }
  return qtypeName(qtype);
}

std::string_view rcodeName(std::uint16_t rcode) {
  switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 6: return "YXDOMAIN";
    case 7: return "YXRRSET";
    case 8: return "NXRRSET";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
    case 16: return "BADVERS";
    case 23: return "BADCOOKIE";
    default: return "";
  }
}

}  // namespace dnsleak::core
