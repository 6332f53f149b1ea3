#include "api/event_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "api/convert.h"
#include "sample_event.h"

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

TEST(EventJson, EveryFieldAsProtobufPrintsIt) {
  core::Event e = testing::sampleEvent();
  EXPECT_EQ(direct(e), viaProtobuf(e));
}

TEST(EventJson, AnEmptyEventAsProtobufPrintsIt) {
  core::Event e;
  EXPECT_EQ(direct(e), viaProtobuf(e));
}

TEST(EventJson, OptionalPartsLeftOutAsProtobufLeavesThem) {
  core::Event e = testing::sampleEvent();
  e.dns.has_edns = false;
  e.geo = {};
  e.exchange = {true, false, 0ns, 0};  // waited in vain: no response time
  EXPECT_EQ(direct(e), viaProtobuf(e));
  e.exchange = {};
  e.geo.asn = 64496;  // an ASN alone is printed
  EXPECT_EQ(direct(e), viaProtobuf(e));
}

// The writer grows its buffer ahead of each member: an event many times
// its first guess, with strings that escape to six bytes a byte, comes out
// whole, and after what the buffer already held.
TEST(EventJson, AnEventLargerThanTheFirstBufferIsWrittenWholeAfterWhatWasThere) {
  core::Event e = testing::sampleEvent();
  e.reason.assign(20'000, '\x01');  // \u0001 each: 120 kB
  e.remediation = std::string(5'000, '"') + "\xf0\x9f\x98\x80";
  for (int i = 0; i < 300; ++i) e.dns.answers.push_back({"answer" + std::to_string(i) + ".example", 1, 60, "192.0.2.1", {}});
  for (int i = 0; i < 200; ++i) e.signals.push_back(std::string(40, '<'));
  std::string out = "held before|";
  appendEventJson(e, out);
  EXPECT_EQ(out, "held before|" + viaProtobuf(e));
}

// Enum names come from tables read once from the descriptors: every value
// of every enum an event carries, and one past the last, as protobuf.
TEST(EventJson, EveryValueOfEveryEnumAsProtobufNamesIt) {
  for (int n = 0; n <= 12; ++n) {
    core::Event e = testing::sampleEvent();
    e.transport = static_cast<core::Transport>(n);
    e.kind = static_cast<core::MessageKind>(n);
    e.recognition = static_cast<core::RecognitionMethod>(n);
    e.recognition_confidence = static_cast<core::Confidence>(n);
    e.verdict = static_cast<core::Verdict>(n);
    e.leak_type = static_cast<core::LeakType>(n);
    e.direction = static_cast<core::Direction>(n);
    e.attribution.confidence = static_cast<core::Confidence>(n);
    e.attribution.failure = static_cast<core::AttributionFailure>(n);
    EXPECT_EQ(direct(e), viaProtobuf(e)) << n;
  }
}

// Fractions shortened to 3, 6 or 9 digits; times before 1970 and either
// side of midnight (the date is formatted once a day, the time by hand).
TEST(EventJson, FractionsOfSecondsAsProtobufShortensThem) {
  core::Event e;
  for (auto ns : {0ns, 1ns, 999'999'999ns, 1'000ns, 120'000ns, 5'000'000ns, 1'500'000'000ns, -1'500'000'000ns,
                  -86'400'000'000'001ns, 86'399'999'999'999ns}) {
    e.time = core::Timestamp(1'600'000'000s + ns);
    e.first_seen = core::Timestamp(ns);
    e.last_seen = core::Timestamp(9'000'000'000s);  // 2255: near the last nanosecond time that fits 64 bits
    e.exchange = {true, true, ns, 1};
    EXPECT_EQ(direct(e), viaProtobuf(e)) << ns.count();
  }
}

// The ends of the range: the most negative nanoseconds has no positive
// counterpart, and negating it first once crashed the writer.
TEST(EventJson, TheLongestDurationsEitherWayAsProtobufPrintsThem) {
  core::Event e;
  for (auto ns :
       {std::chrono::nanoseconds::min(), std::chrono::nanoseconds::min() + 1ns, std::chrono::nanoseconds::max()}) {
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

// Past ASCII protobuf escapes C1 controls, invisible format characters,
// bidirectional controls and tags (the latter as surrogate pairs); a
// process name with U+202E or U+0085 once came out raw in --read --json.
// Every code point below U+3000 and around every escaped range, and a
// sample of the rest.
TEST(EventJson, EveryEscapedCodePointAsProtobufEscapesIt) {
  auto utf8 = [](std::uint32_t cp) {
    std::string s;
    if (cp < 0x800) {
      s += static_cast<char>(0xc0 | cp >> 6);
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xe0 | cp >> 12);
      s += static_cast<char>(0x80 | (cp >> 6 & 63));
    } else {
      s += static_cast<char>(0xf0 | cp >> 18);
      s += static_cast<char>(0x80 | (cp >> 12 & 63));
      s += static_cast<char>(0x80 | (cp >> 6 & 63));
    }
    s += static_cast<char>(0x80 | (cp & 63));
    return s;
  };
  std::vector<std::uint32_t> points;
  for (std::uint32_t cp = 0x80; cp < 0x3000; ++cp) points.push_back(cp);
  for (std::uint32_t edge : {0xfeffu, 0xfff9u, 0xfffbu, 0x1d173u, 0x1d17au, 0xe0001u, 0xe0020u, 0xe007fu, 0x10ffffu}) {
    for (std::uint32_t cp = edge - 2; cp <= edge + 2 && cp <= 0x10ffff; ++cp) points.push_back(cp);
  }
  for (std::uint32_t cp = 0x3000; cp <= 0x10ffff; cp += 997) {
    if (cp < 0xd800 || cp > 0xdfff) points.push_back(cp);
  }
  v1::GetMetricsResponse message;
  for (std::uint32_t cp : points) {
    const std::string text = "a" + utf8(cp) + "b";
    std::string mine;
    appendJsonString(text, mine);
    message.set_text(text);
    const std::string theirs = toJson(message);  // {"text":"..."}
    ASSERT_EQ("{\"text\":" + mine + "}", theirs) << std::hex << "U+" << cp;
  }
}

// Plain text is copied sixteen bytes at a time where the processor can:
// every byte that is not plain, at every place in and across those blocks
// and at the end of strings of every length around them, still comes out
// as protobuf writes it.
TEST(EventJson, EveryOddByteAtEveryPlaceOfALongStringAsProtobufWritesIt) {
  v1::GetMetricsResponse message;
  for (const char* odd : {"\x01", "\x1f", "\x7f", "\"", "\\", "<", ">", "\xc3\xbc", "\xe2\x80\xa8", "\xff"}) {
    for (std::size_t length = 1; length <= 40; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'x');
        text.replace(at, 1, odd);
        std::string mine;
        appendJsonString(text, mine);
        message.set_text(text);
        ASSERT_EQ("{\"text\":" + mine + "}", toJson(message)) << "length " << length << " at " << at;
      }
    }
  }
}

}  // namespace
}  // namespace dnsleak::api
