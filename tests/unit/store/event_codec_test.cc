#include "store/event_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <thread>

#include "api/event_json.h"
#include "sample_event.h"

namespace dnsleak::store {
namespace {

using namespace std::chrono_literals;

// Every field, compared through its JSON form (which prints them all).
std::string json(const core::Event& e) {
  std::string out;
  api::appendEventJson(e, out);
  return out;
}

core::Event fullEvent() { return testing::sampleEvent(); }

// Packs `e` with its bytes kept in `kept`, as the store keeps them in its
// blocks: pack's own buffer is overwritten by the next pack.
PackedEvent packKept(const core::Event& e, StringTable& strings, std::string_view previous, std::string& kept) {
  PackedEvent packed;
  kept = pack(e, strings, previous, packed);
  packed.bytes = kept;
  return packed;
}

TEST(EventCodec, EveryFieldComesBack) {
  StringTable strings;
  std::string kept;
  core::Event e = fullEvent();
  PackedEvent packed = packKept(e, strings, "", kept);
  core::Event back;
  ASSERT_TRUE(unpack(packed, strings, back));
  EXPECT_EQ(json(back), json(e));
  core::Event empty;
  packed = packKept(empty, strings, "", kept);
  ASSERT_TRUE(unpack(packed, strings, back));
  EXPECT_EQ(json(back), json(empty));
}

TEST(EventCodec, AReasonsTailSharedWithTheOneBeforeIsKeptOnce) {
  StringTable strings;
  core::Event first = fullEvent();
  first.dns.qname = "a.example";
  first.reason = "plaintext DNS query for a.example (A) to 198.51.100.53:53 left via eth0, outside the safe path";
  core::Event second = fullEvent();
  second.dns.qname = "b.example";
  second.reason = "plaintext DNS query for b.example (A) to 198.51.100.53:53 left via eth0, outside the safe path";
  std::string kept_alone, kept_b;
  PackedEvent alone = packKept(second, strings, "", kept_alone);
  PackedEvent b = packKept(second, strings, first.reason, kept_b);
  // " (A) to 198.51.100.53:53 left via eth0, outside the safe path" is a
  // number now.
  EXPECT_LT(b.bytes.size() + 40, alone.bytes.size());
  core::Event back;
  ASSERT_TRUE(unpack(b, strings, back));
  EXPECT_EQ(back.reason, second.reason);
  EXPECT_EQ(json(back), json(second));
}

// The table's check of lately asked strings compares short ones by words
// from each end: a string that differs from a recent one (same length,
// same last byte, so the same slot) in any one byte is never taken for it.
TEST(EventCodec, AStringDifferingFromARecentOneInAnyByteIsItsOwn) {
  for (std::size_t n = 2; n <= 40; ++n) {
    for (std::size_t at = 0; at + 1 < n; ++at) {
      StringTable strings;
      std::string a(n, 'x');
      for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + (i * 7 + n) % 26);
      std::string b = a;
      b[at] = static_cast<char>(b[at] ^ 0x20);
      const auto id_a = strings.intern(a);
      ASSERT_NE(id_a, 0u);
      EXPECT_EQ(strings.recentId(b), 0u) << "length " << n << ", differing at " << at;
      const auto id_b = strings.intern(b);
      EXPECT_NE(id_b, id_a) << "length " << n << ", differing at " << at;
      EXPECT_EQ(strings.at(id_b), b);
      EXPECT_EQ(strings.recentId(b), id_b);
    }
  }
}

TEST(EventCodec, AFullTableWritesStringsIntoTheEvent) {
  StringTable strings;
  for (std::size_t i = 0; i < StringTable::kMaxStrings; ++i) ASSERT_NE(strings.intern("s" + std::to_string(i)), 0u);
  EXPECT_EQ(strings.intern("one more"), 0u);
  EXPECT_EQ(strings.intern("s7"), 8u);  // what is there stays
  core::Event e = fullEvent();
  std::string kept;
  PackedEvent packed = packKept(e, strings, "", kept);
  core::Event back;
  ASSERT_TRUE(unpack(packed, strings, back));
  EXPECT_EQ(json(back), json(e));
}

// pack() counts the room an event can take before it writes, and writes
// with no check of its own: this event takes the most a field can take
// wherever it can (long texts, none in the table, numbers of ten bytes), on
// a thread whose buffer has never grown, so that a field written without
// being counted runs past it (ASan, in CI, names the byte).
TEST(EventCodec, AnEventAtItsLargestFitsTheRoomCountedForIt) {
  StringTable strings;
  for (std::size_t i = 0; i < StringTable::kMaxStrings; ++i) ASSERT_NE(strings.intern("s" + std::to_string(i)), 0u);
  core::Event e = fullEvent();
  const std::string text(300, 'x');
  for (std::string* field : {&e.profile,
                             &e.rule,
                             &e.remediation,
                             &e.dns.parse_error,
                             &e.sni,
                             &e.interface.name,
                             &e.interface.kind,
                             &e.tunnel,
                             &e.process.name,
                             &e.process.exe,
                             &e.process.cmdline,
                             &e.process.user,
                             &e.process.unit,
                             &e.process.cgroup,
                             &e.process.container_id,
                             &e.attribution.method,
                             &e.attribution.detail,
                             &e.geo.country,
                             &e.geo.city,
                             &e.geo.as_org}) {
    *field = text + *field;
  }
  e.dns.qname = std::string(250, 'q');
  e.reason = "before " + e.dns.qname + " after " + text;
  // Times whose varints take all ten bytes (first_seen is kept as its
  // distance from time).
  e.time = core::Timestamp(std::chrono::nanoseconds(4'000'000'000'000'000'000));
  e.first_seen = core::Timestamp(std::chrono::nanoseconds(-4'000'000'000'000'000'000));
  e.exchange.response_time = std::chrono::nanoseconds(-4'600'000'000'000'000'000);
  e.process.pid = e.process.tgid = e.process.uid = std::numeric_limits<std::uint32_t>::max();
  e.interface.index = e.geo.asn = e.dns.size = std::numeric_limits<std::uint32_t>::max();
  for (int i = 0; i < 20; ++i) {
    e.dns.answers.push_back({text + "name", 65535, std::numeric_limits<std::uint32_t>::max(), text + "data", {}});
    e.dns.edns_options.push_back(65535);
    e.alpn.push_back(text + "alpn");
    e.process.parents.push_back({std::numeric_limits<std::uint32_t>::max(), text + "parent"});
    e.signals.push_back(text + "signal");
    e.evidence.push_back({text + "evidence", -0.1, text + "why"});
  }
  e.source.address = e.destination.address = e.resolver.address = *core::IpAddress::parse("2001:db8::ffff:ffff");
  std::string kept;
  PackedEvent packed;
  std::thread([&] {
    kept = pack(e, strings, e.reason, packed);  // the reason's tail shared with itself: the shared path too
  }).join();
  packed.bytes = kept;
  EXPECT_GT(kept.size(), 20u * 6 * 300);
  core::Event back;
  ASSERT_TRUE(unpack(packed, strings, back));
  EXPECT_EQ(json(back), json(e));
}

TEST(EventCodec, WhatWasNotPackedHereIsRefused) {
  StringTable strings;
  std::string kept;
  PackedEvent packed = packKept(fullEvent(), strings, "", kept);
  core::Event back;
  for (std::size_t cut = 0; cut < packed.bytes.size(); ++cut) {
    PackedEvent truncated = packed;
    truncated.bytes = packed.bytes.substr(0, cut);
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
    e.evidence = {};  // a finding's, not a leak's
    e.dns.qname = "host-" + std::to_string(i) + ".a-rather-long-subdomain-for-size.example.com";
    e.reason = "plaintext DNS query for " + e.dns.qname +
               " (A) to 198.51.100.53:53 left via interface #2, outside the safe path (safe interfaces: wg*, "
               "tun*, tap*, ppp*, ipsec*, kind:wireguard, kind:tun; safe resolvers: none)";
    e.remediation = std::string(350, 'r');
    std::string kept;
    PackedEvent packed = packKept(e, strings, previous, kept);
    previous = e.reason;
    total += packedSize(packed);
  }
  EXPECT_LT(total / 1000, 300u) << total / 1000;  // 270 today: the slot and the packed bytes
}

}  // namespace
}  // namespace dnsleak::store
