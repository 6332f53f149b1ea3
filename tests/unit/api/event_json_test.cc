#include "api/event_json.h"

#include <gtest/gtest.h>

#include <string>

#include "api/convert.h"

namespace dnsleak::api {
namespace {

using namespace std::chrono_literals;

// What protobuf prints for the same event: the mapping appendEventJson must
// keep, byte for byte.
std::string viaProtobuf(const core::Event& e) {
  v1::Event message;
  toProto(e, &message);
  return toJson(message);
}

std::string direct(const core::Event& e) {
  std::string out;
  appendEventJson(e, out);
  return out;
}

core::Event fullEvent() {
  core::Event e;
  e.seq = 18446744073709551615ull;
  e.count = 3;
  e.time = core::Timestamp(1'700'000'000'123'456'789ns);
  e.first_seen = core::Timestamp(1'700'000'000'120'000'000ns);
  e.last_seen = core::Timestamp(1'700'000'001'000'000'000ns);
  e.transport = core::Transport::kDnsTcp;
  e.kind = core::MessageKind::kQuery;
  e.recognition = core::RecognitionMethod::kContent;
  e.recognition_confidence = core::Confidence::kMedium;
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kC;
  e.profile = "split";
  e.rule = "split/proxy-required-direct";
  e.reason = "a <reason> with \"quotes\", a back\\slash & tabs\t and\nnewlines";
  e.remediation = "`resolvectl domain <tunnel> '~.'`";
  e.dns.id = 65535;
  e.dns.is_response = true;
  e.dns.opcode = 2;
  e.dns.rcode = 3;
  e.dns.qname = "xn--bcher-kva.example";
  e.dns.qtype = 65;
  e.dns.qclass = 1;
  e.dns.question_count = 1;
  e.dns.answer_count = 2;
  e.dns.authority_count = 1;
  e.dns.additional_count = 1;
  e.dns.truncated = true;
  e.dns.recursion_desired = true;
  e.dns.recursion_available = true;
  e.dns.authentic_data = true;
  e.dns.checking_disabled = true;
  e.dns.authoritative = true;
  e.dns.answers.push_back({"a.example", 1, 300, "192.0.2.1"});
  e.dns.answers.push_back({"a.example", 16, 0, "<12 bytes>"});
  e.dns.has_edns = true;
  e.dns.edns_udp_size = 1232;
  e.dns.edns_version = 0;
  e.dns.edns_dnssec_ok = true;
  e.dns.edns_options = {10, 12};
  e.dns.size = 512;
  e.dns.parse_error = "answer 3: name runs past the message";
  e.sni = "dns.example.net";
  e.alpn = {"h2", "http/1.1"};
  e.source = {*core::IpAddress::parse("2001:db8::10"), 40001};
  e.destination = {*core::IpAddress::parse("198.51.100.53"), 53};
  e.resolver = e.destination;
  e.ip_version = 6;
  e.ip_protocol = 6;
  e.interface = {3, "eth0", "ether"};
  e.direction = core::Direction::kOutbound;
  e.tunnel = "vxlan vni 42";
  e.process.pid = 4242;
  e.process.tgid = 4240;
  e.process.name = "curl";
  e.process.exe = "/usr/bin/curl";
  e.process.cmdline = "curl https://example.com/";
  e.process.uid = 1000;
  e.process.user = "alice";
  e.process.unit = "user@1000.service";
  e.process.cgroup = "/user.slice";
  e.process.container_id = "0123abcd";
  e.process.parents = {{100, "bash"}, {1, "systemd"}};
  e.attribution = {"ebpf", core::Confidence::kHigh, core::AttributionFailure::kNone, "sent at connect"};
  e.geo = {"NL", "Amsterdam", 64496, "Example AS"};
  e.signals = {"edns-client-subnet", "dnssec-ok"};
  e.exchange = {true, true, 10ms, 56};
  return e;
}

TEST(EventJson, EveryFieldAsProtobufPrintsIt) {
  core::Event e = fullEvent();
  EXPECT_EQ(direct(e), viaProtobuf(e));
}

TEST(EventJson, AnEmptyEventAsProtobufPrintsIt) {
  core::Event e;
  EXPECT_EQ(direct(e), viaProtobuf(e));
}

TEST(EventJson, OptionalPartsLeftOutAsProtobufLeavesThem) {
  core::Event e = fullEvent();
  e.dns.has_edns = false;
  e.geo = {};
  e.exchange = {true, false, 0ns, 0};  // waited in vain: no response time
  EXPECT_EQ(direct(e), viaProtobuf(e));
  e.exchange = {};
  e.geo.asn = 64496;  // an ASN alone is printed
  EXPECT_EQ(direct(e), viaProtobuf(e));
}

TEST(EventJson, FractionsOfSecondsAsProtobufShortensThem) {
  core::Event e;
  for (auto ns : {0ns, 1ns, 999'999'999ns, 1'000ns, 120'000ns, 5'000'000ns, 1'500'000'000ns}) {
    e.time = core::Timestamp(1'600'000'000s + ns);
    e.first_seen = core::Timestamp(ns);
    e.last_seen = core::Timestamp(253'402'300'799s);  // 9999-12-31T23:59:59Z, the last protobuf allows
    e.exchange = {true, true, ns, 1};
    EXPECT_EQ(direct(e), viaProtobuf(e)) << ns.count();
  }
}

TEST(EventJson, EveryAsciiByteAndUnicodeEscapedAsProtobufEscapesThem) {
  core::Event e;
  std::string all;
  for (int c = 1; c < 128; ++c) all.push_back(static_cast<char>(c));
  e.reason = all;
  e.dns.qname = "b\xc3\xbc" "cher.example";                 // two-byte UTF-8
  e.sni = "\xe2\x80\xa8 \xe2\x80\xa9 \xe2\x82\xac \xe4\xb8\xad";  // U+2028, U+2029, euro, CJK
  e.tunnel = "\xf0\x9f\x98\x80";                              // four bytes
  EXPECT_EQ(direct(e), viaProtobuf(e));
}

TEST(EventJson, BytesThatAreNotUtf8AsProtobufPrintsThem) {
  core::Event e;
  for (const char* bad : {"\xff\xfe", "caf\xe9", "\xe2\x80", "\xc3", "\x80 lone", "\xed\xa0\x80",
                          "\xe2\x80X", "\xc0\xaf", "\xf4\x90\x80\x80", "\xf0\x9f\x98",
                          "\xf8\x88\x80\x80\x80", "\xe0\x80\xaf", "\xc1\xbf", "\xc0\xa2", "\xf5\x80\x80\x80",
                          "\xf7\xbf\xbf\xbf", "ok \xe2\x80\xa8 then \xff end"}) {
    e.dns.qname = bad;
    EXPECT_EQ(direct(e), viaProtobuf(e)) << bad;
  }
}

}  // namespace
}  // namespace dnsleak::api
