// Ring 2: the whole pipeline over generated captures, through the real
// `dnsleakd --read ... --json`, against checked-in expectations plus the
// facts each scenario exists to prove.

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

#include <cstdlib>

#include "dnsleak/v1/dnsleak.pb.h"
#include "process.h"

namespace dnsleak::testing {
namespace {

using v1::Event;
using v1::GetStatusResponse;

struct ReadOutput {
  std::vector<Event> events;
  GetStatusResponse summary;
  std::vector<std::string> raw_lines;

  // The events but Leak-D's connection findings: a capture file is all
  // correlation warm-up, so its HTTPS hellos that no DNS in it resolved are
  // reported (low confidence) beside the DNS a test is about.
  std::vector<Event> dnsEvents() const {
    std::vector<Event> out;
    for (const auto& e : events) {
      if (e.leak_type() != v1::LEAK_TYPE_D) out.push_back(e);
    }
    return out;
  }
};

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir(); }
  void TearDown() override { removeTree(dir_); }

  std::string generate(const std::string& scenario, const std::string& file) {
    std::string path = dir_ + "/" + file;
    auto r = run({TESTGEN_PATH, scenario, scenario == "link_layers" ? dir_ + "/links" : path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }

  // Runs dnsleakd --read and parses every line; fails the test on any
  // line that is not the protobuf JSON mapping.
  ReadOutput read(const std::string& capture, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {DNSLEAKD_PATH, "--read", capture, "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ReadOutput out;
    out.raw_lines = lines(r.out);
    EXPECT_FALSE(out.raw_lines.empty());
    for (std::size_t i = 0; i < out.raw_lines.size(); ++i) {
      const std::string& line = out.raw_lines[i];
      if (i + 1 == out.raw_lines.size()) {
        const std::string prefix = "{\"summary\":";
        EXPECT_EQ(line.rfind(prefix, 0), 0u) << line;
        auto status = google::protobuf::util::JsonStringToMessage(
            line.substr(prefix.size(), line.size() - prefix.size() - 1), &out.summary);
        EXPECT_TRUE(status.ok()) << line;
        // Where the test ran is not part of the expectation.
        out.summary.mutable_capture(0)->clear_name();
        out.summary.mutable_config()->clear_path();
      } else {
        Event e;
        EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &e).ok()) << line;
        out.events.push_back(e);
      }
    }
    return out;
  }

  // Compares with tests/data/expected/NAME.jsonl, or writes it when
  // DNSLEAK_UPDATE_EXPECTED is set.
  void matchesExpected(const ReadOutput& out, const std::string& name) {
    std::string path = std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/expected/" + name + ".jsonl";
    std::string summary_json;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(out.summary, &summary_json, options).ok());
    std::string actual;
    for (std::size_t i = 0; i + 1 < out.raw_lines.size(); ++i) actual += out.raw_lines[i] + "\n";
    actual += "{\"summary\":" + summary_json + "}\n";
    if (std::getenv("DNSLEAK_UPDATE_EXPECTED")) {
      writeFile(path, actual);
      GTEST_SKIP() << "wrote " << path;
    }
    std::string expected = readFile(path);
    ASSERT_FALSE(expected.empty()) << "no expectation at " << path << " (run with DNSLEAK_UPDATE_EXPECTED=1)";
    auto expected_lines = lines(expected);
    auto actual_lines = lines(actual);
    ASSERT_EQ(expected_lines.size(), actual_lines.size()) << "line count differs from " << path;
    for (std::size_t i = 0; i < expected_lines.size(); ++i) {
      EXPECT_EQ(actual_lines[i], expected_lines[i]) << name << " line " << i + 1;
    }
  }

  static std::uint64_t named(const google::protobuf::RepeatedPtrField<v1::NamedCount>& counts, const std::string& n) {
    for (const auto& c : counts) {
      if (c.name() == n) return c.count();
    }
    ADD_FAILURE() << "no counter " << n;
    return 0;
  }

  static const Event* byName(const ReadOutput& out, const std::string& qname, v1::MessageKind kind) {
    for (const auto& e : out.events) {
      if (e.dns().qname() == qname && e.kind() == kind) return &e;
    }
    return nullptr;
  }

  std::string dir_;
};

