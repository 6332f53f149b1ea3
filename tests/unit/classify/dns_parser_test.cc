#include "classify/dns_parser.h"

#include <gtest/gtest.h>

#include "packet_builder.h"

namespace dnsleak::classify {
namespace {

using testing::Bytes;
using testing::DnsBuilder;

DnsParseStatus parse(const Bytes& m, core::DnsInfo& out) {
  DnsParseStatus records = DnsParseStatus::kOk;
  DnsParseStatus status = parseDnsMessage(m, out, records);
  return status != DnsParseStatus::kOk ? status : records;
}

// RFC 1035 section 4.1.4's example: F.ISI.ARPA, FOO.F.ISI.ARPA by pointer,
// and ARPA by pointer into the middle of the first name.
TEST(DnsName, Rfc1035CompressionExample) {
  Bytes m(20, 0);
  Bytes f_isi = {1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0};
  m.insert(m.end(), f_isi.begin(), f_isi.end());                 // offset 20
  m.insert(m.end(), {3, 'F', 'O', 'O', 0xc0, 20});                 // offset 32
  m.insert(m.end(), {0xc0, 26});                                   // offset 38
  std::string name;
  std::size_t next = 0;
  ASSERT_EQ(readDnsName(m, 20, name, next), DnsParseStatus::kOk);
  EXPECT_EQ(name, "F.ISI.ARPA");
  EXPECT_EQ(next, 32u);
  ASSERT_EQ(readDnsName(m, 32, name, next), DnsParseStatus::kOk);
  EXPECT_EQ(name, "FOO.F.ISI.ARPA");
  EXPECT_EQ(next, 38u);
  ASSERT_EQ(readDnsName(m, 38, name, next), DnsParseStatus::kOk);
  EXPECT_EQ(name, "ARPA");
  EXPECT_EQ(next, 40u);
}

TEST(DnsName, RootIsDot) {
  Bytes m = {0};
  std::string name;
  std::size_t next = 0;
  ASSERT_EQ(readDnsName(m, 0, name, next), DnsParseStatus::kOk);
  EXPECT_EQ(name, ".");
}

TEST(DnsName, PointerToItselfIsALoop) {
  Bytes m(12, 0);
  m.insert(m.end(), {0xc0, 12});
  std::string name;
  std::size_t next = 0;
  EXPECT_EQ(readDnsName(m, 12, name, next), DnsParseStatus::kPointerLoop);
}

TEST(DnsName, TwoPointersPointingAtEachOtherAreALoop) {
  Bytes m(12, 0);
  m.insert(m.end(), {0xc0, 14, 0xc0, 12});
  std::string name;
  std::size_t next = 0;
  EXPECT_EQ(readDnsName(m, 12, name, next), DnsParseStatus::kPointerLoop);
}

TEST(DnsName, LoopThroughLabelsEndsAtTheLengthLimitOrJumpLimit) {
  // a label, then a pointer back to it: the name grows each turn.
  Bytes m(12, 0);
  m.insert(m.end(), {1, 'a', 0xc0, 12});
  std::string name;
  std::size_t next = 0;
  auto status = readDnsName(m, 12, name, next);
  EXPECT_TRUE(status == DnsParseStatus::kNameTooLong || status == DnsParseStatus::kPointerLoop);
}

TEST(DnsName, ForwardPointerIsFollowed) {
  // Legal per RFC 1035 and accepted by resolvers: the name must not hide.
  Bytes m(12, 0);
  m.insert(m.end(), {3, 'w', 'w', 'w', 0xc0, 18, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0});
  std::string name;
  std::size_t next = 0;
  ASSERT_EQ(readDnsName(m, 12, name, next), DnsParseStatus::kOk);
  EXPECT_EQ(name, "www.example");
  EXPECT_EQ(next, 18u);
}

TEST(DnsName, PointerPastTheEndIsRefused) {
  Bytes m(12, 0);
  m.insert(m.end(), {0xc0, 200});
  std::string name;
  std::size_t next = 0;
  EXPECT_EQ(readDnsName(m, 12, name, next), DnsParseStatus::kBadPointer);
}

TEST(DnsName, HalfAPointerIsTruncated) {
  Bytes m(12, 0);
  m.push_back(0xc0);
  std::string name;
  std::size_t next = 0;
  EXPECT_EQ(readDnsName(m, 12, name, next), DnsParseStatus::kTruncatedName);
}

TEST(DnsName, LabelPastTheEndIsTruncated) {
  Bytes m = {5, 'a', 'b'};
  std::string name;
  std::size_t next = 0;
  EXPECT_EQ(readDnsName(m, 0, name, next), DnsParseStatus::kTruncatedName);
}

TEST(DnsName, OverLongNameIsRefused) {
  Bytes m;
  for (int i = 0; i < 5; ++i) {
    m.push_back(63);
    m.insert(m.end(), 63, 'x');
  }
  m.push_back(0);
  std::string name;
  std::size_t next = 0;
  EXPECT_EQ(readDnsName(m, 0, name, next), DnsParseStatus::kNameTooLong);
}

TEST(DnsName, LongestLegalNameIsAccepted) {
  // 3 x 63 + 61 octets of labels, 4 + 1 length bytes... = 255 in all.
  Bytes m;
  for (int i = 0; i < 3; ++i) {
    m.push_back(63);
    m.insert(m.end(), 63, 'x');
  }
  m.push_back(61);
  m.insert(m.end(), 61, 'y');
  m.push_back(0);
  ASSERT_EQ(m.size(), 255u);
  std::string name;
  std::size_t next = 0;
  EXPECT_EQ(readDnsName(m, 0, name, next), DnsParseStatus::kOk);
}

TEST(DnsName, ReservedLabelTypesAreRefused) {
  std::string name;
  std::size_t next = 0;
  EXPECT_EQ(readDnsName(Bytes{0x40, 0}, 0, name, next), DnsParseStatus::kBadLabelType);
  EXPECT_EQ(readDnsName(Bytes{0x80, 0}, 0, name, next), DnsParseStatus::kBadLabelType);
}

TEST(DnsName, UnprintableBytesAndDotsAreEscaped) {
  Bytes m = {4, 'a', '.', 0x00, 0xff, 3, 'c', 'o', 'm', 0};
  std::string name;
  std::size_t next = 0;
  ASSERT_EQ(readDnsName(m, 0, name, next), DnsParseStatus::kOk);
  EXPECT_EQ(name, "a\\046\\000\\255.com");
}

TEST(DnsMessage, QueryHeaderAndQuestion) {
  Bytes m = DnsBuilder::query(0xbeef, "www.example.com", 28).edns(1232, true).build();
  core::DnsInfo info;
  ASSERT_EQ(parse(m, info), DnsParseStatus::kOk);
  EXPECT_EQ(info.id, 0xbeef);
  EXPECT_FALSE(info.is_response);
  EXPECT_TRUE(info.recursion_desired);
  EXPECT_EQ(info.qname, "www.example.com");
  EXPECT_EQ(info.qtype, 28);
  EXPECT_EQ(info.qclass, 1);
  EXPECT_EQ(info.question_count, 1);
  ASSERT_TRUE(info.has_edns);
  EXPECT_EQ(info.edns_udp_size, 1232);
  EXPECT_TRUE(info.edns_dnssec_ok);
  ASSERT_EQ(info.edns_options.size(), 1u);
  EXPECT_EQ(info.edns_options[0], 10);  // cookie
  EXPECT_EQ(info.size, m.size());
}

TEST(DnsMessage, ResponseAnswersAndRcode) {
  Bytes m = DnsBuilder::response(7, "a.example", 1, 3)
                .answerCname("a.example", "b.example")
                .answerA("b.example", "192.0.2.33", 60)
                .answerAaaa("b.example", "2001:db8::33")
                .build();
  core::DnsInfo info;
  ASSERT_EQ(parse(m, info), DnsParseStatus::kOk);
  EXPECT_TRUE(info.is_response);
  EXPECT_EQ(info.rcode, 3);
  ASSERT_EQ(info.answers.size(), 3u);
  EXPECT_EQ(info.answers[0].type, 5);
  EXPECT_EQ(info.answers[0].data, "b.example");
  EXPECT_EQ(info.answers[1].data, "192.0.2.33");
  EXPECT_EQ(info.answers[1].ttl, 60u);
  EXPECT_EQ(info.answers[2].data, "2001:db8::33");
  // A and AAAA answers carry their address in binary too (for Leak-D); a
  // CNAME's does not.
  EXPECT_TRUE(info.answers[0].address.empty());
  EXPECT_EQ(info.answers[1].address, *core::IpAddress::parse("192.0.2.33"));
  EXPECT_EQ(info.answers[2].address, *core::IpAddress::parse("2001:db8::33"));
}

TEST(DnsMessage, ExtendedRcodeFromEdns) {
  Bytes m = DnsBuilder::response(7, "a.example", 1, 0).edns().build();
  // OPT TTL's top byte is the extended rcode: 1 -> rcode 16 (BADVERS).
  std::size_t opt_ttl = m.size() - 12 /* option */ - 2 /* rdlength */ - 4 /* ttl */;
  m[opt_ttl] = 1;
  core::DnsInfo info;
  ASSERT_EQ(parse(m, info), DnsParseStatus::kOk);
  EXPECT_EQ(info.rcode, 16);
}

TEST(DnsMessage, ReuseClearsThePreviousMessage) {
  core::DnsInfo info;
  ASSERT_EQ(parse(DnsBuilder::response(1, "x.example", 1).answerA("x.example", "192.0.2.1").edns().build(), info),
            DnsParseStatus::kOk);
  ASSERT_EQ(parse(DnsBuilder::query(2, "y.example", 1).build(), info), DnsParseStatus::kOk);
  EXPECT_EQ(info.qname, "y.example");
  EXPECT_TRUE(info.answers.empty());
  EXPECT_FALSE(info.has_edns);
}

TEST(DnsMessage, TooShortAndTruncatedQuestion) {
  core::DnsInfo info;
  EXPECT_EQ(parse(Bytes(11, 0), info), DnsParseStatus::kTooShort);
  Bytes m = DnsBuilder::query(1, "example.com", 1).build();
  m.resize(m.size() - 2);
  EXPECT_EQ(parse(m, info), DnsParseStatus::kTruncatedQuestion);
  Bytes counts = DnsBuilder::query(1, "example.com", 1).build();
  counts[5] = 2;  // claims two questions
  EXPECT_EQ(parse(counts, info), DnsParseStatus::kTruncatedName);
}

TEST(DnsMessage, BrokenRecordKeepsTheQuestion) {
  Bytes m = DnsBuilder::response(1, "kept.example", 1).answerA("kept.example", "192.0.2.1").build();
  m.resize(m.size() - 2);
  core::DnsInfo info;
  DnsParseStatus records = DnsParseStatus::kOk;
  ASSERT_EQ(parseDnsMessage(m, info, records), DnsParseStatus::kOk);
  EXPECT_EQ(records, DnsParseStatus::kTruncatedRecord);
  EXPECT_EQ(info.qname, "kept.example");
}

TEST(DnsMessage, AnswerWithWrongRdataLengthIsMarked) {
  Bytes m = DnsBuilder::response(1, "x.example", 1).answerA("x.example", "192.0.2.1").build();
  m[m.size() - 5] = 3;  // rdlength 3 for an A record
  m.pop_back();
  core::DnsInfo info;
  DnsParseStatus records = DnsParseStatus::kOk;
  ASSERT_EQ(parseDnsMessage(m, info, records), DnsParseStatus::kOk);
  EXPECT_EQ(records, DnsParseStatus::kBadRdata);
  ASSERT_EQ(info.answers.size(), 1u);
  EXPECT_EQ(info.answers[0].data, "<malformed 3 bytes>");
}

TEST(DnsMessage, HugeAnswerCountsAreBounded) {
  Bytes m = DnsBuilder::query(1, "x.example", 1).build();
  m[6] = 0xff;
  m[7] = 0xff;  // 65535 answers claimed, none present
  core::DnsInfo info;
  DnsParseStatus records = DnsParseStatus::kOk;
  ASSERT_EQ(parseDnsMessage(m, info, records), DnsParseStatus::kOk);
  EXPECT_EQ(records, DnsParseStatus::kTruncatedName);
  EXPECT_EQ(info.answer_count, 65535);
  EXPECT_TRUE(info.answers.empty());
}

TEST(DnsMessage, KeptAnswersAreCapped) {
  DnsBuilder b = DnsBuilder::response(1, "many.example", 1);
  for (int i = 0; i < 40; ++i) b.answerA("many.example", "192.0.2.1");
  core::DnsInfo info;
  ASSERT_EQ(parse(b.build(), info), DnsParseStatus::kOk);
  EXPECT_EQ(info.answer_count, 40);
  EXPECT_EQ(info.answers.size(), kMaxKeptAnswers);
}

// Every byte string must parse or fail cleanly: a cheap, deterministic
// stand-in for the fuzzer, run under the sanitizers in CI.
TEST(DnsMessage, EveryTruncationOfARealMessageIsSafe) {
  Bytes full = DnsBuilder::response(9, "www.example.com", 1)
                   .answerCname("www.example.com", "edge.example.net")
                   .answerA("edge.example.net", "192.0.2.8")
                   .edns()
                   .build();
  core::DnsInfo info;
  for (std::size_t n = 0; n <= full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    DnsParseStatus records = DnsParseStatus::kOk;
    auto status = parseDnsMessage(cut, info, records);
    if (n < 12) {
      EXPECT_EQ(status, DnsParseStatus::kTooShort);
    }
  }
  for (std::size_t i = 12; i < full.size(); ++i) {
    for (int v : {0x00, 0x3f, 0xc0, 0xff}) {
      Bytes flipped = full;
      flipped[i] = static_cast<std::uint8_t>(v);
      DnsParseStatus records = DnsParseStatus::kOk;
      if (parseDnsMessage(flipped, info, records) == DnsParseStatus::kOk) {
        // Whatever was read stays within what a 255-octet name can print.
        EXPECT_LE(info.qname.size(), 4u * 255u);
        EXPECT_LE(info.answers.size(), kMaxKeptAnswers);
      }
    }
  }
}

}  // namespace
}  // namespace dnsleak::classify
