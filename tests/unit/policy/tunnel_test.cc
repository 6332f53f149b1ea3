#include "policy/tunnel.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace dnsleak::policy {
namespace {

using namespace std::chrono_literals;

const core::IpAddress kClient = core::IpAddress::parse("192.0.2.10").value();
const core::IpAddress kOther = core::IpAddress::parse("192.0.2.11").value();

double figure(const TunnelFinding& f, std::string_view name) {
  for (const auto& x : f.evidence) {
    if (x.name == name) return x.value;
  }
  return -1;
}

std::string text(const TunnelFinding& f, std::string_view name) {
  for (const auto& x : f.evidence) {
    if (x.name == name) return x.text;
  }
  return "?";
}

// A hex chunk that differs per n, as a tunnel's sequence of messages does.
std::string hexChunk(int n, std::size_t length) {
  std::string out;
  std::uint32_t x = 2166136261u ^ static_cast<std::uint32_t>(n);
  while (out.size() < length) {
    x = x * 1103515245u + 12345u;
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", (x >> 16) & 0xff);
    out += buf;
  }
  out.resize(length);
  return out;
}

// --- per-name evidence -------------------------------------------------------

TEST(NameShape, OrdinaryNamesCarryNoData) {
  for (const char* name : {"www.example.com", "mail.google.com", "e6858.dsce9.akamaiedge.net",
                           "r4---sn-4g5e6nsz.googlevideo.com", "google._domainkey.example.com",
                           "_dmarc.example.org", "ec2-54-152-12-34.compute-1.amazonaws.com",
                           "1.0.168.192.in-addr.arpa",
                           "b.a.9.8.7.6.5.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
                           "vm14.ilpip-proxy-appproxyhipappproxyeurdwc2-prod-fra0-dns.germanywestcentral.cloudapp.azure.com",
                           "prod-eu-west-1-frontend-loadbalancer-1234567890.elb.amazonaws.com",
                           "localhost", "com", ""}) {
    EXPECT_FALSE(shapeOf(name).carriesData()) << name;
  }
}

TEST(NameShape, LabelLengthsAndCountAreMeasuredBeforeTheLastTwoLabels) {
  NameShape s = shapeOf("abc.defgh.example.com.");
  EXPECT_EQ(s.labels, 2);
  EXPECT_EQ(s.longest_label, 5);
  EXPECT_EQ(s.data_part, 8);
  EXPECT_EQ(s.name_length, 22);
  EXPECT_EQ(shapeOf("example.com").data_part, 0);
}

TEST(NameShape, EntropyOfTheDataPart) {
  // 16 different characters once each: 4 bits; one character repeated: 0.
  EXPECT_DOUBLE_EQ(shapeOf("0123456789abcdef.example.com").entropy, 4.0);
  EXPECT_DOUBLE_EQ(shapeOf("aaaaaaaaaaaaaaaaaaaa.example.com").entropy, 0.0);
  EXPECT_EQ(shapeOf("short.example.com").entropy, 0.0);  // under 16 characters: not measured
}

TEST(NameShape, AlphabetsAreTold) {
  EXPECT_EQ(shapeOf("3f2a9c0d1e4b5a6f7e8d9c0b1a2f3e4d.x.example.com").alphabet, Alphabet::kHex);  // "x" is too short to count
  EXPECT_EQ(shapeOf("3f2a9c0d-1e4b-5a6f-7e8d-9c0b1a2f3e4d.blob.example.com").alphabet, Alphabet::kText);  // a GUID
  EXPECT_EQ(shapeOf("mfrggzdfmztwq2lknnwg23tpobyxe43u.example.com").alphabet, Alphabet::kBase32);
  EXPECT_EQ(shapeOf("H4sICN03aQAA3Rlc3QudHh0AAvJyCx.example.com").alphabet, Alphabet::kBase64);
  EXPECT_EQ(shapeOf("ab+c/d=.example.com").alphabet, Alphabet::kBase64);
  EXPECT_EQ(shapeOf("rbfqd\\217i\\212.t.example.com").alphabet, Alphabet::kBinary);
  EXPECT_EQ(shapeOf("www.mail.example.com").alphabet, Alphabet::kText);
}

TEST(NameShape, EachKindOfDataIsSeen) {
  EXPECT_TRUE(shapeOf("hvMAAAABBAhv.srv.tunnel.com").carriesData());        // base64's mixed case
  EXPECT_TRUE(shapeOf("AAAAAO1kQA.=auth.srv.tunnel.com").carriesData());    // '=' in a name
  EXPECT_TRUE(shapeOf("rbfqd\\217i\\212.t.tunnel.test").carriesData());    // raw bytes (iodine's base128)
  EXPECT_TRUE(shapeOf(hexChunk(1, 40) + ".exfil.example.com").carriesData());  // a long hex label
  EXPECT_TRUE(shapeOf("lacipqb4yltef4mhxxrq3ujt4jphsfiy.t.tunnel.test").carriesData());  // base32
}

TEST(TunnelTypes, TheTypesTunnelsFavour) {
  for (std::uint16_t t : {10, 16, 5, 15, 33, 255, 65280, 65399, 65534}) EXPECT_TRUE(tunnelType(t)) << t;
  for (std::uint16_t t : {1, 28, 2, 6, 12, 65, 65535}) EXPECT_FALSE(tunnelType(t)) << t;
}

// --- per-domain evidence and the verdict -------------------------------------

struct Feed {
  TunnelDetector detector;
  config::Config::Tunnel settings;
  core::Timestamp now = core::Timestamp(1'700'000'000s);

  std::optional<TunnelFinding> query(const std::string& name, std::uint16_t qtype = 16,
                                     core::IpAddress client = kClient, std::uint16_t rcode = 0,
                                     std::uint32_t response = 200) {
    TunnelQuery q;
    q.time = now;
    q.qname = name;
    q.qtype = qtype;
    q.client = client;
    q.answered = true;
    q.rcode = rcode;
    q.response_size = response;
    return detector.observe(q, settings);
  }
};

TEST(TunnelDetector, ASustainedTunnelIsFoundOnceWithItsFigures) {
  Feed feed;
  std::optional<TunnelFinding> found;
  int at = 0;
  for (int n = 0; n < 40; ++n) {
    feed.now += 200ms;
    auto f = feed.query(hexChunk(n, 40) + "." + hexChunk(n + 1000, 20) + ".t.tunnel.example", 16, kClient,
                        n % 4 == 0 ? 3 : 0);
    if (f && f->kind == TunnelFinding::Kind::kTunnel) {
      EXPECT_FALSE(found) << "found twice in one window, at " << n;
      found = f;
      at = n;
    }
  }
  ASSERT_TRUE(found);
  EXPECT_EQ(at + 1, feed.settings.min_queries);  // as soon as the thresholds are met
  EXPECT_EQ(found->domain, "tunnel.example");
  EXPECT_FALSE(found->repeat);
  EXPECT_EQ(found->confidence, core::Confidence::kHigh);  // TXT throughout
  EXPECT_EQ(figure(*found, "queries"), 20);
  EXPECT_EQ(figure(*found, "distinct_names"), 20);
  EXPECT_EQ(figure(*found, "data_chars"), 20 * 61);
  EXPECT_EQ(figure(*found, "bytes_down"), 20 * 200);
  EXPECT_EQ(figure(*found, "nxdomain_share"), 0.25);
  EXPECT_EQ(figure(*found, "span_seconds"), 3.8);
  EXPECT_EQ(figure(*found, "rate_per_minute"), 315.8);
  EXPECT_EQ(figure(*found, "gap_variation"), 0);  // one every 200 ms: perfectly regular
  EXPECT_EQ(figure(*found, "longest_label"), 40);
  EXPECT_EQ(text(*found, "alphabet"), "hex");
  EXPECT_EQ(figure(*found, "tunnel_types"), 20);
  EXPECT_EQ(text(*found, "tunnel_types"), "TXT 20");
  // The first name alone (61 characters of hex) was already exfiltration.
  EXPECT_EQ(feed.detector.findings(), 2u);
}

TEST(TunnelDetector, TheSameNameAskedAgainIsNoTunnel) {
  Feed feed;
  const std::string name = hexChunk(7, 40) + ".t.tunnel.example";
  for (int n = 0; n < 200; ++n) {
    feed.now += 100ms;
    EXPECT_FALSE(feed.query(name, 1)) << n;  // distinct names stay at 1; one name is no exfiltration of 40
  }
}

TEST(TunnelDetector, CaseRandomisedRetriesOfOneNameAreOneName) {
  Feed feed;
  std::string name = "AbCdEfGhIjKlMnOp.t.tunnel.example";
  for (int n = 0; n < 100; ++n) {
    feed.now += 10ms;
    for (std::size_t i = 0; i < 16; ++i) name[i] = static_cast<char>((n >> (i % 8)) & 1 ? std::toupper(name[i]) : std::tolower(name[i]));
    EXPECT_FALSE(feed.query(name, 1)) << n;
  }
}

TEST(TunnelDetector, OneNameDenseWithDataIsExfiltration) {
  Feed feed;
  auto f = feed.query("H4sICN03*2QAA3Rlc3QudHh0AAvJyCxWAKJEheLU5KLUEoW0zJxULgAge-.4S2FgAAAA==-.test.txt", 1);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, TunnelFinding::Kind::kExfiltration);
  EXPECT_EQ(f->confidence, core::Confidence::kMedium);
  EXPECT_EQ(f->domain, "test.txt");
  EXPECT_EQ(figure(*f, "data_chars"), 70);
  EXPECT_EQ(figure(*f, "longest_label"), 58);
  EXPECT_EQ(text(*f, "alphabet"), "base64");
  EXPECT_EQ(figure(*f, "odd_characters"), 3);  // "*", "=", "="
  // Once per domain and client.
  EXPECT_FALSE(feed.query("Z4sICN03*2QAA3Rlc3QudHh0AAvJyCxWAKJEheLU5KLUEoW0zJxULgAge-.4S2FgAAAA==-.test.txt", 1));
  EXPECT_TRUE(feed.query("H4sICN03*2QAA3Rlc3QudHh0AAvJyCxWAKJEheLU5KLUEoW0zJxULgAge-.4S2FgAAAA==-.test.txt", 1, kOther));
}

TEST(TunnelDetector, ALongNameOfWordsIsNotExfiltration) {
  Feed feed;
  EXPECT_FALSE(feed.query("vm14.ilpip-proxy-appproxyhipappproxyeurdwc2-prod-fra0-dns.germanywestcentral.cloudapp.azure.com", 1));
  EXPECT_FALSE(feed.query("thisisaverylongbutordinaryhostnamemadeofwordsonly.example.com", 1));
  EXPECT_EQ(feed.detector.findings(), 0u);
}

TEST(TunnelDetector, EachClientIsItsOwnPair) {
  Feed feed;
  int found = 0;
  for (int n = 0; n < 40; ++n) {
    feed.now += 100ms;
    // Alternating clients: 20 queries each, found for both.
    if (feed.query(hexChunk(n, 40) + ".t.tunnel.example", 10, n % 2 ? kOther : kClient)) ++found;
  }
  EXPECT_EQ(found, 2);
  EXPECT_EQ(feed.detector.tracked(), 2u);
}

TEST(TunnelDetector, ALaterWindowWithDataIsARepeat) {
  Feed feed;
  feed.settings.window_seconds = 60;
  int first = 0, repeats = 0;
  for (int n = 0; n < 200; ++n) {
    feed.now += 1s;  // 60 a window: each window reaches 20
    if (auto f = feed.query(hexChunk(n, 40) + ".t.tunnel.example", 10)) (f->repeat ? repeats : first)++;
  }
  EXPECT_EQ(first, 1);
  EXPECT_EQ(repeats, 2);  // windows 2 and 3; the fourth (of 200 s) holds 18
}

TEST(TunnelDetector, SlowDripUnderTheThresholdsIsNotFound) {
  Feed feed;
  feed.settings.window_seconds = 60;
  for (int n = 0; n < 100; ++n) {
    feed.now += 5s;  // 12 a window: under min_queries
    EXPECT_FALSE(feed.query(hexChunk(n, 40) + ".t.tunnel.example", 10)) << n;
  }
}

TEST(TunnelDetector, ThresholdsComeFromTheSettings) {
  Feed feed;
  feed.settings.min_queries = 5;
  feed.settings.min_distinct_names = 5;
  feed.settings.min_data_chars = 100;
  int at = -1;
  for (int n = 0; n < 10 && at < 0; ++n) {
    if (feed.query(hexChunk(n, 24) + ".t.tunnel.example", 1)) at = n;
  }
  EXPECT_EQ(at, 4);
  feed.settings.enabled = false;
  EXPECT_FALSE(feed.query("H4sICN03*2QAA3Rlc3QudHh0AAvJyCxWAKJEheLU5KLUEoW0zJxULgAge-.4S2FgAAAA==-.other.txt", 1));
}

TEST(TunnelDetector, IgnoredDomainsAreCountedNotFound) {
  Feed feed;
  feed.settings.ignore_domains = {"tunnel.example"};
  for (int n = 0; n < 40; ++n) EXPECT_FALSE(feed.query(hexChunk(n, 40) + ".t.tunnel.example", 16));
  EXPECT_EQ(feed.detector.ignored(), 40u);
  EXPECT_EQ(feed.detector.tracked(), 0u);
}

TEST(TunnelDetector, StateIsBoundedAndEvictionsCounted) {
  Feed feed;
  feed.settings.max_domains = 16;
  for (int n = 0; n < 1000; ++n) {
    feed.query(hexChunk(n, 40) + ".d" + std::to_string(n) + ".example", 1);
    ASSERT_LE(feed.detector.tracked(), 16u);
  }
  EXPECT_EQ(feed.detector.evictions(), 1000u - 16u);
  EXPECT_EQ(feed.detector.dataNames(), 1000u);
}

// A reload may lower the bound; the next data name brings the table under
// it, even when that name's own pair is the least recently seen.
TEST(TunnelDetector, ALoweredBoundIsKeptAtTheNextDataName) {
  Feed feed;
  for (int n = 0; n < 40; ++n) {
    feed.now += 1ms;
    feed.query(hexChunk(n, 40) + ".d" + std::to_string(n) + ".example", 1);
  }
  ASSERT_EQ(feed.detector.tracked(), 40u);
  feed.settings.max_domains = 16;
  feed.now += 1ms;
  feed.query(hexChunk(99, 40) + ".d0.example", 1);  // d0: the oldest pair
  EXPECT_EQ(feed.detector.tracked(), 16u);
  feed.query(hexChunk(98, 40) + ".new.example", 1);
  EXPECT_EQ(feed.detector.tracked(), 16u);
}

TEST(TunnelDetector, IdlePairsAreForgotten) {
  Feed feed;
  feed.settings.window_seconds = 60;
  feed.query(hexChunk(1, 40) + ".a.example", 1);
  feed.query(hexChunk(2, 40) + ".b.example", 1);
  feed.now += 61s;
  feed.query(hexChunk(3, 40) + ".c.example", 1);
  EXPECT_EQ(feed.detector.tracked(), 1u);
  EXPECT_EQ(feed.detector.evictions(), 0u);  // idle ones go without counting as evicted
}

TEST(TunnelDetector, OrdinaryNamesCostNoState) {
  Feed feed;
  for (int n = 0; n < 1000; ++n) feed.query("host" + std::to_string(n) + ".example.com", 1);
  EXPECT_EQ(feed.detector.tracked(), 0u);
  EXPECT_EQ(feed.detector.dataNames(), 0u);
}

}  // namespace
}  // namespace dnsleak::policy
