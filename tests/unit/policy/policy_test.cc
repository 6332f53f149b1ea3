#include "policy/policy.h"

#include <gtest/gtest.h>

namespace dnsleak::policy {
namespace {

std::shared_ptr<const config::Config> configWith(std::vector<std::string> interfaces, std::vector<std::string> resolvers) {
  auto c = std::make_shared<config::Config>();
  c->safe_path.interfaces = std::move(interfaces);
  for (const auto& r : resolvers) {
    config::ResolverSpec spec;
    EXPECT_TRUE(config::parseResolverSpec(r, spec)) << r;
    c->safe_path.resolvers.push_back(spec);
  }
  return c;
}

core::Event query(const char* resolver, std::uint16_t port, const char* interface,
                  core::Direction direction = core::Direction::kOutbound) {
  core::Event e;
  e.transport = core::Transport::kDnsUdp;
  e.kind = core::MessageKind::kQuery;
  e.dns.qname = "secret.example.com";
  e.dns.qtype = 1;
  e.resolver = {*core::IpAddress::parse(resolver), port};
  e.destination = e.resolver;
  e.source = {*core::IpAddress::parse(e.resolver.address.isV4() ? "192.0.2.10" : "2001:db8::10"), 40000};
  e.interface.name = interface;
  e.interface.index = 2;
  e.direction = direction;
  return e;
}

struct Case {
  const char* name;
  const char* resolver;
  std::uint16_t port;
  const char* interface;
  core::Direction direction;
  core::MessageKind kind;
  core::Verdict verdict;
  std::string_view rule;
};

class FullTunnelTable : public ::testing::TestWithParam<Case> {};

TEST_P(FullTunnelTable, Verdict) {
  const Case& c = GetParam();
  Policy policy(configWith({"wg*", "tun0"}, {"10.8.0.1", "10.64.0.0/10", "192.0.2.53:5353"}));
  core::Event e = query(c.resolver, c.port, c.interface, c.direction);
  if (c.kind == core::MessageKind::kResponse) {  // the resolver answers
    e.kind = c.kind;
    std::swap(e.source, e.destination);
  }
  policy.judge(e);
  EXPECT_EQ(e.verdict, c.verdict) << e.reason;
  EXPECT_EQ(e.rule, c.rule);
  EXPECT_EQ(e.profile, "full-tunnel");
  EXPECT_FALSE(e.reason.empty());
  EXPECT_EQ(e.leak_type, c.verdict == core::Verdict::kLeak ? core::LeakType::kA : core::LeakType::kNone);
  EXPECT_EQ(e.remediation.empty(), c.verdict != core::Verdict::kLeak);
}

using core::Direction;
using core::MessageKind;
using core::Verdict;
constexpr std::string_view kRulePlaintextOutside = "full-tunnel/plaintext-outside-safe-path";
constexpr std::string_view kRuleSafeInterface = "full-tunnel/safe-interface";
constexpr std::string_view kRuleSafeResolver = "full-tunnel/safe-resolver";

INSTANTIATE_TEST_SUITE_P(
    Cases, FullTunnelTable,
    ::testing::Values(
        Case{"isp_resolver_over_eth0", "198.51.100.53", 53, "eth0", Direction::kOutbound, MessageKind::kQuery,
             Verdict::kLeak, kRulePlaintextOutside},
        Case{"isp_resolver_direction_unknown", "198.51.100.53", 53, "eth0", Direction::kUnknown, MessageKind::kQuery,
             Verdict::kLeak, kRulePlaintextOutside},
        Case{"response_from_isp_resolver", "198.51.100.53", 53, "eth0", Direction::kInbound, MessageKind::kResponse,
             Verdict::kLeak, kRulePlaintextOutside},
        Case{"over_safe_interface_glob", "198.51.100.53", 53, "wg0", Direction::kOutbound, MessageKind::kQuery,
             Verdict::kOk, kRuleSafeInterface},
        Case{"over_safe_interface_exact", "198.51.100.53", 53, "tun0", Direction::kOutbound, MessageKind::kQuery,
             Verdict::kOk, kRuleSafeInterface},
        Case{"glob_does_not_match_prefix_only", "198.51.100.53", 53, "tun01x", Direction::kOutbound,
             MessageKind::kQuery, Verdict::kLeak, kRulePlaintextOutside},
        Case{"safe_resolver_address", "10.8.0.1", 53, "eth0", Direction::kOutbound, MessageKind::kQuery, Verdict::kOk,
             kRuleSafeResolver},
        Case{"safe_resolver_prefix", "10.100.0.1", 53, "eth0", Direction::kOutbound, MessageKind::kQuery, Verdict::kOk,
             kRuleSafeResolver},
        Case{"safe_resolver_right_port", "192.0.2.53", 5353, "eth0", Direction::kOutbound, MessageKind::kQuery,
             Verdict::kOk, kRuleSafeResolver},
        Case{"safe_resolver_wrong_port", "192.0.2.53", 53, "eth0", Direction::kOutbound, MessageKind::kQuery,
             Verdict::kLeak, kRulePlaintextOutside},
        Case{"loopback_stub", "127.0.0.53", 53, "lo", Direction::kOutbound, MessageKind::kQuery, Verdict::kOk,
             kRuleLocal},
        Case{"loopback_v6", "::1", 53, "", Direction::kUnknown, MessageKind::kQuery, Verdict::kOk, kRuleLocal},
        Case{"inbound_query_host_is_server", "192.0.2.10", 53, "eth0", Direction::kInbound, MessageKind::kQuery,
             Verdict::kInfo, kRuleInboundServer},
        Case{"outbound_response_host_is_server", "192.0.2.10", 53, "eth0", Direction::kOutbound,
             MessageKind::kResponse, Verdict::kInfo, kRuleInboundServer},
        Case{"unknown_interface_unsafe_resolver", "198.51.100.53", 53, "", Direction::kUnknown, MessageKind::kQuery,
             Verdict::kLeak, kRulePlaintextOutside}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(Policy, LeakReasonNamesQuestionResolverAndInterface) {
  Policy policy(configWith({"wg*"}, {}));
  core::Event e = query("198.51.100.53", 53, "eth0");
  policy.judge(e);
  EXPECT_NE(e.reason.find("secret.example.com (A)"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("198.51.100.53:53"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("eth0"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("wg*"), std::string::npos) << e.reason;
}

TEST(Policy, Ipv6ResolverIsBracketedAndUnnamedInterfaceByIndex) {
  Policy policy(configWith({}, {}));
  core::Event e = query("2001:db8::53", 53, "");
  e.interface.index = 9;
  policy.judge(e);
  EXPECT_NE(e.reason.find("[2001:db8::53]:53"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("interface #9"), std::string::npos) << e.reason;
}

TEST(Policy, LocalLinkNamesAreReportedNotJudgedAsLeaks) {
  Policy policy(configWith({"wg*"}, {}));
  for (auto transport : {core::Transport::kMdns, core::Transport::kLlmnr, core::Transport::kNbns}) {
    core::Event e = query("224.0.0.251", 5353, "eth0");
    e.transport = transport;
    e.dns.qname = "printer.local";
    e.source = {*core::IpAddress::parse("192.0.2.10"), 5353};
    policy.judge(e);
    EXPECT_EQ(e.verdict, core::Verdict::kInfo);
    EXPECT_EQ(e.rule, kRuleLocalLink);
    EXPECT_NE(e.reason.find("printer.local"), std::string::npos) << e.reason;
    EXPECT_NE(e.reason.find("announced on the local link via eth0"), std::string::npos) << e.reason;
    EXPECT_FALSE(e.remediation.empty());
  }
}

TEST(PolicyHolder, ViewSeesPublishedPolicy) {
  PolicyHolder holder(std::make_shared<Policy>(configWith({}, {})));
  PolicyView view(holder);
  core::Event e = query("198.51.100.53", 53, "eth0");
  view.get().judge(e);
  EXPECT_EQ(e.verdict, core::Verdict::kLeak);
  holder.publish(std::make_shared<Policy>(configWith({"eth0"}, {})));
  view.get().judge(e);
  EXPECT_EQ(e.verdict, core::Verdict::kOk);
  EXPECT_EQ(holder.generation(), 2u);
}

}  // namespace
}  // namespace dnsleak::policy