TEST_F(CaptureTest, BasicUdpLeaksOnlyOutsideTheSafePath) {
  auto out = read(generate("basic_udp", "basic_udp.pcap"),
                  {"--config", std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/configs/vpn.yaml", "--interface", "eth0"});
  // Seven messages, four exchanges: three answered, one query unanswered.
  ASSERT_EQ(out.events.size(), 4u);

  const Event* leak = byName(out, "leak.example.com", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->verdict(), v1::VERDICT_LEAK);
  EXPECT_EQ(leak->leak_type(), v1::LEAK_TYPE_A);
  EXPECT_EQ(leak->rule(), "full-tunnel/plaintext-outside-safe-path");
  EXPECT_EQ(leak->resolver().address(), "198.51.100.53");
  EXPECT_EQ(leak->resolver().port(), 53u);
  EXPECT_EQ(leak->interface().name(), "eth0");
  EXPECT_EQ(leak->dns().qtype_name(), "A");
  EXPECT_TRUE(leak->dns().has_edns());
  EXPECT_EQ(leak->transport(), v1::TRANSPORT_DNS_UDP);

  // The query's event carries its response: answers, rcode, response time.
  EXPECT_TRUE(leak->exchange().answered());
  EXPECT_EQ(leak->exchange().response_time().nanos(), 10'000'000);
  EXPECT_GT(leak->exchange().response_size(), leak->dns().size());
  const Event* answer = byName(out, "v6.example.org", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(answer, nullptr);
  EXPECT_TRUE(answer->exchange().answered());
  EXPECT_EQ(answer->ip_version(), 6u);
  ASSERT_EQ(answer->dns().answers_size(), 2);
  EXPECT_EQ(answer->dns().answers(0).data(), "edge.cdn.example.net");
  EXPECT_EQ(answer->dns().answers(1).data(), "2001:db8:77::1");

  const Event* safe = byName(out, "tunnel.example.com", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(safe, nullptr);
  EXPECT_EQ(safe->verdict(), v1::VERDICT_OK);
  EXPECT_EQ(safe->rule(), "full-tunnel/safe-resolver");
  EXPECT_EQ(safe->dns().rcode_name(), "NXDOMAIN");
  EXPECT_EQ(byName(out, "tunnel.example.com", v1::MESSAGE_KIND_RESPONSE), nullptr);

  const Event* stub = byName(out, "stub.example.com", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(stub, nullptr);
  EXPECT_EQ(stub->verdict(), v1::VERDICT_OK);
  EXPECT_EQ(stub->rule(), "local/loopback");
  EXPECT_EQ(stub->dns().qtype_name(), "HTTPS");
  EXPECT_TRUE(stub->has_exchange());
  EXPECT_FALSE(stub->exchange().answered());

  EXPECT_EQ(named(out.summary.leaks(), "Leak-A"), 2u);
  EXPECT_EQ(out.summary.dns_messages(), 7u);
  EXPECT_EQ(named(out.summary.exchanges(), "answered"), 3u);
  EXPECT_EQ(named(out.summary.exchanges(), "unanswered"), 1u);
  matchesExpected(out, "basic_udp");
}

TEST_F(CaptureTest, LeakDPutsConnectionsBesideTheAnswers) {
  std::string config = dir_ + "/leak_d.yaml";
  writeFile(config, "safe_path: {interfaces: [wg0]}\nresolvers: {list: " + std::string(DNSLEAK_SOURCE_DIR) +
                        "/tests/data/configs/doh-list.txt}\nstore: {record_ok: true}\n");
  auto out = read(generate("leak_d", "leak_d.pcap"), {"--config", config, "--ifname", "2=eth0", "--ifname", "5=wg0"});
  // A SYN's finding waits for its connection's hello (up to 1 s): events
  // come in the order they were complete, so they are compared as a set.
  std::vector<std::pair<std::string, std::string>> leak_d;
  for (const auto& e : out.events) {
    if (e.leak_type() == v1::LEAK_TYPE_D) leak_d.emplace_back(e.rule(), e.dns().qname());
  }
  std::sort(leak_d.begin(), leak_d.end());
  EXPECT_EQ(leak_d, (std::vector<std::pair<std::string, std::string>>{
                        {"full-tunnel/answered-in-tunnel-connected-outside", "intranet.example.com"},
                        {"full-tunnel/answered-outside-connected-in-tunnel", "leaked.example.com"},
                        {"full-tunnel/hidden-resolution", "early.example.net"},
                        {"full-tunnel/hidden-resolution", "hidden.example.net"}}));
  // A capture file is often all warm-up: hidden resolution within it is
  // reported, with low confidence and a reason that says why.
  std::vector<std::pair<std::string, v1::Confidence>> hidden;
  for (const auto& e : out.events) {
    if (e.rule() == "full-tunnel/hidden-resolution") hidden.emplace_back(e.sni(), e.recognition().confidence());
  }
  EXPECT_EQ(hidden, (std::vector<std::pair<std::string, v1::Confidence>>{
                        {"early.example.net", v1::CONFIDENCE_LOW}, {"hidden.example.net", v1::CONFIDENCE_MEDIUM}}));
  for (const auto& e : out.events) {
    if (e.sni() == "early.example.net") {
      EXPECT_NE(e.reason().find("may have been resolved before it began"), std::string::npos) << e.reason();
    }
  }
  const Event* first = nullptr;
  for (const auto& e : out.events) {
    if (e.rule() == "full-tunnel/answered-in-tunnel-connected-outside") first = &e;
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->kind(), v1::MESSAGE_KIND_CONNECTION);
  EXPECT_EQ(first->interface().name(), "eth0");
  EXPECT_EQ(first->destination().address(), "203.0.113.50");
  EXPECT_EQ(first->resolver().address(), "10.64.0.1");
  EXPECT_EQ(first->recognition().method(), v1::RECOGNITION_METHOD_CORRELATION);
  EXPECT_NE(first->reason().find("resolved through it"), std::string::npos) << first->reason();
  EXPECT_FALSE(first->remediation().empty());
  EXPECT_EQ(out.summary.connections(), 5u);  // 3 SYNs and 2 hellos; the DoH one is DNS, not a connection to judge
  EXPECT_EQ(named(out.summary.malformed(), "correlation_warmup"), 1u);
  EXPECT_EQ(named(out.summary.leaks(), "Leak-D"), 4u);
}

// A SYN, its ClientHello and its retransmission are one connection: one
// Leak-D event, with the hello's server name and the SYN's time; a SYN
// retransmitted with nothing after is one event too.
TEST_F(CaptureTest, OneConnectionIsOneLeakDEvent) {
  writeFile(dir_ + "/c.yaml", "safe_path: {interfaces: [wg0]}\n");
  auto out = read(generate("connection_once", "connection_once.pcap"),
                  {"--config", dir_ + "/c.yaml", "--ifname", "2=eth0", "--ifname", "5=wg0"});
  std::vector<const Event*> leak_d;
  for (const auto& e : out.events) {
    if (e.leak_type() == v1::LEAK_TYPE_D) leak_d.push_back(&e);
  }
  ASSERT_EQ(leak_d.size(), 2u);
  std::sort(leak_d.begin(), leak_d.end(),
            [](const Event* a, const Event* b) { return a->destination().port() < b->destination().port(); });
  EXPECT_EQ(leak_d[0]->destination().port(), 443u);
  EXPECT_EQ(leak_d[0]->sni(), "once.example.com");
  EXPECT_EQ(leak_d[0]->rule(), "full-tunnel/answered-in-tunnel-connected-outside");
  EXPECT_EQ(leak_d[0]->time().DebugString(), leak_d[0]->first_seen().DebugString());
  EXPECT_EQ(leak_d[1]->destination().port(), 8080u);
  EXPECT_EQ(leak_d[1]->sni(), "");
  EXPECT_EQ(leak_d[1]->dns().qname(), "once.example.com");
  EXPECT_EQ(out.summary.connections(), 2u);
  EXPECT_EQ(named(out.summary.malformed(), "connection_repeated"), 3u);  // the three SYNs sent again
  EXPECT_EQ(named(out.summary.leaks(), "Leak-D"), 2u);
}

TEST_F(CaptureTest, EveryProfileJudgesTheSameCapture) {
  // The same capture (a query and response via eth0, the same via wg0, a
  // query this host receives) under each profile: three exchanges.
  std::string capture = generate("sll2_interfaces", "profiles.pcap");
  auto verdicts = [&](const std::string& config_text) {
    std::string config = dir_ + "/profile.yaml";
    writeFile(config, config_text + "store: {record_ok: true}\n");
    auto out = read(capture, {"--config", config, "--ifname", "2=eth0", "--ifname", "5=wg0"});
    std::vector<std::string> rules;
    for (const auto& e : out.events) rules.push_back(e.dns().qname() + " " + e.rule());
    return rules;
  };
  EXPECT_EQ(verdicts("profile: split\nsafe_path: {interfaces: [wg0]}\nsplit: {proxy_required: [via-eth0.example.com]}\n"),
            (std::vector<std::string>{"via-eth0.example.com split/proxy-required-outside-tunnel",
                                      "via-wg0.example.com split/safe-interface",
                                      "asks-us.example.com local/host-is-server"}));
  EXPECT_EQ(verdicts("profile: split\nsafe_path: {interfaces: [wg0]}\n"
                     "split: {allow_direct: [example.com], default: tunnel}\n"),
            (std::vector<std::string>{"via-eth0.example.com split/allow-direct", "via-wg0.example.com split/allow-direct",
                                      "asks-us.example.com local/host-is-server"}));
  EXPECT_EQ(verdicts("profile: proxy-stub\nsafe_path: {interfaces: [wg0]}\n"),
            (std::vector<std::string>{"via-eth0.example.com proxy-stub/plaintext-outside-safe-path",
                                      "via-wg0.example.com proxy-stub/safe-interface",
                                      "asks-us.example.com local/host-is-server"}));
  EXPECT_EQ(verdicts("profile: full-tunnel\nsafe_path: {interfaces: [wg0]}\nprivacy: minimal\n"),
            (std::vector<std::string>{" full-tunnel/plaintext-outside-safe-path", " full-tunnel/safe-interface",
                                      " local/host-is-server"}));
}

// Issue 12: the split hint names the split.proxy_required entry, not a
// literal DOMAIN, and a name the privacy mode withheld is said to be so.
TEST_F(CaptureTest, HintsNameTheirDomainAndWithheldNamesSaySo) {
  std::string capture = generate("sll2_interfaces", "hints.pcap");
  std::string config = dir_ + "/hints.yaml";
  writeFile(config, "profile: split\nsafe_path: {interfaces: [wg0]}\nsplit: {proxy_required: [example.com]}\n");
  auto split = read(capture, {"--config", config, "--ifname", "2=eth0", "--ifname", "5=wg0"});
  const Event* leak_b = byName(split, "via-eth0.example.com", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(leak_b, nullptr);
  EXPECT_EQ(leak_b->leak_type(), v1::LEAK_TYPE_B);
  EXPECT_NE(leak_b->remediation().find("resolvectl domain <tunnel> ~example.com"), std::string::npos)
      << leak_b->remediation();
  EXPECT_NE(leak_b->remediation().find("server=/example.com/"), std::string::npos) << leak_b->remediation();
  EXPECT_EQ(leak_b->remediation().find("DOMAIN"), std::string::npos) << leak_b->remediation();
  writeFile(config, "profile: full-tunnel\nsafe_path: {interfaces: [wg0]}\nprivacy: minimal\n");
  auto minimal = read(capture, {"--config", config, "--ifname", "2=eth0", "--ifname", "5=wg0"});
  ASSERT_FALSE(minimal.events.empty());
  EXPECT_EQ(minimal.events[0].dns().qname(), "");
  EXPECT_NE(minimal.events[0].reason().find("query for a name withheld by the privacy mode (A)"), std::string::npos)
      << minimal.events[0].reason();
}

TEST_F(CaptureTest, Sll2InterfaceIndexDecidesTheVerdict) {
  auto out = read(generate("sll2_interfaces", "sll2.pcap"), {"--ifname", "2=eth0", "--ifname", "5=wg0"});
  ASSERT_EQ(out.events.size(), 3u);  // five messages, three exchanges
  const Event* eth = byName(out, "via-eth0.example.com", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(eth->verdict(), v1::VERDICT_LEAK);
  EXPECT_EQ(eth->interface().index(), 2u);
  EXPECT_EQ(eth->interface().name(), "eth0");
  EXPECT_EQ(eth->direction(), v1::DIRECTION_OUTBOUND);
  const Event* wg = byName(out, "via-wg0.example.com", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(wg, nullptr);
  EXPECT_EQ(wg->verdict(), v1::VERDICT_OK);
  EXPECT_EQ(wg->rule(), "full-tunnel/safe-interface");
  const Event* served = byName(out, "asks-us.example.com", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(served, nullptr);
  EXPECT_EQ(served->verdict(), v1::VERDICT_INFO);
  EXPECT_EQ(served->direction(), v1::DIRECTION_INBOUND);
  // The summary splits the traffic by the interface each packet carried.
  ASSERT_EQ(out.summary.interfaces_size(), 2);
  EXPECT_EQ(out.summary.interfaces(0).name(), "eth0");
  EXPECT_EQ(out.summary.interfaces(0).packets(), 3u);
  EXPECT_EQ(out.summary.interfaces(0).leaks(), 1u);
  EXPECT_EQ(out.summary.interfaces(1).name(), "wg0");
  EXPECT_EQ(out.summary.interfaces(1).dns_messages(), 2u);
  EXPECT_EQ(out.summary.interfaces(1).leaks(), 0u);
  matchesExpected(out, "sll2_interfaces");
}

TEST_F(CaptureTest, TcpFramingYieldsEveryMessageOnce) {
  auto out = read(generate("tcp_framing", "tcp.pcap"), {"--interface", "eth0"});
  // Each query on the connection is completed by its own response (two of
  // them pipelined in one segment, answered together).
  std::vector<std::string> answered;
  for (const auto& e : out.events) {
    EXPECT_EQ(e.transport(), v1::TRANSPORT_DNS_TCP);
    EXPECT_EQ(e.ip_protocol(), "tcp");
    EXPECT_EQ(e.kind(), v1::MESSAGE_KIND_QUERY);
    if (e.exchange().answered()) answered.push_back(e.dns().qname());
  }
  EXPECT_EQ(answered, (std::vector<std::string>{"first.example.com", "second.example.com", "split.example.com"}));
  EXPECT_EQ(out.summary.dns_messages(), 6u);
  EXPECT_EQ(named(out.summary.malformed(), "tcp_retransmitted"), 1u);
  const Event* servfail = byName(out, "split.example.com", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(servfail, nullptr);
  EXPECT_EQ(servfail->dns().rcode_name(), "SERVFAIL");
  matchesExpected(out, "tcp_framing");
}

TEST_F(CaptureTest, MalformedInputIsCountedPerReasonAndSkipped) {
  auto out = read(generate("malformed", "malformed.pcap"));
  // Queries to port 53 whose question does not parse are still reported,
  // without a name, at medium confidence; the partial response keeps its
  // question; the VPN-like datagram and the runt are not reported.
  ASSERT_EQ(out.events.size(), 7u);
  const std::vector<std::string> reasons = {"dns_compression_loop", "dns_bad_compression_pointer",
                                            "dns_truncated_question", "dns_name_too_long", "dns_bad_label_type"};
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    const Event& e = out.events[i];
    EXPECT_EQ(e.dns().parse_error(), reasons[i]);
    EXPECT_EQ(e.dns().qname(), "");
    EXPECT_EQ(e.kind(), v1::MESSAGE_KIND_QUERY);
    EXPECT_EQ(e.recognition().confidence(), v1::CONFIDENCE_MEDIUM);
    EXPECT_EQ(e.verdict(), v1::VERDICT_LEAK);
  }
  EXPECT_EQ(out.events[5].dns().qname(), "partial.example.com");
  EXPECT_EQ(out.events[5].dns().parse_error(), "dns_truncated_record");
  EXPECT_EQ(out.events[5].recognition().confidence(), v1::CONFIDENCE_HIGH);
  EXPECT_EQ(out.events[6].dns().qname(), "after-the-junk.example.com");
  const auto& m = out.summary.malformed();
  EXPECT_EQ(named(m, "dns_compression_loop"), 1u);
  EXPECT_EQ(named(m, "dns_bad_compression_pointer"), 2u);  // one of them the VPN's datagram
  EXPECT_EQ(named(m, "dns_too_short"), 1u);
  EXPECT_EQ(named(m, "dns_truncated_question"), 1u);
  EXPECT_EQ(named(m, "dns_name_too_long"), 1u);
  EXPECT_EQ(named(m, "dns_bad_label_type"), 1u);
  EXPECT_EQ(named(m, "dns_truncated_record"), 1u);
  EXPECT_EQ(named(m, "bad_udp_length"), 1u);
  EXPECT_EQ(named(m, "bad_ip_header_length"), 1u);
  EXPECT_EQ(named(m, "ip_fragment"), 1u);
  EXPECT_EQ(named(m, "truncated_link_header"), 1u);
  EXPECT_EQ(out.summary.packets(), 13u);
  matchesExpected(out, "malformed");
}

TEST_F(CaptureTest, FragmentedResponsesAreReassembledAndOverlapsDropped) {
  auto out = read(generate("fragments", "fragments.pcap"));
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].dns().qname(), "big.example.com");
  EXPECT_EQ(out.events[0].dns().answer_count(), 60u);
  EXPECT_EQ(out.events[0].dns().answers_size(), 32);  // kept up to the cap
  EXPECT_EQ(out.events[1].dns().qname(), "big6.example.com");
  EXPECT_EQ(out.events[1].ip_version(), 6u);
  EXPECT_EQ(named(out.summary.malformed(), "fragment_overlap"), 1u);
  matchesExpected(out, "fragments");
}

TEST_F(CaptureTest, DnsInsideTunnelsIsTakenOutAndMarked) {
  auto out = read(generate("tunnels", "tunnels.pcap"), {"--interface", "eth0"});
  // The queries went unanswered and go out at the file's end, after the
  // fragmented response (whose query is not in the file): by time here.
  std::stable_sort(out.events.begin(), out.events.end(), [](const Event& a, const Event& b) {
    return google::protobuf::util::TimeUtil::TimestampToNanoseconds(a.time()) <
           google::protobuf::util::TimeUtil::TimestampToNanoseconds(b.time());
  });
  std::vector<std::pair<std::string, std::string>> seen;
  for (const auto& e : out.events) seen.emplace_back(e.dns().qname(), e.tunnel());
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"vxlan.example.com", "vxlan vni 42 203.0.113.1->203.0.113.2"},
                      {"geneve.example.com", "geneve vni 7 203.0.113.1->203.0.113.2"},
                      {"gre-key.example.com", "gre key 1234 203.0.113.1->203.0.113.2"},
                      {"gre-csum.example.com", "gre 203.0.113.1->203.0.113.2"},
                      {"gretap.example.com", "gre 203.0.113.1->203.0.113.2"},
                      {"pptp.example.com", "gre key 5 203.0.113.1->203.0.113.2"},
                      {"ipip.example.com", "ipip 203.0.113.1->203.0.113.2"},
                      {"sixinfour.example.com", "6in4 203.0.113.1->203.0.113.2"},
                      {"fourinsix.example.com", "4in6 2001:db8:ffff::1->2001:db8:ffff::2"},
                      {"sixinsix.example.com", "6in6 2001:db8:ffff::1->2001:db8:ffff::2"},
                      {"nested.example.com", "gre key 9 10.0.0.1->10.0.0.2 in vxlan vni 43 203.0.113.1->203.0.113.2"},
                      {"fragmented.example.com", "gre key 1234 203.0.113.2->203.0.113.1"}}));
  for (const auto& e : out.events) {
    // The inner packet's own endpoints; judged by the tunnel, not the outer link.
    EXPECT_EQ(e.resolver().port(), 53u);
    EXPECT_EQ(e.verdict(), v1::VERDICT_INFO) << e.dns().qname();
    EXPECT_EQ(e.rule(), "full-tunnel/inside-tunnel");
  }
  EXPECT_EQ(out.events[0].source().address(), "192.0.2.10");
  EXPECT_EQ(out.events[7].resolver().address(), "2001:db8:53::53");
  EXPECT_EQ(out.events.back().dns().answer_count(), 60u);
  const auto& m = out.summary.malformed();
  EXPECT_EQ(named(m, "too_many_tunnels"), 1u);
  EXPECT_EQ(named(m, "truncated_tunnel_header"), 1u);
  EXPECT_EQ(named(m, "dns_too_short") + named(m, "dns_truncated_name"), 0u);  // the junk VXLAN datagram is not DNS
  matchesExpected(out, "tunnels");
}

TEST_F(CaptureTest, DnsOverCleartextHttpIsReadDownToItsMessages) {
  auto out = read(generate("dns_http", "dns_http.pcap"), {"--interface", "eth0"});
  // Events go out as their exchanges complete: the two answered first.
  std::vector<std::pair<std::string, bool>> seen;
  for (const auto& e : out.events) {
    EXPECT_EQ(e.kind(), v1::MESSAGE_KIND_QUERY);
    seen.emplace_back(e.dns().qname(), e.exchange().answered());
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{{"post.example.com", true},
                                                             {"h2-post.example.com", true},
                                                             {"get.example.com", false},
                                                             {"h2-get.example.com", false}}));
  for (const auto& e : out.events) {
    EXPECT_EQ(e.transport(), v1::TRANSPORT_DNS_HTTP);
    EXPECT_EQ(e.recognition().method(), v1::RECOGNITION_METHOD_CONTENT);
    // Readable on the path: plaintext, so Leak-A.
    EXPECT_EQ(e.leak_type(), v1::LEAK_TYPE_A);
    EXPECT_NE(e.reason().find("plaintext DNS over HTTP"), std::string::npos) << e.reason();
  }
  // The content type names a POST's body; a GET's parameter is judged by its shape.
  EXPECT_EQ(out.events[0].recognition().confidence(), v1::CONFIDENCE_HIGH);
  EXPECT_EQ(out.events[2].recognition().confidence(), v1::CONFIDENCE_MEDIUM);
  // The h2 POST's response, on stream 1 of the h2c connection, completes it.
  EXPECT_EQ(out.events[1].dns().answers_size(), 1);
  EXPECT_EQ(out.events[1].resolver().port(), 8080u);
  EXPECT_EQ(out.summary.dns_messages(), 6u);
  EXPECT_EQ(named(out.summary.malformed(), "http_gap"), 1u);
  EXPECT_EQ(named(out.summary.malformed(), "http_malformed"), 0u);
  matchesExpected(out, "dns_http");
}

TEST_F(CaptureTest, LocalLinkProtocolsAndDnsOnAnUnusualPort) {
  auto out = read(generate("local_link", "local_link.pcap"), {"--interface", "eth0"});
  std::vector<std::pair<v1::Transport, std::string>> seen;
  for (const auto& e : out.events) seen.emplace_back(e.transport(), e.dns().qname());
  EXPECT_EQ(seen, (std::vector<std::pair<v1::Transport, std::string>>{
                      {v1::TRANSPORT_MDNS, "printer.local"},
                      {v1::TRANSPORT_LLMNR, "fileserver"},
                      {v1::TRANSPORT_LLMNR, "fileserver"},
                      {v1::TRANSPORT_LLMNR, "tcp-host"},
                      {v1::TRANSPORT_NBNS, "WORKSTATION<00>"},
                      {v1::TRANSPORT_DNS_TCP, "split-odd-port.example.com"},
                      {v1::TRANSPORT_DNS_TCP, "second-odd-port.example.com"},
                      {v1::TRANSPORT_DNS_UDP, "odd-port.example.com"},
                      {v1::TRANSPORT_DNS_TCP, "tcp-odd-port.example.com"}}));
  ASSERT_EQ(out.events.size(), 9u);
  // Local-link messages are never paired: one question, many answerers.
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(out.events[i].verdict(), v1::VERDICT_INFO) << i;
    EXPECT_EQ(out.events[i].rule(), "local-link/name-announced");
    EXPECT_EQ(out.events[i].recognition().method(), v1::RECOGNITION_METHOD_PORT);
    EXPECT_FALSE(out.events[i].has_exchange()) << i;
  }
  EXPECT_EQ(out.events[2].kind(), v1::MESSAGE_KIND_RESPONSE);
  EXPECT_EQ(out.events[3].ip_protocol(), "tcp");
  EXPECT_EQ(out.events[4].dns().qtype_name(), "NB");
  // Followed across segments by content: each message framed, none twice;
  // the query split over two segments is completed by its response.
  for (std::size_t i = 5; i < 7; ++i) {
    EXPECT_EQ(out.events[i].recognition().method(), v1::RECOGNITION_METHOD_CONTENT);
    EXPECT_EQ(out.events[i].resolver().port(), 9053u);
  }
  EXPECT_TRUE(out.events[5].exchange().answered());
  EXPECT_EQ(out.events[5].dns().answers_size(), 1);
  EXPECT_EQ(out.events[6].kind(), v1::MESSAGE_KIND_RESPONSE);  // its query is not in the capture
  const auto& odd = out.events[7];
  EXPECT_EQ(odd.recognition().method(), v1::RECOGNITION_METHOD_CONTENT);
  EXPECT_EQ(odd.recognition().confidence(), v1::CONFIDENCE_MEDIUM);
  EXPECT_EQ(odd.verdict(), v1::VERDICT_LEAK);
  EXPECT_EQ(odd.resolver().port(), 8053u);
  EXPECT_FALSE(odd.exchange().answered());
  EXPECT_EQ(out.events[8].recognition().method(), v1::RECOGNITION_METHOD_CONTENT);
  EXPECT_EQ(out.events[8].resolver().port(), 8053u);
  // The noise on UDP/4500 and TCP/9000 is neither DNS nor counted as malformed DNS.
  EXPECT_EQ(named(out.summary.malformed(), "dns_too_short") + named(out.summary.malformed(), "dns_truncated_name") +
                named(out.summary.malformed(), "dns_bad_label_type"),
            0u);
  matchesExpected(out, "local_link");
}

TEST_F(CaptureTest, DnsOverTlsConnectionsAreReportedOnceEach) {
  auto out = read(generate("dot", "dot.pcap"), {"--interface", "eth0"});
  ASSERT_EQ(out.events.size(), 2u);
  const auto& handshake = out.events[0];
  EXPECT_EQ(handshake.transport(), v1::TRANSPORT_DOT);
  EXPECT_EQ(handshake.kind(), v1::MESSAGE_KIND_HANDSHAKE);
  EXPECT_EQ(handshake.sni(), "dns.example.net");
  ASSERT_EQ(handshake.alpn_size(), 1);
  EXPECT_EQ(handshake.alpn(0), "dot");
  EXPECT_EQ(handshake.recognition().confidence(), v1::CONFIDENCE_HIGH);
  EXPECT_EQ(handshake.verdict(), v1::VERDICT_LEAK);
  EXPECT_EQ(handshake.leak_type(), v1::LEAK_TYPE_C);
  EXPECT_EQ(handshake.rule(), "full-tunnel/encrypted-dns-outside-safe-path");
  EXPECT_EQ(handshake.resolver().address(), "198.51.100.99");
  EXPECT_NE(handshake.reason().find("DNS over TLS to 198.51.100.99:853 (server name dns.example.net) left via eth0"),
            std::string::npos)
      << handshake.reason();
  const auto& midstream = out.events[1];
  EXPECT_EQ(midstream.kind(), v1::MESSAGE_KIND_CONNECTION);
  EXPECT_EQ(midstream.sni(), "");
  EXPECT_EQ(midstream.recognition().confidence(), v1::CONFIDENCE_MEDIUM);
  EXPECT_EQ(midstream.resolver().port(), 853u);
  EXPECT_EQ(midstream.leak_type(), v1::LEAK_TYPE_C);
  EXPECT_EQ(named(out.summary.transports(), "dot"), 2u);
  EXPECT_EQ(out.summary.dns_messages(), 0u);
  matchesExpected(out, "dot");
}

TEST_F(CaptureTest, GeneratedQuicInitialsGiveDoqAndHttp3Doh) {
  auto out = read(generate("quic", "quic.pcap"),
                  {"--config", std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/configs/doh.yaml", "--interface", "eth0"});
  const auto events = out.dnsEvents();
  std::vector<std::tuple<v1::Transport, std::string, std::uint32_t>> seen;
  for (const auto& e : events) seen.emplace_back(e.transport(), e.sni(), e.resolver().port());
  EXPECT_EQ(seen, (std::vector<std::tuple<v1::Transport, std::string, std::uint32_t>>{
                      {v1::TRANSPORT_DOQ, "dns.example.net", 853},
                      {v1::TRANSPORT_DOQ, "", 8853},
                      {v1::TRANSPORT_DOH, "doh.example.net", 443},
                      {v1::TRANSPORT_DOQ, "not-doq.example", 784}}));
  ASSERT_EQ(events.size(), 4u);
  // ALPN doq (and a draft's doq-i02) say DoQ for sure; the port alone less so.
  EXPECT_EQ(events[0].recognition().method(), v1::RECOGNITION_METHOD_ALPN);
  EXPECT_EQ(events[1].recognition().method(), v1::RECOGNITION_METHOD_ALPN);
  EXPECT_EQ(events[2].recognition().method(), v1::RECOGNITION_METHOD_SNI_LIST);
  EXPECT_EQ(events[2].alpn(0), "h3");
  EXPECT_EQ(events[3].recognition().method(), v1::RECOGNITION_METHOD_PORT);
  EXPECT_EQ(events[3].recognition().confidence(), v1::CONFIDENCE_MEDIUM);
  for (const auto& e : events) EXPECT_EQ(e.leak_type(), v1::LEAK_TYPE_C);
  EXPECT_EQ(named(out.summary.malformed(), "quic_decrypt_failed"), 0u);
  matchesExpected(out, "quic");
}

TEST_F(CaptureTest, DnsOverHttpsIsTheListedResolversAndNothingElse) {
  auto out = read(generate("doh", "doh.pcap"),
                  {"--config", std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/configs/doh.yaml", "--interface", "eth0"});
  const auto events = out.dnsEvents();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].sni(), "doh.example.net");
  EXPECT_EQ(events[0].recognition().method(), v1::RECOGNITION_METHOD_SNI_LIST);
  EXPECT_EQ(events[0].recognition().confidence(), v1::CONFIDENCE_HIGH);
  EXPECT_EQ(events[1].sni(), "eu.doh.example.net");
  EXPECT_EQ(events[2].sni(), "");
  EXPECT_EQ(events[2].resolver().address(), "198.51.100.111");
  EXPECT_EQ(events[2].recognition().method(), v1::RECOGNITION_METHOD_ADDRESS_LIST);
  EXPECT_EQ(events[2].recognition().confidence(), v1::CONFIDENCE_LOW);
  for (const auto& e : events) {
    EXPECT_EQ(e.transport(), v1::TRANSPORT_DOH);
    EXPECT_EQ(e.kind(), v1::MESSAGE_KIND_HANDSHAKE);
    EXPECT_EQ(e.leak_type(), v1::LEAK_TYPE_C);
    ASSERT_EQ(e.alpn_size(), 2);
    EXPECT_EQ(e.alpn(0), "h2");
  }
  matchesExpected(out, "doh");
}

TEST_F(CaptureTest, DnsCryptByCertificateQueryAndBothMagics) {
  auto out = read(generate("dnscrypt", "dnscrypt.pcap"), {"--interface", "eth0"});
  ASSERT_EQ(out.events.size(), 3u);
  for (const auto& e : out.events) {
    EXPECT_EQ(e.transport(), v1::TRANSPORT_DNSCRYPT);
    EXPECT_EQ(e.leak_type(), v1::LEAK_TYPE_C);
  }
  // The certificate fetch: one exchange.
  EXPECT_EQ(out.events[0].kind(), v1::MESSAGE_KIND_QUERY);
  EXPECT_EQ(out.events[0].dns().qname(), "2.dnscrypt-cert.resolver.example");
  EXPECT_TRUE(out.events[0].exchange().answered());
  EXPECT_EQ(out.events[0].dns().answer_count(), 1u);
  const auto& exchange = out.events[1];
  EXPECT_EQ(exchange.kind(), v1::MESSAGE_KIND_CONNECTION);
  EXPECT_EQ(exchange.recognition().method(), v1::RECOGNITION_METHOD_CONTENT);
  EXPECT_EQ(exchange.resolver().address(), "198.51.100.121");
  EXPECT_EQ(exchange.resolver().port(), 8443u);
  // The certificate's client magic, learnt from the response, names the query.
  const auto& query = out.events[2];
  EXPECT_EQ(query.kind(), v1::MESSAGE_KIND_CONNECTION);
  EXPECT_EQ(query.resolver().address(), "198.51.100.120");
  EXPECT_EQ(query.resolver().port(), 443u);
  EXPECT_EQ(query.source().port(), 47004u);
  EXPECT_EQ(out.summary.dns_messages(), 2u);
  matchesExpected(out, "dnscrypt");
}

TEST_F(CaptureTest, DnsCryptCertificateIsKnownByItsContentUnderAnyName) {
  auto out = read(generate("dnscrypt_unnamed", "dnscrypt_unnamed.pcap"), {"--interface", "eth0"});
  std::vector<std::tuple<v1::Transport, v1::MessageKind, std::string>> seen;
  for (const auto& e : out.events) seen.emplace_back(e.transport(), e.kind(), e.dns().qname());
  EXPECT_EQ(seen, (std::vector<std::tuple<v1::Transport, v1::MessageKind, std::string>>{
                      // The query cannot be told apart before its answer comes:
                      // the certificate in the answer makes the exchange DNSCrypt.
                      {v1::TRANSPORT_DNSCRYPT, v1::MESSAGE_KIND_QUERY, "cert.resolver2.example"},
                      {v1::TRANSPORT_DNSCRYPT, v1::MESSAGE_KIND_CONNECTION, ""},  // sealed: no message to read
                      {v1::TRANSPORT_DNS_UDP, v1::MESSAGE_KIND_RESPONSE, "notes.example.com"}}));
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[0].leak_type(), v1::LEAK_TYPE_C);
  EXPECT_TRUE(out.events[0].exchange().answered());
  EXPECT_EQ(out.events[0].recognition().method(), v1::RECOGNITION_METHOD_CONTENT);
  EXPECT_EQ(out.events[1].resolver().port(), 443u);
}

// A listed resolver's name says DoH on any port: TLS on 8443 and 453 (a
// hello in two segments), HTTP/3 on 8443. Away from 443 an address alone
// says nothing, and an unlisted name is ordinary HTTPS.
TEST_F(CaptureTest, DohIsRecognisedOnAnyPortByTheServerName) {
  auto out = read(generate("doh_ports", "doh_ports.pcap"),
                  {"--config", std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/configs/doh.yaml", "--interface", "eth0"});
  std::vector<std::tuple<v1::Transport, std::string, std::uint32_t>> seen;
  for (const auto& e : out.dnsEvents()) seen.emplace_back(e.transport(), e.sni(), e.resolver().port());
  EXPECT_EQ(seen, (std::vector<std::tuple<v1::Transport, std::string, std::uint32_t>>{
                      {v1::TRANSPORT_DOH, "doh.example.net", 8443},
                      {v1::TRANSPORT_DOH, "eu.doh.example.net", 453},
                      {v1::TRANSPORT_DOH, "doh.example.net", 8443}}));
  for (const auto& e : out.dnsEvents()) {
    EXPECT_EQ(e.recognition().method(), v1::RECOGNITION_METHOD_SNI_LIST);
    EXPECT_EQ(e.leak_type(), v1::LEAK_TYPE_C);
  }
}

// Every capture the shared corpus calls a negative (plain HTTPS, plain DNS,
// LAN name protocols, QUIC) gives no encrypted-DNS event with the bundled
// config and its resolver list. Skipped without ../shared.
TEST_F(CaptureTest, SharedCorpusNegativesAreNeverEncryptedDns) {
  const std::string corpus = std::string(DNSLEAK_SOURCE_DIR) + "/../shared/corpus/ndpi";
  const std::string manifest = readFile(corpus + "/MANIFEST.tsv");
  if (manifest.empty()) GTEST_SKIP() << "no shared corpus at " << corpus << " (it is an aid, not a dependency)";
  const std::string config = std::string(DNSLEAK_SOURCE_DIR) + "/config/dnsleakd.yaml";
  int negatives = 0;
  for (const auto& row : lines(manifest)) {
    auto tab = row.find('\t');
    if (tab == std::string::npos) continue;
    std::string file = row.substr(0, tab);
    std::string category = row.substr(tab + 1, row.find('\t', tab + 1) - tab - 1);
    if (category != "negative" && category != "plain-dns" && category != "local-name-resolution" && category != "quic") {
      continue;
    }
    ++negatives;
    auto r = run({DNSLEAKD_PATH, "--read", corpus + "/pcap/" + file, "--config", config, "--json"});
    for (const auto& line : lines(r.out)) {
      Event e;
      if (!google::protobuf::util::JsonStringToMessage(line, &e).ok()) continue;
      EXPECT_TRUE(e.transport() != v1::TRANSPORT_DOH && e.transport() != v1::TRANSPORT_DOT &&
                  e.transport() != v1::TRANSPORT_DOQ && e.transport() != v1::TRANSPORT_DNSCRYPT)
          << file << " (" << category << "): " << e.sni() << " " << e.destination().address() << " " << e.reason();
    }
  }
  EXPECT_GT(negatives, 40);
}

// The shipped list is what the audit script makes of the public lists,
// byte for byte, and the script says what it dropped and why.
TEST_F(CaptureTest, ShippedResolverListIsTheAuditedBuildOfThePublicLists) {
  const std::string sources = std::string(DNSLEAK_SOURCE_DIR) + "/../shared/data/resolvers";
  if (readFile(sources + "/piholemanual-DOHadb.txt").empty()) {
    GTEST_SKIP() << "no public resolver lists at " << sources << " (../shared is an aid, not a dependency)";
  }
  const std::string built = dir_ + "/public-resolvers.txt";
  auto r = run({"python3", std::string(DNSLEAK_SOURCE_DIR) + "/scripts/build-resolver-list.py", sources, built});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(readFile(built), readFile(std::string(DNSLEAK_SOURCE_DIR) + "/config/resolvers/public-resolvers.txt"))
      << "config/resolvers/public-resolvers.txt is not what scripts/build-resolver-list.py builds";
  EXPECT_NE(r.out.find("api.cloudflareclient.com"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a whole registrable domain"), std::string::npos) << r.out;
  const std::string list = readFile(built);
  EXPECT_NE(list.find("\nexact "), std::string::npos);
  EXPECT_NE(list.find("\n# dropped api.cloudflareclient.com: "), std::string::npos);
}

// A pcapng whose interfaces have different link types and names, made by
// Debian's own tools (text2pcap names each interface, mergecap joins
// them): every packet read with its interface's link type and name, and
// the full-tunnel verdict follows the name.
TEST_F(CaptureTest, MultiInterfacePcapngFromWiresharksToolsIsJudgedByInterfaceName) {
  for (const char* tool : {"tshark", "text2pcap", "mergecap"}) {
    if (!haveProgram(tool)) GTEST_SKIP() << "needs " << tool << " (tshark, wireshark-common: scripts/install-deps.sh)";
  }
  const std::string prefix = dir_ + "/two";
  ASSERT_EQ(run({TESTGEN_PATH, "two_links", prefix}).exit_code, 0);
  auto to_pcapng = [&](const std::string& link, const std::string& name, const std::string& linktype) {
    auto dump = run({"tshark", "-r", prefix + "-" + link + ".pcap", "-x"});
    EXPECT_EQ(dump.exit_code, 0) << dump.err;
    writeFile(prefix + "-" + link + ".txt", dump.out);
    auto r = run({"text2pcap", "-q", "-N", name, "-l", linktype, prefix + "-" + link + ".txt",
                  prefix + "-" + link + ".pcapng"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  to_pcapng("uplink", "eth-up", "1");
  to_pcapng("tunnel", "tun0", "101");
  const std::string merged = dir_ + "/merged.pcapng";
  auto merge = run({"mergecap", "-w", merged, prefix + "-uplink.pcapng", prefix + "-tunnel.pcapng"});
  ASSERT_EQ(merge.exit_code, 0) << merge.err;

  writeFile(dir_ + "/c.yaml", "safe_path: {interfaces: [tun0]}\nstore: {record_ok: true}\n");
  auto out = read(merged, {"--config", dir_ + "/c.yaml"});
  std::map<std::string, const Event*> by_name;
  for (const auto& e : out.events) by_name[e.dns().qname()] = &e;
  ASSERT_TRUE(by_name.count("uplink.example.com") && by_name.count("tunnel.example.com")) << out.raw_lines.size();
  EXPECT_EQ(by_name["uplink.example.com"]->interface().name(), "eth-up");
  EXPECT_EQ(by_name["uplink.example.com"]->leak_type(), v1::LEAK_TYPE_A);
  EXPECT_EQ(by_name["tunnel.example.com"]->interface().name(), "tun0");
  EXPECT_EQ(by_name["tunnel.example.com"]->verdict(), v1::VERDICT_OK);
  EXPECT_EQ(by_name["tunnel.example.com"]->rule(), "full-tunnel/safe-interface");
  EXPECT_EQ(out.summary.capture(0).state(), "finished");
  EXPECT_EQ(out.summary.capture(0).link_type(), "pcapng: EN10MB, RAW");
}

// A real capture (nDPI's DNS sample) cut by editcap's snap length, and the
// same capture whole with one IP length changed to claim 40 bytes more than
// the frame has: the cut packets are decoded as far as they go and counted
// as cut; the lying one is malformed. Once, both were parsed as if whole.
TEST_F(CaptureTest, PacketsCutByTheSnapLengthAreToldFromLyingLengths) {
  if (!haveProgram("editcap")) GTEST_SKIP() << "needs editcap (wireshark-common: scripts/install-deps.sh)";
  const std::string original = std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/ndpi-dns.pcap";
  const std::string cut = dir_ + "/cut.pcap";
  auto edit = run({"editcap", "-s", "80", original, cut});
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  auto snapped = read(cut);
  EXPECT_EQ(named(snapped.summary.malformed(), "ip_cut_by_snaplen"), 2u);  // the 91- and 219-byte frames
  EXPECT_EQ(named(snapped.summary.malformed(), "bad_ip_total_length"), 0u);
  EXPECT_EQ(snapped.summary.packets(), 5u);
  EXPECT_EQ(snapped.summary.dns_messages(), 5u);  // every question fits in 80 bytes

  // The sample is pcapng; as classic pcap (editcap again) its first record
  // is at a known place: 24-byte file header, 16-byte record header,
  // 14-byte Ethernet header, then IPv4 with its total length at offset 2.
  const std::string whole = dir_ + "/whole.pcap";
  auto convert = run({"editcap", "-F", "pcap", original, whole});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  std::string bytes = readFile(whole);
  ASSERT_GT(bytes.size(), 60u);
  const std::size_t at = 24 + 16 + 14 + 2;
  unsigned total = (static_cast<unsigned char>(bytes[at]) << 8 | static_cast<unsigned char>(bytes[at + 1])) + 40;
  bytes[at] = static_cast<char>(total >> 8);
  bytes[at + 1] = static_cast<char>(total & 0xff);
  writeFile(dir_ + "/lying.pcap", bytes);
  auto lying = read(dir_ + "/lying.pcap");
  EXPECT_EQ(named(lying.summary.malformed(), "bad_ip_total_length"), 1u);
  EXPECT_EQ(named(lying.summary.malformed(), "ip_cut_by_snaplen"), 0u);
  EXPECT_EQ(lying.summary.dns_messages(), 4u);
}

// Linux NFLOG, PPP and Apple PKTAP captures from tcpdump's tests
// (tests/data/SOURCES.md): read as tshark reads them.
TEST_F(CaptureTest, NflogPppAndPktapLinkTypesAreDecoded) {
  const std::string data = std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/";
  auto nflog = read(data + "tcpdump-nflog.pcap", {"--ifname", "2=eth0"});
  std::vector<std::string> names;
  for (const auto& e : nflog.events) names.push_back(e.dns().qname() + "/" + e.dns().qtype_name());
  EXPECT_EQ(names, (std::vector<std::string>{"example.com/A", "example.com/AAAA", "www.example.com/A",
                                             "www.example.com/AAAA"}));
  ASSERT_FALSE(nflog.events.empty());
  EXPECT_EQ(nflog.events[0].interface().name(), "eth0");  // NFULA_IFINDEX_INDEV 2
  EXPECT_EQ(nflog.events[0].direction(), v1::DIRECTION_INBOUND);

  auto ppp = read(data + "tcpdump-ppp-malformed.pcap");
  EXPECT_TRUE(ppp.events.empty());
  EXPECT_EQ(named(ppp.summary.malformed(), "not_ip"), 1u);
  EXPECT_EQ(ppp.summary.capture(0).link_type(), "PPP_SERIAL");

  auto pktap = read(data + "tcpdump-pktap.pcap");
  ASSERT_EQ(pktap.events.size(), 1u);
  EXPECT_EQ(pktap.events[0].dns().qname(), "in.m.yahoo.com");
  EXPECT_EQ(pktap.events[0].kind(), v1::MESSAGE_KIND_QUERY);
}

// A real mDNS announcement (tests/data/SOURCES.md): a response without a
// question names what it announces, and its sender announces it.
TEST_F(CaptureTest, LocalLinkAnnouncementsNameWhatTheyAnnounceAndWho) {
  const std::string capture = std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/suricata-mdns-announcement.pcap";
  auto out = read(capture, {"--interface", "eth0"});
  ASSERT_GE(out.events.size(), 1u);
  const auto& a = out.events[0];
  EXPECT_EQ(a.transport(), v1::TRANSPORT_MDNS);
  EXPECT_EQ(a.kind(), v1::MESSAGE_KIND_RESPONSE);
  EXPECT_EQ(a.dns().qname(), "John\\226\\128\\153s\\032iMac._device-info._tcp.local");
  EXPECT_EQ(a.dns().qtype_name(), "TXT");
  ASSERT_EQ(a.signals_size(), 1);
  EXPECT_EQ(a.signals(0), "announcement");
  EXPECT_EQ(a.verdict(), v1::VERDICT_INFO);
  EXPECT_NE(a.reason().find("mDNS announcement of John"), std::string::npos) << a.reason();
  EXPECT_NE(a.reason().find("and 1 other name (_companion-link._tcp.local)"), std::string::npos) << a.reason();
  EXPECT_NE(a.reason().find("(by [fe80::4b6:2b35:b860:803f]:5353)"), std::string::npos) << a.reason();
  EXPECT_EQ(a.reason().find("(no question)"), std::string::npos) << a.reason();
  // With local_link: leak the announcing host leaks its names, as an asking one does.
  writeFile(dir_ + "/leak.yaml", "local_link: leak\n");
  auto leak = read(capture, {"--interface", "eth0", "--config", dir_ + "/leak.yaml"});
  ASSERT_GE(leak.events.size(), 1u);
  EXPECT_EQ(leak.events[0].leak_type(), v1::LEAK_TYPE_A);
}

// Real captures from nDPI's tests (tests/data/SOURCES.md), judged with the
// bundled config and its shipped resolver list.
TEST_F(CaptureTest, RealEncryptedDnsCaptures) {
  std::string config = std::string(DNSLEAK_SOURCE_DIR) + "/config/dnsleakd.yaml";
  auto doh = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/ndpi-dns_doh.pcap", {"--config", config});
  ASSERT_EQ(doh.events.size(), 1u);
  EXPECT_EQ(doh.events[0].transport(), v1::TRANSPORT_DOH);
  EXPECT_EQ(doh.events[0].sni(), "mozilla.cloudflare-dns.com");
  // Without --config the built-in defaults are the shipped config, its
  // resolver list included (found beside the binary, as once installed).
  auto built_in = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/ndpi-dns_doh.pcap");
  ASSERT_EQ(built_in.events.size(), 1u);
  EXPECT_EQ(built_in.events[0].transport(), v1::TRANSPORT_DOH);
  EXPECT_EQ(built_in.events[0].leak_type(), v1::LEAK_TYPE_C);
  auto by_address = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/ndpi-dns2tcp_tunnel.pcap", {"--config", config});
  ASSERT_EQ(by_address.events.size(), 1u);
  EXPECT_EQ(by_address.events[0].transport(), v1::TRANSPORT_DOH);
  EXPECT_EQ(by_address.events[0].resolver().address(), "1.1.1.1");
  auto dot = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/ndpi-dns_dot.pcap", {"--config", config});
  ASSERT_EQ(dot.events.size(), 1u);
  EXPECT_EQ(dot.events[0].transport(), v1::TRANSPORT_DOT);
  EXPECT_EQ(dot.events[0].resolver().address(), "8.8.8.8");
  EXPECT_EQ(dot.events[0].leak_type(), v1::LEAK_TYPE_C);
}

// QUIC Initials decrypted (RFC 9001): DoQ by its ALPN, and HTTP/3 to a
// listed resolver as DoH, from real captures (tests/data/SOURCES.md).
TEST_F(CaptureTest, QuicInitialsAreDecryptedForDoqAndHttp3Doh) {
  auto doq = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/ndpi-doq.pcapng");
  ASSERT_EQ(doq.dnsEvents().size(), 1u);
  EXPECT_EQ(doq.events[0].transport(), v1::TRANSPORT_DOQ);
  EXPECT_EQ(doq.events[0].kind(), v1::MESSAGE_KIND_HANDSHAKE);
  ASSERT_EQ(doq.events[0].alpn_size(), 1);
  EXPECT_EQ(doq.events[0].alpn(0), "doq-i00");
  EXPECT_EQ(doq.events[0].recognition().method(), v1::RECOGNITION_METHOD_ALPN);
  EXPECT_EQ(doq.events[0].resolver().port(), 784u);
  EXPECT_EQ(doq.events[0].verdict(), v1::VERDICT_OK);  // ::1 to ::1: on this host

  // The ClientHello comes in CRYPTO frames over several Initials, out of order.
  std::string capture = std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/suricata-quic-frag-unordered.pcap";
  auto h3 = read(capture, {"--config", std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/configs/h3.yaml"});
  ASSERT_EQ(h3.dnsEvents().size(), 1u);
  EXPECT_EQ(h3.events[0].transport(), v1::TRANSPORT_DOH);
  EXPECT_EQ(h3.events[0].sni(), "mastodon.social");
  EXPECT_EQ(h3.events[0].recognition().method(), v1::RECOGNITION_METHOD_SNI_LIST);
  EXPECT_EQ(h3.events[0].leak_type(), v1::LEAK_TYPE_C);
  // Without the name on the list, the same HTTP/3 connection is not DNS:
  // only, offline, a connection no DNS in the file resolved (low confidence).
  auto unlisted = read(capture, {"--config", std::string(DNSLEAK_SOURCE_DIR) + "/config/dnsleakd.yaml"});
  EXPECT_TRUE(unlisted.dnsEvents().empty());
  for (const auto& e : unlisted.events) {
    EXPECT_EQ(e.rule(), "full-tunnel/hidden-resolution");
    EXPECT_EQ(e.recognition().confidence(), v1::CONFIDENCE_LOW);
  }
}

TEST_F(CaptureTest, DohCanaryAndDdrQueriesCarryTheirSignals) {
  auto out = read(generate("signals", "signals.pcap"), {"--interface", "eth0"});
  ASSERT_EQ(out.events.size(), 3u);
  ASSERT_EQ(out.events[0].signals_size(), 1);
  EXPECT_EQ(out.events[0].signals(0), "doh-canary");
  ASSERT_EQ(out.events[1].signals_size(), 1);
  EXPECT_EQ(out.events[1].signals(0), "ddr");
  EXPECT_EQ(out.events[1].dns().qtype_name(), "SVCB");
  EXPECT_EQ(out.events[2].signals_size(), 0);
  matchesExpected(out, "signals");
}

TEST_F(CaptureTest, EveryLinkLayerAndPcapng) {
  generate("link_layers", "links");
  struct Expect {
    const char* file;
    std::vector<std::string> qnames;
    std::string interface;
  };
  for (const auto& x : std::vector<Expect>{{"links-ethernet.pcapng", {"vlan.example.com", "qinq.example.com"}, ""},
                                           {"links-sll.pcap", {"sll.example.com"}, ""},
                                           {"links-raw.pcap", {"raw.example.com"}, ""},
                                           {"links-null.pcap", {"loop.example.com"}, ""}}) {
    auto out = read(dir_ + "/" + x.file);
    std::vector<std::string> qnames;
    for (const auto& e : out.events) qnames.push_back(e.dns().qname());
    EXPECT_EQ(qnames, x.qnames) << x.file;
  }
  auto sll = read(dir_ + "/links-sll.pcap");
  ASSERT_EQ(sll.events.size(), 1u);
  EXPECT_EQ(sll.events[0].direction(), v1::DIRECTION_OUTBOUND);
  auto loop = read(dir_ + "/links-null.pcap");
  ASSERT_EQ(loop.events.size(), 1u);
  EXPECT_EQ(loop.events[0].verdict(), v1::VERDICT_OK);
}

TEST_F(CaptureTest, OutputIsTheSameOnEveryRun) {
  std::string capture = generate("tcp_framing", "again.pcap");
  auto first = run({DNSLEAKD_PATH, "--read", capture, "--json"});
  auto second = run({DNSLEAKD_PATH, "--read", capture, "--json"});
  ASSERT_EQ(first.exit_code, 0);
  EXPECT_EQ(first.out, second.out);
}

TEST_F(CaptureTest, HumanOutputShowsLeakAndReason) {
  auto r = run({DNSLEAKD_PATH, "--read", generate("basic_udp", "human.pcap"), "--interface", "eth0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("LEAK Leak-A"), std::string::npos);
  EXPECT_NE(r.out.find("leak.example.com A"), std::string::npos);
  EXPECT_NE(r.out.find("plaintext DNS query for leak.example.com (A) to 198.51.100.53:53 left via eth0"),
            std::string::npos)
      << r.out;
  // The response completes its query's line.
  EXPECT_NE(r.out.find("leak.example.com A NOERROR 10ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stub.example.com HTTPS unanswered"), std::string::npos) << r.out;
  // Without the VPN config 10.8.0.1 is not safe either: three exchanges leak.
  EXPECT_NE(r.out.find("7 DNS messages (exchanges: 3 answered, 1 unanswered), 0 encrypted-DNS observations, 3 leaks"),
            std::string::npos)
      << r.out;
}

// A real capture from nDPI's test suite (tests/data/ndpi-dns.pcap, LGPL-3.0,
// see tests/data/SOURCES.md): PPPoE inside QinQ as well as plain Ethernet.
TEST_F(CaptureTest, RealCaptureFromAnotherProject) {
  auto out = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/ndpi-dns.pcap");
  // Five messages: two exchanges and a response whose query is not in it.
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.summary.dns_messages(), 5u);
  ASSERT_NE(byName(out, "www.l.google.com", v1::MESSAGE_KIND_RESPONSE), nullptr);
  const Event* pppoe = byName(out, "e7.whatsapp.net", v1::MESSAGE_KIND_QUERY);
  ASSERT_NE(pppoe, nullptr);
  EXPECT_EQ(pppoe->dns().answers_size(), 8);
  EXPECT_EQ(pppoe->dns().answers(0).data(), "169.45.219.235");
}

// DNS tunnels in real captures (tests/data/SOURCES.md): each is found once
// per domain and client, with its evidence, beside the queries' own events;
// an ordinary long name in the corpus is not.
TEST_F(CaptureTest, TunnelsInRealCapturesAreFoundWithTheirEvidence) {
  struct Case {
    const char* file;
    const char* domain;
    const char* rule;  // of the first finding
    std::size_t findings;
  };
  for (const Case& c : {Case{"iodine-tunnel.pcap", "tunnel.test", "tunnel/data-in-one-name", 2},
                        Case{"dig-exfil.pcap", "exfil.test", "tunnel/data-in-one-name", 2},
                        Case{"suricata-dns-tunnel.pcap", "tunnel.com", "tunnel/data-in-one-name", 2},
                        Case{"ndpi-dns-exf.pcap", "test.txt", "tunnel/data-in-one-name", 1},
                        Case{"suricata-azure-long-name.pcap", "", "", 0},
                        Case{"dig-ordinary.pcap", "", "", 0}}) {
    auto out = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/" + c.file);
    std::vector<const Event*> findings;
    for (const auto& e : out.events) {
      if (e.kind() == v1::MESSAGE_KIND_FINDING) findings.push_back(&e);
    }
    ASSERT_EQ(findings.size(), c.findings) << c.file;
    std::uint64_t counted = 0;
    for (const auto& t : out.summary.detectors()) {
      if (t.name() == "tunnel_findings") counted = t.count();
    }
    EXPECT_EQ(counted, c.findings) << c.file;
    if (c.findings == 0) continue;
    const Event& f = *findings.front();
    EXPECT_EQ(f.dns().qname(), c.domain) << c.file;
    EXPECT_EQ(f.rule(), c.rule) << c.file;
    EXPECT_EQ(f.verdict(), v1::VERDICT_LEAK);
    EXPECT_EQ(f.leak_type(), v1::LEAK_TYPE_TUNNEL);
    EXPECT_EQ(f.recognition().method(), v1::RECOGNITION_METHOD_BEHAVIOUR);
    EXPECT_FALSE(f.remediation().empty());
    EXPECT_GE(f.evidence_size(), 4) << c.file;
    if (c.findings == 2) {
      // Exfiltration first, then the sustained tunnel with the window's figures.
      const Event& t = *findings.back();
      EXPECT_EQ(t.rule(), "tunnel/names-carry-data") << c.file;
      EXPECT_EQ(t.recognition().confidence(), v1::CONFIDENCE_HIGH) << c.file;
      bool queries = false;
      for (const auto& x : t.evidence()) queries |= x.name() == "queries" && x.value() >= 20;
      EXPECT_TRUE(queries) << c.file;
    }
  }
}

// A tunnel through the safe resolver is still a tunnel: every profile
// reports it, while the queries themselves are ok.
TEST_F(CaptureTest, ATunnelThroughTheSafeResolverIsStillReported) {
  const std::string config = dir_ + "/tunnel-safe.yaml";
  writeFile(config, "profile: full-tunnel\nsafe_path:\n  interfaces: []\n  resolvers: [\"10.77.0.2\"]\n");
  auto out = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/dig-exfil.pcap", {"--config", config});
  std::size_t findings = 0, ok_queries = 0;
  for (const auto& e : out.events) {
    if (e.kind() == v1::MESSAGE_KIND_FINDING) {
      ++findings;
      EXPECT_EQ(e.verdict(), v1::VERDICT_LEAK);
      EXPECT_NE(e.reason().find("through the safe path"), std::string::npos) << e.reason();
    } else if (e.kind() == v1::MESSAGE_KIND_QUERY && e.verdict() == v1::VERDICT_OK) {
      ++ok_queries;
    }
  }
  EXPECT_EQ(findings, 2u);       // the first name alone, then the sustained tunnel
  EXPECT_EQ(ok_queries, 99u);    // every query in the capture: through the safe resolver
}

// DoH to a server no list names, recorded here (tests/data/SOURCES.md):
// found by its shape with what followed it, medium confidence; beside it
// the same server as an ordinary site and an API polled by curl over
// HTTP/2, shaped like DoH and nothing more: followed, not reported.
TEST_F(CaptureTest, DohToAnUnlistedServerInARealCaptureAndItsNegatives) {
  auto out = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/doh-unlisted.pcap");
  std::vector<const Event*> doh;
  for (const auto& e : out.events) {
    if (e.recognition().method() == v1::RECOGNITION_METHOD_BEHAVIOUR) doh.push_back(&e);
  }
  ASSERT_EQ(doh.size(), 1u);
  EXPECT_EQ(doh[0]->transport(), v1::TRANSPORT_DOH);
  EXPECT_EQ(doh[0]->sni(), "resolver.private.test");
  EXPECT_EQ(doh[0]->destination().port(), 8443u);
  EXPECT_EQ(doh[0]->recognition().confidence(), v1::CONFIDENCE_MEDIUM);
  EXPECT_EQ(doh[0]->leak_type(), v1::LEAK_TYPE_C);
  std::map<std::string, double> evidence;
  for (const auto& x : doh[0]->evidence()) evidence[x.name()] = x.value();
  EXPECT_GE(evidence["exchanges"], 6);
  EXPECT_LE(evidence["request_bytes"], 600);
  EXPECT_LE(evidence["response_bytes"], 1000);
  EXPECT_EQ(evidence["large_segments"], 0);
  EXPECT_GE(evidence["hidden_resolutions_after_responses"], 2);
  EXPECT_EQ(evidence["resolver_like_name"], 1);

  auto negatives = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/h2-negatives.pcap");
  for (const auto& e : negatives.events) {
    EXPECT_NE(e.recognition().method(), v1::RECOGNITION_METHOD_BEHAVIOUR) << e.ShortDebugString();
    EXPECT_NE(e.transport(), v1::TRANSPORT_DOH) << e.ShortDebugString();
  }
  EXPECT_EQ(named(negatives.summary.detectors(), "doh_followed"), 2u);    // the site's and the API's connection
  EXPECT_EQ(named(negatives.summary.detectors(), "doh_shaped"), 1u);      // the API's
  EXPECT_EQ(named(negatives.summary.detectors(), "doh_shape_only"), 1u);  // ... and nothing else said DoH
}

// --read --json writes events directly (api/event_json.h), not through
// protobuf: every line of every real capture here must be what protobuf
// prints for the same message, byte for byte.
TEST_F(CaptureTest, JsonLinesAreWhatProtobufPrints) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::size_t checked = 0;
  for (const char* file : {"ndpi-dns.pcap", "ndpi-dns2tcp_tunnel.pcap", "ndpi-dns_doh.pcap", "ndpi-dns_dot.pcap",
                           "ndpi-doq.pcapng", "suricata-mdns-announcement.pcap", "suricata-quic-frag-unordered.pcap",
                           "tcpdump-nflog.pcap", "tcpdump-pktap.pcap", "tcpdump-ppp-malformed.pcap",
                           "ndpi-dns-exf.pcap", "suricata-dns-tunnel.pcap", "doh-unlisted.pcap"}) {
    auto out = read(std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/" + file);
    ASSERT_EQ(out.events.size() + 1, out.raw_lines.size()) << file;
    for (std::size_t i = 0; i < out.events.size(); ++i) {
      std::string expected;
      ASSERT_TRUE(google::protobuf::util::MessageToJsonString(out.events[i], &expected, options).ok());
      EXPECT_EQ(out.raw_lines[i], expected) << file << " line " << i + 1;
      ++checked;
    }
  }
  EXPECT_GE(checked, 15u);  // the events these captures hold today
}

}  // namespace
}  // namespace dnsleak::testing
