#include "store/event_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "api/event_json.h"

namespace dnsleak::store {
namespace {

using namespace std::chrono_literals;

// Every field, compared through its JSON form (which prints them all).
std::string json(const core::Event& e) {
  std::string out;
  api::appendEventJson(e, out);
  return out;
}

core::Event fullEvent() {
  core::Event e;
  e.seq = 77;
  e.count = 5;
  e.time = core::Timestamp(1'700'000'000'123'456'789ns);
  e.first_seen = core::Timestamp(1'699'999'990'000'000'001ns);
  e.last_seen = core::Timestamp(1'700'000'100'000'000'000ns);
  e.transport = core::Transport::kDnsTcp;
  e.kind = core::MessageKind::kQuery;
  e.recognition = core::RecognitionMethod::kContent;
  e.recognition_confidence = core::Confidence::kMedium;
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kC;
  e.profile = "split";
  e.rule = "split/proxy-required-direct";
  e.reason = "plaintext DNS query for a.example (A) to 198.51.100.53:53 left via eth0, outside the safe path";
  e.remediation = "send all DNS through the tunnel";
  e.dns = {65535, true, 2, 3, "a.example", 65, 1, 1, 2, 1, 1, true, true, true, true, true, true,
           {{"a.example", 1, 300, "192.0.2.1"}, {"cname.example", 5, 0, "b.example"}},
           true, 1232, 0, true, {10, 12}, 512, "answer 3: name runs past the message"};
  e.exchange = {true, true, 10ms, 56};
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
  e.process = {4242, 4240, "curl", "/usr/bin/curl", "curl https://example.com/", 1000, "alice",
               "user@1000.service", "/user.slice", "0123abcd", {{100, "bash"}, {1, "systemd"}}};
  e.attribution = {"ebpf", core::Confidence::kHigh, core::AttributionFailure::kNone, "sent at connect"};
  e.geo = {"NL", "Amsterdam", 64496, "Example AS"};
  e.signals = {"edns-client-subnet"};
  return e;
}

TEST(EventCodec, EveryFieldComesBack) {
  StringTable strings;
  PackedEvent packed;
  core::Event e = fullEvent();
  pack(e, strings, "", packed);
  core::Event back;
  ASSERT_TRUE(unpack(packed, strings, back));
  EXPECT_EQ(json(back), json(e));
  core::Event empty;
  pack(empty, strings, "", packed);
  ASSERT_TRUE(unpack(packed, strings, back));
  EXPECT_EQ(json(back), json(empty));
}

TEST(EventCodec, AReasonsTailSharedWithTheOneBeforeIsKeptOnce) {
  StringTable strings;
  core::Event first = fullEvent();
  core::Event second = fullEvent();
  second.dns.qname = "b.example";
  second.reason = "plaintext DNS query for b.example (A) to 198.51.100.53:53 left via eth0, outside the safe path";
  PackedEvent a, b;
  pack(first, strings, "", a);
  pack(second, strings, first.reason, b);
  EXPECT_LT(b.bytes.size() + 50, a.bytes.size());  // the tail is a number now
  core::Event back;
  ASSERT_TRUE(unpack(b, strings, back));
  EXPECT_EQ(back.reason, second.reason);
  EXPECT_EQ(json(back), json(second));
}

TEST(EventCodec, AFullTableWritesStringsIntoTheEvent) {
  StringTable strings;
  for (std::size_t i = 0; i < StringTable::kMaxStrings; ++i) ASSERT_NE(strings.intern("s" + std::to_string(i)), 0u);
  EXPECT_EQ(strings.intern("one more"), 0u);
  EXPECT_EQ(strings.intern("s7"), 8u);  // what is there stays
  core::Event e = fullEvent();
  PackedEvent packed;
  pack(e, strings, "", packed);
  core::Event back;
  ASSERT_TRUE(unpack(packed, strings, back));
  EXPECT_EQ(json(back), json(e));
}

TEST(EventCodec, WhatWasNotPackedHereIsRefused) {
  StringTable strings;
  PackedEvent packed;
  pack(fullEvent(), strings, "", packed);
  core::Event back;
  for (std::size_t cut = 0; cut < packed.bytes.size(); ++cut) {
    PackedEvent truncated = packed;
    truncated.bytes.resize(cut);
    EXPECT_FALSE(unpack(truncated, strings, back)) << cut;
  }
  StringTable other;  // the numbers mean nothing there
  EXPECT_FALSE(unpack(packed, other, back));
}

// Issue 13: 2 KB per stored event made 100k events 229 MB.
TEST(EventCodec, ATypicalLeakPacksInAFewHundredBytes) {
  StringTable strings;
  std::string previous;
  std::size_t total = 0;
  for (int i = 0; i < 1000; ++i) {
    core::Event e = fullEvent();
    e.process = {};
    e.geo = {};
    e.dns.qname = "host-" + std::to_string(i) + ".a-rather-long-subdomain-for-size.example.com";
    e.reason = "plaintext DNS query for " + e.dns.qname +
               " (A) to 198.51.100.53:53 left via interface #2, outside the safe path (safe interfaces: wg*, "
               "tun*, tap*, ppp*, ipsec*, kind:wireguard, kind:tun; safe resolvers: none)";
    e.remediation = std::string(350, 'r');
    PackedEvent packed;
    pack(e, strings, previous, packed);
    previous = e.reason;
    total += packedSize(packed);
  }
  EXPECT_LT(total / 1000, 300u) << total / 1000;  // 288 today
}

}  // namespace
}  // namespace dnsleak::store
