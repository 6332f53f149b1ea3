// Every profile x every leak type x safe and unsafe path, as a table: the
// config, the observation, and the verdict, leak type and rule it must get.

#include <gtest/gtest.h>

#include <functional>

#include "policy/policy.h"
#include "policy/privacy.h"
#include "policy/suffix_list.h"

namespace dnsleak::policy {
namespace {

using core::LeakType;
using core::Transport;
using core::Verdict;

config::ResolverSpec spec(const char* text) {
  config::ResolverSpec s;
  EXPECT_TRUE(config::parseResolverSpec(text, s)) << text;
  return s;
}

// An observation leaving this host (192.0.2.10) for `resolver` via `interface`.
struct Observation {
  Transport transport = Transport::kDnsUdp;
  const char* qname = "www.example.net";
  const char* resolver = "198.51.100.53";
  std::uint16_t port = 53;
  const char* interface = "eth0";
  const char* kind = "";
  const char* process = "";  // attributed when not empty
  const char* sni = "";
  const char* tunnel = "";
};

core::Event make(const Observation& o) {
  core::Event e;
  e.transport = o.transport;
  bool enc = o.transport == Transport::kDot || o.transport == Transport::kDoh || o.transport == Transport::kDoq;
  e.kind = enc ? core::MessageKind::kHandshake : core::MessageKind::kQuery;
  if (!enc) {
    e.dns.qname = o.qname;
    e.dns.qtype = 1;
  }
  e.sni = o.sni;
  e.resolver = {*core::IpAddress::parse(o.resolver), o.port};
  e.destination = e.resolver;
  e.source = {*core::IpAddress::parse(e.resolver.address.isV4() ? "192.0.2.10" : "::1"), 40000};
  e.interface = {2, o.interface, o.kind};
  e.direction = core::Direction::kOutbound;
  e.tunnel = o.tunnel;
  if (*o.process) {
    e.process.pid = 4121;
    e.process.name = o.process;
  }
  return e;
}

struct Case {
  const char* name;
  std::function<void(config::Config&)> setup;
  Observation observation;
  Verdict verdict;
  LeakType leak;
  std::string_view rule;
};

class Profiles : public ::testing::TestWithParam<Case> {};

TEST_P(Profiles, VerdictLeakTypeAndRule) {
  const Case& c = GetParam();
  auto config = std::make_shared<config::Config>();
  config->safe_path.interfaces = {"wg*", "kind:wireguard"};
  c.setup(*config);
  Policy policy(config);
  core::Event e = make(c.observation);
  policy.judge(e);
  EXPECT_EQ(e.verdict, c.verdict) << e.rule << ": " << e.reason;
  EXPECT_EQ(e.leak_type, c.leak) << e.reason;
  EXPECT_EQ(e.rule, c.rule) << e.reason;
  EXPECT_EQ(e.profile, config::profileName(config->profile));
  EXPECT_FALSE(e.reason.empty());
  EXPECT_EQ(e.remediation.empty(), c.verdict != Verdict::kLeak) << e.remediation;
}

auto fullTunnel = [](config::Config&) {};
auto fullTunnelApproved = [](config::Config& c) { c.approved_resolvers.hosts = {"dns.example.net"}; };
auto fullTunnelSafeProcess = [](config::Config& c) { c.safe_path.processes = {"unbound"}; };
auto proxyStub = [](config::Config& c) {
  c.profile = config::Profile::kProxyStub;
  c.proxy_stub.stubs = {spec("10.0.0.53:53")};
  c.proxy_stub.processes = {"systemd-resolved"};
};
auto proxyStubApproved = [](config::Config& c) {
  proxyStub(c);
  c.approved_resolvers.hosts = {"dns.example.net"};
};
auto split = [](config::Config& c) {
  c.profile = config::Profile::kSplit;
  c.split.proxy_required = {"corp.example.com", "secure.example.org", "both.example"};
  c.split.allow_direct = {"public.corp.example.com", "example.org", "both.example"};
};
auto splitDirect = [](config::Config& c) {
  split(c);
  c.split.default_route = config::SplitDefault::kDirect;
};

Observation dns(const char* qname, const char* interface = "eth0") {
  Observation o;
  o.qname = qname;
  o.interface = interface;
  return o;
}
Observation doh(const char* sni, const char* interface = "eth0", const char* process = "") {
  Observation o;
  o.transport = Transport::kDoh;
  o.sni = sni;
  o.port = 443;
  o.interface = interface;
  o.process = process;
  return o;
}
Observation from(const char* process, Observation o) {
  o.process = process;
  return o;
}
Observation to(const char* resolver, Observation o) {
  o.resolver = resolver;
  return o;
}
Observation ofKind(const char* kind, Observation o) {
  o.kind = kind;
  return o;
}
Observation inside(const char* tunnel, Observation o) {
  o.tunnel = tunnel;
  return o;
}

INSTANTIATE_TEST_SUITE_P(
    Table, Profiles,
    ::testing::Values(
        // full-tunnel
        Case{"ft_plaintext_outside", fullTunnel, dns("a.example.net"), Verdict::kLeak, LeakType::kA,
             "full-tunnel/plaintext-outside-safe-path"},
        Case{"ft_plaintext_via_tunnel", fullTunnel, dns("a.example.net", "wg0"), Verdict::kOk, LeakType::kNone,
             "full-tunnel/safe-interface"},
        Case{"ft_plaintext_via_wireguard_kind", fullTunnel, ofKind("wireguard", dns("a.example.net", "corp0")),
             Verdict::kOk, LeakType::kNone, "full-tunnel/safe-interface"},
        Case{"ft_kind_does_not_match_name", fullTunnel, ofKind("veth", dns("a.example.net", "wireguard")),
             Verdict::kLeak, LeakType::kA, "full-tunnel/plaintext-outside-safe-path"},
        Case{"ft_encrypted_outside", fullTunnel, doh("dns.example.net"), Verdict::kLeak, LeakType::kC,
             "full-tunnel/encrypted-dns-outside-safe-path"},
        Case{"ft_encrypted_via_tunnel", fullTunnel, doh("dns.example.net", "wg0"), Verdict::kOk, LeakType::kNone,
             "full-tunnel/safe-interface"},
        Case{"ft_unapproved_via_tunnel", fullTunnelApproved, doh("other-dns.example", "wg0"), Verdict::kLeak,
             LeakType::kC, "full-tunnel/encrypted-resolver-not-approved"},
        Case{"ft_approved_via_tunnel", fullTunnelApproved, doh("eu.dns.example.net", "wg0"), Verdict::kOk,
             LeakType::kNone, "full-tunnel/safe-interface"},
        Case{"ft_approved_but_outside", fullTunnelApproved, doh("dns.example.net"), Verdict::kLeak, LeakType::kC,
             "full-tunnel/encrypted-dns-outside-safe-path"},
        Case{"ft_safe_process", fullTunnelSafeProcess, from("unbound", dns("a.example.net")), Verdict::kOk,
             LeakType::kNone, "full-tunnel/safe-process"},
        Case{"ft_other_process", fullTunnelSafeProcess, from("firefox", dns("a.example.net")), Verdict::kLeak,
             LeakType::kA, "full-tunnel/plaintext-outside-safe-path"},
        Case{"ft_decapsulated", fullTunnel, inside("vxlan vni 1 a->b", dns("a.example.net")), Verdict::kInfo,
             LeakType::kNone, "full-tunnel/inside-tunnel"},
        Case{"ft_loopback", fullTunnel, to("127.0.0.53", dns("a.example.net", "lo")), Verdict::kOk,
             LeakType::kNone, "local/loopback"},
        // proxy-stub
        Case{"ps_to_loopback_stub", proxyStub, from("firefox", to("127.0.0.53", dns("a.example.net", "lo"))),
             Verdict::kOk, LeakType::kNone, "proxy-stub/to-stub"},
        Case{"ps_to_listed_stub", proxyStub, from("firefox", to("10.0.0.53", dns("a.example.net"))), Verdict::kOk,
             LeakType::kNone, "proxy-stub/to-stub"},
        Case{"ps_bypass_plaintext_even_via_tunnel", proxyStub, from("firefox", dns("a.example.net", "wg0")),
             Verdict::kLeak, LeakType::kA, "proxy-stub/bypasses-stub"},
        Case{"ps_bypass_encrypted", proxyStub, doh("dns.example.net", "eth0", "firefox"), Verdict::kLeak,
             LeakType::kC, "proxy-stub/bypasses-stub"},
        Case{"ps_stub_upstream_plaintext_outside", proxyStub, from("systemd-resolved", dns("a.example.net")),
             Verdict::kLeak, LeakType::kA, "proxy-stub/plaintext-outside-safe-path"},
        Case{"ps_stub_upstream_via_tunnel", proxyStub, from("systemd-resolved", dns("a.example.net", "wg0")),
             Verdict::kOk, LeakType::kNone, "proxy-stub/safe-interface"},
        Case{"ps_stub_upstream_encrypted_approved", proxyStubApproved,
             doh("dns.example.net", "eth0", "systemd-resolved"), Verdict::kOk, LeakType::kNone,
             "proxy-stub/approved-resolver"},
        Case{"ps_stub_upstream_encrypted_not_approved", proxyStubApproved,
             doh("elsewhere.example", "eth0", "systemd-resolved"), Verdict::kLeak, LeakType::kC,
             "proxy-stub/encrypted-resolver-not-approved"},
        Case{"ps_stub_upstream_encrypted_no_approvals", proxyStub, doh("dns.example.net", "eth0", "systemd-resolved"),
             Verdict::kLeak, LeakType::kC, "proxy-stub/encrypted-dns-outside-safe-path"},
        Case{"ps_unattributed_outside", proxyStub, dns("a.example.net"), Verdict::kLeak, LeakType::kA,
             "proxy-stub/plaintext-outside-safe-path"},
        Case{"ps_unattributed_via_tunnel", proxyStub, dns("a.example.net", "wg0"), Verdict::kOk, LeakType::kNone,
             "proxy-stub/safe-interface"},
        // split
        Case{"sp_required_outside", split, dns("vpn.corp.example.com"), Verdict::kLeak, LeakType::kB,
             "split/proxy-required-outside-tunnel"},
        Case{"sp_required_exact_outside", split, dns("corp.example.com"), Verdict::kLeak, LeakType::kB,
             "split/proxy-required-outside-tunnel"},
        Case{"sp_required_via_tunnel", split, dns("vpn.corp.example.com", "wg0"), Verdict::kOk, LeakType::kNone,
             "split/proxy-required-via-tunnel"},
        Case{"sp_more_specific_direct_wins", split, dns("www.public.corp.example.com"), Verdict::kOk,
             LeakType::kNone, "split/allow-direct"},
        Case{"sp_more_specific_required_wins", split, dns("a.secure.example.org"), Verdict::kLeak, LeakType::kB,
             "split/proxy-required-outside-tunnel"},
        Case{"sp_direct", split, dns("www.example.org"), Verdict::kOk, LeakType::kNone, "split/allow-direct"},
        Case{"sp_label_boundary", split, dns("notcorp.example.com"), Verdict::kLeak, LeakType::kA,
             "split/plaintext-outside-safe-path"},
        Case{"sp_tie_goes_to_tunnel", split, dns("x.both.example"), Verdict::kLeak, LeakType::kB,
             "split/proxy-required-outside-tunnel"},
        Case{"sp_default_tunnel_outside", split, dns("www.other.net"), Verdict::kLeak, LeakType::kA,
             "split/plaintext-outside-safe-path"},
        Case{"sp_default_tunnel_inside", split, dns("www.other.net", "wg0"), Verdict::kOk, LeakType::kNone,
             "split/safe-interface"},
        Case{"sp_default_direct", splitDirect, dns("www.other.net"), Verdict::kOk, LeakType::kNone,
             "split/default-direct"},
        Case{"sp_default_direct_required_still_leaks", splitDirect, dns("vpn.corp.example.com"), Verdict::kLeak,
             LeakType::kB, "split/proxy-required-outside-tunnel"},
        Case{"sp_encrypted_outside", split, doh("dns.example.net"), Verdict::kLeak, LeakType::kC,
             "split/encrypted-dns-outside-safe-path"},
        Case{"sp_encrypted_via_tunnel", split, doh("dns.example.net", "wg0"), Verdict::kOk, LeakType::kNone,
             "split/safe-interface"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// Leak-D under every profile: both mismatch kinds and hidden resolution.
TEST(LeakD, EveryProfileEveryFinding) {
  for (auto setup : {std::function<void(config::Config&)>(fullTunnel), std::function<void(config::Config&)>(proxyStub),
                     std::function<void(config::Config&)>(split)}) {
    auto c = std::make_shared<config::Config>();
    setup(*c);
    Policy policy(c);
    std::string profile(config::profileName(c->profile));
    for (auto [finding, suffix] : {std::pair{Finding::kAnsweredSafeConnectedOutside, rule::kAnsweredInsideConnectedOutside},
                                   std::pair{Finding::kAnsweredOutsideConnectedSafe, rule::kAnsweredOutsideConnectedInside},
                                   std::pair{Finding::kHiddenResolution, rule::kHiddenResolution}}) {
      core::Event e;
      e.kind = core::MessageKind::kConnection;
      e.destination = {*core::IpAddress::parse("203.0.113.50"), 443};
      e.interface = {2, "eth0", ""};
      e.dns.qname = "intranet.example.com";
      policy.judgeCorrelation(e, finding);
      EXPECT_EQ(e.verdict, Verdict::kLeak);
      EXPECT_EQ(e.leak_type, LeakType::kD);
      EXPECT_EQ(e.rule, profile + "/" + std::string(suffix));
      EXPECT_EQ(e.profile, profile);
      EXPECT_EQ(e.recognition, core::RecognitionMethod::kCorrelation);
      EXPECT_NE(e.reason.find("intranet.example.com"), std::string::npos) << e.reason;
      EXPECT_FALSE(e.remediation.empty());
    }
  }
}

TEST(Loopback, TheArrivingCopyOfALoopbackQueryIsTheHostsOwnNotAServersQuery) {
  auto c = std::make_shared<config::Config>();
  c->profile = config::Profile::kProxyStub;
  core::Event e = make(to("127.0.0.53", dns("a.example.net", "lo")));
  e.source = {*core::IpAddress::parse("127.0.0.1"), 40000};
  e.direction = core::Direction::kInbound;  // libpcap's "any" shows loopback packets only arriving
  Policy(c).judge(e);
  EXPECT_EQ(e.rule, "proxy-stub/to-stub") << e.reason;
  EXPECT_EQ(e.verdict, Verdict::kOk);
}

TEST(LocalLinkRule, OffInfoLeakAndSafeInterface) {
  auto judge = [](config::LocalLinkRule rule, const char* interface) {
    auto c = std::make_shared<config::Config>();
    c->safe_path.interfaces = {"wg*"};
    c->local_link = rule;
    core::Event e = make(dns("printer.local", interface));
    e.transport = Transport::kMdns;
    e.resolver = {*core::IpAddress::parse("224.0.0.251"), 5353};
    e.destination = e.resolver;
    Policy(c).judge(e);
    return e;
  };
  EXPECT_EQ(judge(config::LocalLinkRule::kOff, "eth0").verdict, Verdict::kOk);
  EXPECT_EQ(judge(config::LocalLinkRule::kInfo, "eth0").verdict, Verdict::kInfo);
  auto leak = judge(config::LocalLinkRule::kLeak, "eth0");
  EXPECT_EQ(leak.verdict, Verdict::kLeak);
  EXPECT_EQ(leak.leak_type, LeakType::kA);
  EXPECT_EQ(leak.rule, kRuleLocalLink);
  auto safe = judge(config::LocalLinkRule::kLeak, "wg0");
  EXPECT_EQ(safe.verdict, Verdict::kOk);
  EXPECT_EQ(safe.rule, kRuleLocalLinkSafe);
}

TEST(Privacy, RegistrableDomainsFromThePublicSuffixList) {
  if (!suffixListAvailable()) GTEST_SKIP() << "this build has no Public Suffix List (built without libpsl)";
  EXPECT_EQ(registrableDomain("www.example.co.uk"), "example.co.uk");
  EXPECT_EQ(registrableDomain("foo.github.io"), "foo.github.io");  // github.io is a public suffix
}

TEST(Privacy, RegistrableDomainsOfEveryBuild) {
  EXPECT_EQ(registrableDomain("A.B.Example.COM."), "example.com");
  EXPECT_EQ(registrableDomain("wpad"), "wpad");
  EXPECT_EQ(registrableDomain(""), "");
  // A NUL once cut the name for libpsl: "secret.user.example" came back
  // whole, more than redacted mode may keep.
  EXPECT_EQ(registrableDomain(std::string("secret.user.example\0.evil.com", 29)), "evil.com");
}

TEST(Privacy, RedactedAndMinimalReachTheReasonToo) {
  for (auto mode : {config::PrivacyMode::kRedacted, config::PrivacyMode::kMinimal}) {
    auto c = std::make_shared<config::Config>();
    c->privacy = mode;
    core::Event e = make(from("curl", dns("secret-project.internal.example.co.uk")));
    e.process.cmdline = "curl https://secret-project.internal.example.co.uk/";
    e.process.exe = "/usr/bin/curl";
    e.dns.answers.push_back({"secret-project.internal.example.co.uk", 5, 60, "cdn.secret-host.example.net", {}});
    e.dns.answers.push_back({"cdn.secret-host.example.net", 1, 60, "203.0.113.7", {}});
    Policy(c).judge(e);
    EXPECT_EQ(e.verdict, Verdict::kLeak);
    EXPECT_EQ(e.reason.find("secret-project"), std::string::npos) << e.reason;
    EXPECT_TRUE(e.process.cmdline.empty());
    EXPECT_EQ(e.process.name, "curl");
    if (mode == config::PrivacyMode::kRedacted) {
      // Without a suffix list (a cross-build without libpsl) the last two labels are kept.
      const std::string kept = suffixListAvailable() ? "example.co.uk" : "co.uk";
      EXPECT_EQ(e.dns.qname, kept);
      EXPECT_NE(e.reason.find("for " + kept), std::string::npos) << e.reason;
      ASSERT_EQ(e.dns.answers.size(), 2u);
      EXPECT_EQ(e.dns.answers[0].data, "example.net");
      EXPECT_EQ(e.dns.answers[1].data, "203.0.113.7");
      EXPECT_EQ(e.process.exe, "/usr/bin/curl");
    } else {
      EXPECT_EQ(e.dns.qname, "");
      EXPECT_TRUE(e.dns.answers.empty());
      EXPECT_TRUE(e.process.exe.empty());
      EXPECT_EQ(e.reason.find("example"), std::string::npos) << e.reason;
    }
  }
}

TEST(Privacy, SplitDecidesOnTheFullNameBeforeItIsCut) {
  auto c = std::make_shared<config::Config>();
  split(*c);
  c->privacy = config::PrivacyMode::kMinimal;
  core::Event e = make(dns("vpn.corp.example.com"));
  Policy(c).judge(e);
  EXPECT_EQ(e.leak_type, LeakType::kB);
  EXPECT_EQ(e.dns.qname, "");
}

}  // namespace
}  // namespace dnsleak::policy
