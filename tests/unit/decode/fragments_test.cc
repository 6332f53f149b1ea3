#include "decode/fragments.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decode/decoder.h"
#include "packet_builder.h"

namespace dnsleak::decode {
namespace {

using testing::Bytes;

core::Timestamp at(int seconds) { return core::Timestamp(std::chrono::seconds(seconds)); }

Bytes bigUdp(std::size_t payload, const char* src = "198.51.100.1", const char* dst = "192.0.2.1") {
  Bytes data(payload);
  for (std::size_t i = 0; i < payload; ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  return testing::ipUdp({src, 53}, {dst, 40000}, data);
}

// The reassembled packet decodes to the same UDP payload as the original.
void expectSamePayload(std::span<const std::uint8_t> whole, const Bytes& original) {
  DecodedPacket a, b;
  ASSERT_EQ(decodeIp(whole, a), DecodeStatus::kOk);
  ASSERT_EQ(decodeIp(original, b), DecodeStatus::kOk);
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst_port, b.dst_port);
  ASSERT_EQ(a.payload.size(), b.payload.size());
  EXPECT_TRUE(std::equal(a.payload.begin(), a.payload.end(), b.payload.begin()));
}

TEST(Fragments, Ipv4InOrder) {
  FragmentReassembler r;
  Bytes ip = bigUdp(3000);
  auto pieces = testing::fragmentIpv4(ip, 1200);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_TRUE(r.add(pieces[0], at(1)).empty());
  EXPECT_TRUE(r.add(pieces[1], at(1)).empty());
  auto whole = r.add(pieces[2], at(1));
  ASSERT_FALSE(whole.empty());
  expectSamePayload(whole, ip);
  EXPECT_EQ(r.counters().get(FragmentEvent::kReassembled), 1u);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bufferedBytes(), 0u);
}

TEST(Fragments, Ipv4OutOfOrderWithDuplicate) {
  FragmentReassembler r;
  Bytes ip = bigUdp(3000);
  auto pieces = testing::fragmentIpv4(ip, 1200);
  EXPECT_TRUE(r.add(pieces[2], at(1)).empty());
  EXPECT_TRUE(r.add(pieces[0], at(1)).empty());
  EXPECT_TRUE(r.add(pieces[0], at(1)).empty());  // exact duplicate: ignored
  auto whole = r.add(pieces[1], at(1));
  ASSERT_FALSE(whole.empty());
  expectSamePayload(whole, ip);
  EXPECT_EQ(r.counters().get(FragmentEvent::kOverlap), 0u);
}

TEST(Fragments, Ipv6) {
  FragmentReassembler r;
  Bytes ip = bigUdp(2500, "2001:db8::1", "2001:db8::2");
  auto pieces = testing::fragmentIpv6(ip, 1232, 0xabcdef);
  ASSERT_EQ(pieces.size(), 3u);
  DecodedPacket first;
  EXPECT_EQ(decodeIp(pieces[0], first), DecodeStatus::kIgnoredFragment);
  EXPECT_TRUE(r.add(pieces[1], at(1)).empty());
  EXPECT_TRUE(r.add(pieces[0], at(1)).empty());
  auto whole = r.add(pieces[2], at(1));
  ASSERT_FALSE(whole.empty());
  expectSamePayload(whole, ip);
}

TEST(Fragments, OverlapDropsTheWholeDatagram) {
  FragmentReassembler r;
  Bytes ip = bigUdp(3000);
  auto pieces = testing::fragmentIpv4(ip, 1200);
  auto shifted = testing::fragmentIpv4(ip, 1192);  // second piece starts 8 bytes earlier
  EXPECT_TRUE(r.add(pieces[0], at(1)).empty());
  EXPECT_TRUE(r.add(shifted[1], at(1)).empty());
  EXPECT_EQ(r.counters().get(FragmentEvent::kOverlap), 1u);
  EXPECT_EQ(r.datagrams(), 0u);
  // What arrives later for it cannot complete it.
  EXPECT_TRUE(r.add(pieces[1], at(1)).empty());
  EXPECT_TRUE(r.add(pieces[2], at(1)).empty());
}

TEST(Fragments, DatagramsFromDifferentSourcesDoNotMix) {
  FragmentReassembler r;
  Bytes a = bigUdp(2000, "198.51.100.1");
  Bytes b = bigUdp(2000, "198.51.100.2");
  auto pa = testing::fragmentIpv4(a, 1200);
  auto pb = testing::fragmentIpv4(b, 1200);
  EXPECT_TRUE(r.add(pa[0], at(1)).empty());
  EXPECT_TRUE(r.add(pb[1], at(1)).empty());
  EXPECT_EQ(r.datagrams(), 2u);
  expectSamePayload(r.add(pa[1], at(1)), a);
  expectSamePayload(r.add(pb[0], at(1)), b);
}

TEST(Fragments, IncompleteDatagramsExpire) {
  FragmentReassembler r({16, 1u << 20, std::chrono::seconds(30)});
  auto pieces = testing::fragmentIpv4(bigUdp(3000), 1200);
  r.add(pieces[0], at(100));
  EXPECT_EQ(r.datagrams(), 1u);
  r.add(testing::fragmentIpv4(bigUdp(3000, "198.51.100.9"), 1200)[0], at(140));
  EXPECT_EQ(r.counters().get(FragmentEvent::kExpired), 1u);
  EXPECT_EQ(r.datagrams(), 1u);
  EXPECT_TRUE(r.add(pieces[1], at(140)).empty());  // its datagram is gone
}

TEST(Fragments, LimitsOnDatagramsAndBytes) {
  FragmentReassembler r({4, 5000, std::chrono::seconds(30)});
  for (int i = 0; i < 10; ++i) {
    std::string src = "198.51.100." + std::to_string(10 + i);
    r.add(testing::fragmentIpv4(bigUdp(3000, src.c_str()), 1200)[0], at(1));
    EXPECT_LE(r.datagrams(), 4u);
    EXPECT_LE(r.bufferedBytes(), 5000u);
  }
  EXPECT_GE(r.counters().get(FragmentEvent::kEvicted), 6u);
}

// Under a flood of first fragments the datagram that came first goes, never
// the newest (unordered_map's begin() often is): a response whose first
// fragment came just before the flood's last still completes.
TEST(Fragments, AFullTableGivesUpTheDatagramThatCameFirst) {
  FragmentReassembler r({4, 1u << 20, std::chrono::seconds(30)});
  auto datagram = [](int n) {
    std::string src = "198.51.100." + std::to_string(n);
    return bigUdp(2000, src.c_str());
  };
  std::vector<std::vector<Bytes>> pieces;
  for (int n = 1; n <= 6; ++n) pieces.push_back(testing::fragmentIpv4(datagram(n), 1200));
  for (int n = 1; n <= 5; ++n) EXPECT_TRUE(r.add(pieces[n - 1][0], at(n)).empty());  // 1 goes
  EXPECT_TRUE(r.add(pieces[5][0], at(6)).empty());                                  // then 2
  EXPECT_EQ(r.counters().get(FragmentEvent::kEvicted), 2u);
  for (int n : {3, 4, 5, 6}) expectSamePayload(r.add(pieces[n - 1][1], at(7)), datagram(n));
  EXPECT_TRUE(r.add(pieces[0][1], at(7)).empty());  // 1's first half is gone
}

// Past the byte budget the same order holds, and the datagram growing now
// is never the one pushed out for it.
TEST(Fragments, PastTheByteBudgetTheDatagramThatCameFirstGoes) {
  FragmentReassembler r({16, 4000, std::chrono::seconds(30)});
  auto one = testing::fragmentIpv4(bigUdp(2000, "198.51.100.1"), 1200);
  auto two = testing::fragmentIpv4(bigUdp(2000, "198.51.100.2"), 1200);
  auto three = testing::fragmentIpv4(bigUdp(2000, "198.51.100.3"), 1200);
  EXPECT_TRUE(r.add(one[0], at(1)).empty());
  EXPECT_TRUE(r.add(two[0], at(2)).empty());
  EXPECT_TRUE(r.add(three[0], at(3)).empty());  // 3 x 1200 bytes: within 4000
  EXPECT_EQ(r.counters().get(FragmentEvent::kEvicted), 0u);
  expectSamePayload(r.add(three[1], at(4)), bigUdp(2000, "198.51.100.3"));  // grows past it: 1 goes
  EXPECT_EQ(r.counters().get(FragmentEvent::kEvicted), 1u);
  expectSamePayload(r.add(two[1], at(4)), bigUdp(2000, "198.51.100.2"));
  EXPECT_TRUE(r.add(one[1], at(4)).empty());
}

TEST(Fragments, BadFragmentsAreCounted) {
  FragmentReassembler r;
  auto pieces = testing::fragmentIpv4(bigUdp(3000), 1200);
  Bytes odd = pieces[0];
  odd.pop_back();  // a non-last fragment whose length is not a multiple of 8
  odd[2] = static_cast<std::uint8_t>((odd.size()) >> 8);
  odd[3] = static_cast<std::uint8_t>(odd.size());
  EXPECT_TRUE(r.add(odd, at(1)).empty());
  Bytes cut = pieces[1];
  cut.resize(cut.size() - 100);  // shorter than its header says
  EXPECT_TRUE(r.add(cut, at(1)).empty());
  EXPECT_EQ(r.counters().get(FragmentEvent::kMalformed), 2u);
  Bytes far = pieces[1];
  far[6] = 0x3f;
  far[7] = 0xff;  // offset 65528: the datagram would pass 65535 bytes
  EXPECT_TRUE(r.add(far, at(1)).empty());
  EXPECT_EQ(r.counters().get(FragmentEvent::kTooLarge), 1u);
}

}  // namespace
}  // namespace dnsleak::decode
