// The live capture's BPF filter, the same on every platform (pcap_source.cc
// on Linux, npcap_source_windows.cc on Windows): only the text, which each
// platform's libpcap compiles.

#include <string>

#include "capture/capture_source.h"

namespace dnsleak::capture {
namespace {

// DLT_EN10MB, without libpcap's header.
constexpr int kLinkTypeEthernet = 1;

// What the pipeline reads live: DNS on port 53; mDNS, LLMNR and
// NetBIOS-NS; DNS over TLS on TCP/853; of what a client sends to TCP/443,
// the segments that open, push or close (its ClientHello says whether the
// connection is DNS over HTTPS: the hello's first segment passes by its
// content below, a hello's last is pushed; the server's side and the
// client's bulk segments, most of HTTPS traffic, are left out; IPv6 by its
// fixed header); DoQ's UDP ports; QUIC
// long-header packets to UDP/443 (a connection's first packets, whose
// Initial says whether it is DoH over HTTP/3); and IP fragments, whose
// later pieces carry no port (IPv4 with a fragment offset; IPv6 whose first
// extension header is a fragment header). And DNS on any other port, by a
// cheap look at what would be its header: one question, opcode 0, the zero
// bit clear (random payloads pass about once in two million; the classifier
// then judges by the whole message). TCP: a segment that starts with a
// length-prefixed message. IPv6 by its fixed header, libpcap's udp[] and
// tcp[] being IPv4's. Cleartext DNS over HTTP is followed in files only:
// a filter sees packets, not flows. For DNS over HTTPS to servers no list
// names, the shape of a connection: the small pushed segments of HTTPS
// servers on 443, and both sides' on 8443 (requests and responses of DNS
// size; a page's bulk, larger and mostly not pushed, stays out).
constexpr const char* kFilter =
    "port 53 or udp port 5353 or port 5355 or udp port 137 or tcp port 853"
    " or (ip and tcp dst port 443 and tcp[13] & 0x0f != 0)"
    " or (ip6 and ip6[6] = 6 and ip6[42:2] = 443 and ip6[53] & 0x0f != 0)"
    " or (ip and tcp src port 443 and tcp[13] & 0x08 != 0 and ip[2:2] <= 1100)"
    " or (ip6 and ip6[6] = 6 and ip6[40:2] = 443 and ip6[53] & 0x08 != 0 and ip6[4:2] <= 1080)"
    " or (ip and tcp port 8443 and tcp[13] & 0x0f != 0 and ip[2:2] <= 1100)"
    " or (ip6 and ip6[6] = 6 and (ip6[40:2] = 8443 or ip6[42:2] = 8443) and ip6[53] & 0x0f != 0"
    " and ip6[4:2] <= 1080)"
    " or udp port 853 or udp port 784 or udp port 8853"
    " or (udp dst port 443 and udp[8] & 0x80 != 0)"
    " or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] = 44)";
// With capture.tunnels, encapsulated traffic too (VXLAN, Geneve, GRE,
// IP-in-IP, 6in4): all of a tunnel's traffic then crosses into user space.
constexpr const char* kTunnelFilter =
    " or udp dst port 4789 or udp dst port 8472 or udp dst port 6081"
    " or ip proto 47 or ip proto 4 or ip proto 41 or ip6 proto 47 or ip6 proto 4 or ip6 proto 41";
// For Leak-D: the first packet of every TCP connection this host opens (a
// SYN without ACK; IPv6 by its fixed header, libpcap's tcp[] being IPv4's).
// One packet per connection; TLS and QUIC hellos to 443 already pass.
constexpr const char* kConnectionFilter =
    " or (tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn) or (ip6 and ip6[6] = 6 and ip6[53] & 0x12 = 0x02)";
// DNS on any other port, by a look at what would be its header. These
// loads reach into the payload, and a BPF load past a packet's end ends the
// whole filter with "drop": so they come after every clause that must see
// short packets (a bare SYN above all), and only the vlan clause follows.
constexpr const char* kContentFilter =
    " or (udp and udp[12:2] = 1 and udp[10] & 0x78 = 0 and udp[11] & 0x40 = 0)"
    " or (ip6 and ip6[6] = 17 and ip6[52:2] = 1 and ip6[50] & 0x78 = 0 and ip6[51] & 0x40 = 0)"
    " or (tcp and tcp[((tcp[12] & 0xf0) >> 2) + 6 : 2] = 1 and tcp[((tcp[12] & 0xf0) >> 2) + 4] & 0x78 = 0)"
    " or (ip6 and ip6[6] = 6 and ip6[40 + ((ip6[52] & 0xf0) >> 2) + 6 : 2] = 1)"
    // A TLS ClientHello on any TCP port (a handshake record whose first
    // message is a ClientHello: DoH to a listed name on 8443, 453, ...),
    // and a QUIC v1 or v2 long-header packet on any UDP port. Only the
    // segment that starts the hello: one that spans more segments is read
    // as far as this one goes.
    " or (tcp and tcp[((tcp[12] & 0xf0) >> 2)] = 0x16 and tcp[((tcp[12] & 0xf0) >> 2) + 1] = 3"
    " and tcp[((tcp[12] & 0xf0) >> 2) + 5] = 1)"
    " or (ip6 and ip6[6] = 6 and ip6[40 + ((ip6[52] & 0xf0) >> 2)] = 0x16"
    " and ip6[40 + ((ip6[52] & 0xf0) >> 2) + 5] = 1)"
    " or (udp and udp[8] & 0xc0 = 0xc0 and (udp[9:4] = 1 or udp[9:4] = 0x6b3343cf))"
    " or (ip6 and ip6[6] = 17 and ip6[48] & 0xc0 = 0xc0 and (ip6[49:4] = 1 or ip6[49:4] = 0x6b3343cf))";
// On Ethernet, DNS inside a VLAN tag the kernel left in the frame. Last:
// "vlan" shifts the offsets of everything after it in a filter.
constexpr const char* kVlanFilter = " or (vlan and port 53)";

}  // namespace

std::string liveFilter(int link_type, bool tunnels, bool connections) {
  std::string filter = kFilter;
  if (tunnels) filter += kTunnelFilter;
  if (connections) filter += kConnectionFilter;
  filter += kContentFilter;
  if (link_type == kLinkTypeEthernet) filter += kVlanFilter;
  return filter;
}

std::string combinedFilter(const std::string& ours, const std::string& user) {
  if (user.empty()) return ours;
  return "(" + user + ") and (" + ours + ")";
}

}  // namespace dnsleak::capture
