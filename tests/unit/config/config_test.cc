#include "config/config.h"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace dnsleak::config {
namespace {

const ConfigError* findKey(const LoadResult& r, const std::string& key) {
  for (const auto& e : r.errors) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

TEST(Config, EmptyFileIsAllDefaults) {
  auto r = parseConfig("", "empty.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->profile, Profile::kFullTunnel);
  EXPECT_EQ(r.config->capture.interfaces, std::vector<std::string>{"any"});
  EXPECT_EQ(r.config->api.socket, "/run/dnsleak/dnsleakd.sock");
  EXPECT_EQ(r.config->sha256.size(), 64u);
}

TEST(Config, DeliveryDelayIsMillisecondsBetweenOneAndASecond) {
  auto r = parseConfig("capture:\n  delivery_ms: 5\n", "d.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->capture.delivery_ms, 5);
  EXPECT_EQ(Config{}.capture.delivery_ms, 2);
  for (const char* bad : {"0", "1001", "fast"}) {
    auto e = parseConfig(std::string("capture:\n  delivery_ms: ") + bad + "\n", "d.yaml");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.errors[0].key, "capture.delivery_ms");
    EXPECT_EQ(e.errors[0].line, 2);
  }
}

TEST(Config, QuietDeliveryIsMillisecondsUpToASecondOrNever) {
  auto r = parseConfig("capture:\n  quiet_delivery_ms: 0\n", "d.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->capture.quiet_delivery_ms, 0);
  EXPECT_EQ(Config{}.capture.quiet_delivery_ms, 50);
  for (const char* bad : {"-1", "1001", "slow"}) {
    auto e = parseConfig(std::string("capture:\n  quiet_delivery_ms: ") + bad + "\n", "d.yaml");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.errors[0].key, "capture.quiet_delivery_ms");
    EXPECT_EQ(e.errors[0].line, 2);
  }
}

TEST(Config, ImmediateDeliveryWhileWatchedIsOffUnlessTurnedOn) {
  EXPECT_FALSE(Config{}.capture.immediate_when_watched);
  auto r = parseConfig("capture:\n  immediate_when_watched: true\n", "d.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.config->capture.immediate_when_watched);
  auto e = parseConfig("capture:\n  immediate_when_watched: sometimes\n", "d.yaml");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.errors[0].key, "capture.immediate_when_watched");
  EXPECT_EQ(e.errors[0].line, 2);
  Config running, next;
  next.capture.immediate_when_watched = true;
  EXPECT_EQ(restartOnlyChanges(running, next), std::vector<std::string>{"capture.immediate_when_watched"});
}

TEST(Config, TunnelThresholdsAreReadAndCheckedWithTheirKey) {
  auto r = parseConfig("tunnel:\n  window_seconds: 60\n  min_queries: 5\n  min_distinct_names: 4\n"
                       "  min_data_chars: 100\n  exfiltration_chars: 32\n  max_domains: 64\n"
                       "  ignore_domains: [Sophos.Example., av.example]\n",
                       "t.yaml");
  ASSERT_TRUE(r.ok()) << r.errors[0].toString();
  const auto& t = r.config->tunnel;
  EXPECT_TRUE(t.enabled);
  EXPECT_EQ(t.window_seconds, 60);
  EXPECT_EQ(t.min_queries, 5);
  EXPECT_EQ(t.min_distinct_names, 4);
  EXPECT_EQ(t.min_data_chars, 100);
  EXPECT_EQ(t.exfiltration_chars, 32);
  EXPECT_EQ(t.max_domains, 64u);
  EXPECT_EQ(t.ignore_domains, (std::vector<std::string>{"sophos.example", "av.example"}));
  for (const char* bad : {"window_seconds: 5", "min_queries: 1", "exfiltration_chars: 2000", "max_domains: 0",
                          "enabled: maybe", "ignore_domains: 7", "threshold: 3"}) {
    auto e = parseConfig(std::string("tunnel:\n  ") + bad + "\n", "t.yaml");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.errors[0].line, 2) << bad;
    EXPECT_EQ(e.errors[0].key.rfind("tunnel.", 0), 0u) << bad << ": " << e.errors[0].key;
  }
}

TEST(Config, BundledConfigIsValidAndEqualsTheBuiltInDefaults) {
  // Like the daemon: with the shipped list as the default.
  LoadOptions shipped{DNSLEAK_SOURCE_DIR "/config/resolvers/public-resolvers.txt"};
  auto r = loadConfigFile(DNSLEAK_SOURCE_DIR "/config/dnsleakd.yaml", shipped);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  Config defaults;
  const Config& c = *r.config;
  EXPECT_EQ(c.profile, defaults.profile);
  EXPECT_EQ(c.capture.interfaces, defaults.capture.interfaces);
  EXPECT_EQ(c.capture.snaplen, defaults.capture.snaplen);
  EXPECT_EQ(c.capture.buffer_kib, defaults.capture.buffer_kib);
  EXPECT_EQ(c.capture.delivery_ms, defaults.capture.delivery_ms);
  EXPECT_EQ(c.capture.quiet_delivery_ms, defaults.capture.quiet_delivery_ms);
  EXPECT_EQ(c.capture.immediate_when_watched, defaults.capture.immediate_when_watched);
  EXPECT_EQ(c.capture.promiscuous, defaults.capture.promiscuous);
  EXPECT_EQ(c.safe_path.interfaces, defaults.safe_path.interfaces);
  EXPECT_EQ(c.safe_path.resolvers.size(), defaults.safe_path.resolvers.size());
  EXPECT_EQ(c.safe_path.processes, defaults.safe_path.processes);
  EXPECT_EQ(c.approved_resolvers.hosts, defaults.approved_resolvers.hosts);
  EXPECT_EQ(c.approved_resolvers.addresses.size(), defaults.approved_resolvers.addresses.size());
  EXPECT_EQ(c.proxy_stub.stubs.size(), defaults.proxy_stub.stubs.size());
  EXPECT_EQ(c.proxy_stub.processes, defaults.proxy_stub.processes);
  EXPECT_EQ(c.split.proxy_required, defaults.split.proxy_required);
  EXPECT_EQ(c.split.allow_direct, defaults.split.allow_direct);
  EXPECT_EQ(c.split.default_route, defaults.split.default_route);
  EXPECT_EQ(c.local_link, defaults.local_link);
  EXPECT_EQ(c.privacy, defaults.privacy);
  EXPECT_EQ(c.correlation.enabled, defaults.correlation.enabled);
  EXPECT_EQ(c.correlation.warmup_seconds, defaults.correlation.warmup_seconds);
  EXPECT_EQ(c.correlation.grace_seconds, defaults.correlation.grace_seconds);
  EXPECT_EQ(c.correlation.max_answers, defaults.correlation.max_answers);
  EXPECT_EQ(c.capture.tunnels, defaults.capture.tunnels);
  EXPECT_EQ(c.tunnel.enabled, defaults.tunnel.enabled);
  EXPECT_EQ(c.tunnel.window_seconds, defaults.tunnel.window_seconds);
  EXPECT_EQ(c.tunnel.min_queries, defaults.tunnel.min_queries);
  EXPECT_EQ(c.tunnel.min_distinct_names, defaults.tunnel.min_distinct_names);
  EXPECT_EQ(c.tunnel.min_data_chars, defaults.tunnel.min_data_chars);
  EXPECT_EQ(c.tunnel.exfiltration_chars, defaults.tunnel.exfiltration_chars);
  EXPECT_EQ(c.tunnel.max_domains, defaults.tunnel.max_domains);
  EXPECT_EQ(c.tunnel.ignore_domains, defaults.tunnel.ignore_domains);
  EXPECT_TRUE(c.resolvers.add_addresses.empty());
  EXPECT_TRUE(c.resolvers.remove_addresses.empty());
  EXPECT_EQ(c.store.capacity, defaults.store.capacity);
  EXPECT_EQ(c.store.record_ok, defaults.store.record_ok);
  EXPECT_EQ(c.store.fold_seconds, defaults.store.fold_seconds);
  EXPECT_EQ(c.api.socket, defaults.api.socket);
  EXPECT_EQ(c.api.group, defaults.api.group);
  EXPECT_EQ(c.logging.level, defaults.logging.level);
  EXPECT_EQ(c.api.admin_group, defaults.api.admin_group);
  EXPECT_EQ(c.user, defaults.user);
  EXPECT_EQ(c.logging.journal, defaults.logging.journal);
  EXPECT_TRUE(c.capture.per_interface.empty());
  ASSERT_TRUE(c.resolvers.loaded);
  EXPECT_EQ(c.resolvers.list, DNSLEAK_SOURCE_DIR "/config/resolvers/public-resolvers.txt");
  EXPECT_GT(c.resolvers.loaded->hostCount(), 3000u);
  EXPECT_GT(c.resolvers.loaded->addressCount(), 4000u);
  EXPECT_TRUE(c.resolvers.loaded->hostListed("mozilla.cloudflare-dns.com"));
  EXPECT_TRUE(c.resolvers.loaded->hostListed("dns.google"));
  EXPECT_FALSE(c.resolvers.loaded->hostListed("www.example.com"));
  // Names the lists give that are APIs, not resolvers, are left out
  // (scripts/build-resolver-list.py says why at the end of the file).
  EXPECT_FALSE(c.resolvers.loaded->hostListed("api.cloudflareclient.com"));  // a VPN client's registration API
  EXPECT_FALSE(c.resolvers.loaded->hostListed("dns.api.gandi.net"));         // a zone-management API
  // The audit: a whole domain only the DoH block list names is an
  // organisation's site, not a resolver; a server only it names is kept as
  // that one name; a dynamic-DNS home server is not DNS for its suffix.
  EXPECT_FALSE(c.resolvers.loaded->hostListed("cryptostorm.is"));
  EXPECT_TRUE(c.resolvers.loaded->hostListed("nas.stefanoperna.it"));
  EXPECT_FALSE(c.resolvers.loaded->hostListed("www.nas.stefanoperna.it"));
  EXPECT_FALSE(c.resolvers.loaded->hostListed("xthwo.duckdns.org"));
  EXPECT_FALSE(c.resolvers.loaded->hostListed("www.rethinkdns.com"));
  // Private and shared addresses were left out of the list.
  EXPECT_FALSE(c.resolvers.loaded->addressListed(*core::IpAddress::parse("10.0.10.236")));
}

class ResolverListConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/dnsleak-config-XXXXXX";
    dir_ = mkdtemp(templ);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }
  std::string dir_;
};

TEST_F(ResolverListConfig, RelativeListWithAdditionsAndRemovals) {
  write("list.txt", "# test list\nhost dns.example\nhost example.net\naddress 192.0.2.53 doh\n");
  write("c.yaml", "resolvers:\n  list: list.txt\n  add_hosts: [my-doh.example.org]\n  remove_hosts: [www.example.net]\n");
  auto r = loadConfigFile(dir_ + "/c.yaml");
  ASSERT_TRUE(r.ok()) << r.errors[0].toString();
  const auto& list = *r.config->resolvers.loaded;
  EXPECT_TRUE(list.hostListed("a.dns.example"));
  EXPECT_TRUE(list.hostListed("my-doh.example.org"));
  EXPECT_FALSE(list.hostListed("www.example.net"));
  EXPECT_TRUE(list.addressListed(*core::IpAddress::parse("192.0.2.53")));
}

TEST_F(ResolverListConfig, AddressesAddedAndRemovedAndBadOnesNamed) {
  write("list.txt", "address 192.0.2.53 doh\naddress 192.0.2.54 doh\n");
  write("c.yaml", "resolvers:\n  list: list.txt\n  add_addresses: [\"2001:db8::53\"]\n  remove_addresses: [192.0.2.54]\n");
  auto r = loadConfigFile(dir_ + "/c.yaml");
  ASSERT_TRUE(r.ok()) << r.errors[0].toString();
  const auto& list = *r.config->resolvers.loaded;
  EXPECT_TRUE(list.addressListed(*core::IpAddress::parse("192.0.2.53")));
  EXPECT_FALSE(list.addressListed(*core::IpAddress::parse("192.0.2.54")));
  EXPECT_TRUE(list.addressListed(*core::IpAddress::parse("2001:db8::53")));
  write("bad.yaml", "resolvers:\n  add_addresses:\n    - 192.0.2.1\n    - dns.example\n");
  auto bad = loadConfigFile(dir_ + "/bad.yaml");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].line, 4);
  EXPECT_EQ(bad.errors[0].key, "resolvers.add_addresses[1]");
}

TEST_F(ResolverListConfig, WithoutAListKeyTheShippedListIsUsedAndEmptyMeansNone) {
  write("shipped.txt", "host shipped-doh.example\n");
  LoadOptions shipped{dir_ + "/shipped.txt"};
  write("c.yaml", "resolvers:\n  add_hosts: [mine.example]\n");
  auto r = loadConfigFile(dir_ + "/c.yaml", shipped);
  ASSERT_TRUE(r.ok()) << r.errors[0].toString();
  EXPECT_EQ(r.config->resolvers.list, dir_ + "/shipped.txt");
  EXPECT_TRUE(r.config->resolvers.loaded->hostListed("shipped-doh.example"));
  EXPECT_TRUE(r.config->resolvers.loaded->hostListed("mine.example"));

  write("none.yaml", "resolvers:\n  list: \"\"\n");
  auto none = loadConfigFile(dir_ + "/none.yaml", shipped);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.config->resolvers.loaded->hostListed("shipped-doh.example"));

  // A shipped list that is not where the package puts it is an error that
  // names the path, not a daemon that silently knows no DoH resolver.
  auto missing = parseConfig("", "built-in", LoadOptions{dir_ + "/gone.txt"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.errors[0].toString().find(dir_ + "/gone.txt"), std::string::npos);
}

TEST_F(ResolverListConfig, MissingOrBrokenListIsAnError) {
  write("c.yaml", "resolvers: {list: nope.txt}\n");
  auto missing = loadConfigFile(dir_ + "/c.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.errors[0].toString().find("nope.txt"), std::string::npos);
  EXPECT_NE(missing.errors[0].message.find("cannot read the resolver list"), std::string::npos);
  write("bad.txt", "host ok.example\naddress not-an-address\n");
  write("c2.yaml", "resolvers: {list: bad.txt}\n");
  auto broken = loadConfigFile(dir_ + "/c2.yaml");
  ASSERT_EQ(broken.errors.size(), 1u);
  EXPECT_EQ(broken.errors[0].line, 2);
  EXPECT_NE(broken.errors[0].file.find("bad.txt"), std::string::npos);
}

// What is read whole must be a regular file of bounded size: /dev/zero once
// exhausted memory, a directory once passed as an empty (all defaults)
// config, and a FIFO would hold a reload for ever.
TEST_F(ResolverListConfig, OnlyBoundedRegularFilesAreRead) {
  auto message = [](const LoadResult& r) { return r.errors.empty() ? std::string() : r.errors[0].toString(); };
  auto zero = loadConfigFile("/dev/zero");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(message(zero).find("cannot read the config file: it is not a regular file"), std::string::npos)
      << message(zero);
  auto dir = loadConfigFile(dir_);
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(message(dir).find("it is a directory, not a file"), std::string::npos) << message(dir);
  ASSERT_EQ(mkfifo((dir_ + "/fifo").c_str(), 0600), 0);
  auto fifo = loadConfigFile(dir_ + "/fifo");  // returns at once: nobody will ever write it
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(message(fifo).find("not a regular file"), std::string::npos) << message(fifo);

  write("big.yaml", "# " + std::string(kMaxConfigBytes, 'x') + "\n");
  auto big = loadConfigFile(dir_ + "/big.yaml");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(message(big).find("larger than the 1 MiB allowed"), std::string::npos) << message(big);
  write("fits.yaml", "# " + std::string(kMaxConfigBytes - 4, 'x') + "\n");
  EXPECT_TRUE(loadConfigFile(dir_ + "/fits.yaml").ok());

  // A list that is no list is an error, not an empty list that matches no
  // DoH or DoT resolver.
  for (const std::string& list : {std::string("/dev/zero"), dir_, dir_ + "/fifo"}) {
    write("c.yaml", "resolvers: {list: " + list + "}\n");
    auto r = loadConfigFile(dir_ + "/c.yaml");
    ASSERT_FALSE(r.ok()) << list;
    EXPECT_EQ(r.errors[0].key, "resolvers.list");
    EXPECT_NE(r.errors[0].message.find("cannot read the resolver list: it is"), std::string::npos)
        << r.errors[0].message;
  }
  write("huge.txt", std::string(kMaxResolverListBytes + 1, '#'));
  write("c.yaml", "resolvers: {list: huge.txt}\n");
  auto huge = loadConfigFile(dir_ + "/c.yaml");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.errors[0].message.find("larger than the 16 MiB allowed"), std::string::npos)
      << huge.errors[0].message;
}

// A bad value is quoted by its first 60 characters with control characters
// escaped: a 100 kB value, or one that writes terminal escapes, cannot
// flood or rewrite the log or the admin's terminal.
TEST(Config, BadValuesAreQuotedShortAndEscaped) {
  const std::string long_value(100000, 'a');
  auto r = parseConfig("profile: " + long_value + "\n", "q.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.errors[0].toString().size(), 300u) << r.errors[0].toString().substr(0, 400);
  EXPECT_NE(r.errors[0].message.find("'" + std::string(60, 'a') + "' (100000 bytes, first 60 shown)"),
            std::string::npos)
      << r.errors[0].message.substr(0, 400);
  auto escaped = parseConfig("profile: \"\\e[2Jsplit\"\n", "q.yaml");
  ASSERT_FALSE(escaped.ok());
  EXPECT_EQ(escaped.errors[0].message.find('\x1b'), std::string::npos);
  EXPECT_NE(escaped.errors[0].message.find("'\\x1b[2Jsplit'"), std::string::npos) << escaped.errors[0].message;
  auto key = parseConfig(std::string(5000, 'k') + ": 1\n", "q.yaml");
  ASSERT_FALSE(key.ok());
  EXPECT_LT(key.errors[0].toString().size(), 400u);
  EXPECT_EQ(quoteValue("dns.example"), "'dns.example'");
}

TEST(Config, FullExampleParses) {
  auto r = parseConfig(R"(
profile: full-tunnel
capture:
  interfaces: [eth0, wlan0]
  snaplen: 2048
safe_path:
  interfaces: [wg0, "tun*"]
  resolvers: [10.8.0.1, "10.64.0.0/10", "10.8.0.2:5353", "[2001:db8::1]:53", "2001:db8:1::/48"]
store: {capacity: 500, record_ok: yes}
api: {socket: /tmp/x.sock, group: wheel}
logging: {level: debug}
)",
                       "full.yaml");
  ASSERT_TRUE(r.ok()) << r.errors[0].toString();
  const Config& c = *r.config;
  EXPECT_EQ(c.capture.interfaces.size(), 2u);
  EXPECT_EQ(c.capture.snaplen, 2048);
  ASSERT_EQ(c.safe_path.resolvers.size(), 5u);
  EXPECT_EQ(c.safe_path.resolvers[2].port, 5353);
  EXPECT_EQ(c.safe_path.resolvers[3].port, 53);
  EXPECT_TRUE(c.safe_path.resolvers[1].prefix.contains(*core::IpAddress::parse("10.100.1.1")));
  EXPECT_TRUE(c.store.record_ok);
  EXPECT_EQ(c.store.capacity, 500u);
}

TEST(Config, EveryErrorNamesFileLineAndKey) {
  auto r = parseConfig(R"(profile: full-tunnel
capture:
  snaplen: huge
safe_path:
  resolvers: [10.0.0.1, "10.0.0.300"]
  interfacez: [wg0]
store:
  capacity: 0
colour: blue
)",
                       "bad.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.errors.size(), 5u);

  const auto* snaplen = findKey(r, "capture.snaplen");
  ASSERT_NE(snaplen, nullptr);
  EXPECT_EQ(snaplen->file, "bad.yaml");
  EXPECT_EQ(snaplen->line, 3);
  EXPECT_NE(snaplen->message.find("integer"), std::string::npos);

  const auto* resolver = findKey(r, "safe_path.resolvers[1]");
  ASSERT_NE(resolver, nullptr);
  EXPECT_EQ(resolver->line, 5);
  EXPECT_NE(resolver->message.find("10.0.0.300"), std::string::npos);

  const auto* unknown = findKey(r, "safe_path.interfacez");
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->line, 6);
  EXPECT_NE(unknown->message.find("did you mean 'interfaces'"), std::string::npos);

  const auto* capacity = findKey(r, "store.capacity");
  ASSERT_NE(capacity, nullptr);
  EXPECT_EQ(capacity->line, 8);

  const auto* colour = findKey(r, "colour");
  ASSERT_NE(colour, nullptr);
  EXPECT_EQ(colour->line, 9);
  EXPECT_EQ(colour->toString().rfind("bad.yaml:9:1: colour: unknown key", 0), 0u);
}

TEST(Config, WrongTypesAreErrors) {
  auto r = parseConfig("capture: [any]\nstore: {record_ok: maybe}\nsafe_path: {interfaces: wg0}\n", "t.yaml");
  EXPECT_NE(findKey(r, "capture"), nullptr);
  EXPECT_NE(findKey(r, "store.record_ok"), nullptr);
  EXPECT_NE(findKey(r, "safe_path.interfaces"), nullptr);
}

TEST(Config, ProfilesAndTheirSettings) {
  auto split = parseConfig(R"(
profile: split
split:
  proxy_required: [Corp.Example.COM.]
  allow_direct: [example.org]
  default: direct
proxy_stub: {stubs: ["127.0.0.1:5300"], processes: [dnscrypt-proxy, "user:unbound", "/usr/sbin/unbound"]}
approved_resolvers: {hosts: [dns.example.net], addresses: ["192.0.2.53:853"]}
local_link: leak
privacy: redacted
)",
                           "s.yaml");
  ASSERT_TRUE(split.ok()) << split.errors[0].toString();
  const Config& c = *split.config;
  EXPECT_EQ(c.profile, Profile::kSplit);
  EXPECT_EQ(c.split.proxy_required, std::vector<std::string>{"corp.example.com"});  // lower case, no root dot
  EXPECT_EQ(c.split.default_route, SplitDefault::kDirect);
  EXPECT_EQ(c.proxy_stub.stubs.at(0).port, 5300);
  EXPECT_EQ(c.proxy_stub.processes.size(), 3u);
  EXPECT_EQ(c.approved_resolvers.addresses.at(0).port, 853);
  EXPECT_EQ(c.local_link, LocalLinkRule::kLeak);
  EXPECT_EQ(c.privacy, PrivacyMode::kRedacted);

  auto typo = parseConfig("profile: full_tunnel\n", "p.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.errors[0].message.find("unknown value 'full_tunnel' (expected full-tunnel, proxy-stub, split)"),
            std::string::npos)
      << typo.errors[0].message;
  auto empty_split = parseConfig("profile: split\n", "p.yaml");
  ASSERT_FALSE(empty_split.ok());
  EXPECT_NE(empty_split.errors[0].message.find("needs split.proxy_required"), std::string::npos);
}

TEST(Config, PolicySettingsWithBadValuesAreNamed) {
  auto r = parseConfig(R"(
local_link: loud
privacy: none
split: {proxy_required: ["bad domain"], default: sideways}
safe_path: {interfaces: ["kind:"], processes: ["pid:7"]}
approved_resolvers: {addresses: [dns.example]}
)",
                       "b.yaml");
  std::vector<std::string> keys;
  for (const auto& e : r.errors) keys.push_back(e.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"local_link", "privacy", "split.proxy_required[0]", "split.default",
                                            "safe_path.interfaces[0]", "safe_path.processes[0]",
                                            "approved_resolvers.addresses[0]"}));
}

TEST(Config, DuplicateKeysAreErrors) {
  auto r = parseConfig("profile: full-tunnel\nprofile: full-tunnel\n", "d.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_NE(r.errors[0].message.find("duplicate"), std::string::npos);
}

TEST(Config, InvalidYamlNamesThePosition) {
  auto r = parseConfig("capture:\n  interfaces: [any\n", "y.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_GT(r.errors[0].line, 0);
  EXPECT_NE(r.errors[0].message.find("YAML"), std::string::npos);
}

TEST(Config, MissingFileIsOneClearError) {
  auto r = loadConfigFile("/nonexistent/dnsleakd.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].toString().find("cannot read the config file"), std::string::npos);
}

TEST(Config, SocketPathMustBeAbsoluteAndShort) {
  EXPECT_NE(findKey(parseConfig("api: {socket: relative.sock}\n", "s.yaml"), "api.socket"), nullptr);
  EXPECT_NE(findKey(parseConfig("api: {socket: /" + std::string(120, 'x') + "}\n", "s.yaml"), "api.socket"), nullptr);
}

TEST(Config, AnyMustStandAlone) {
  EXPECT_NE(findKey(parseConfig("capture: {interfaces: [any, eth0]}\n", "a.yaml"), "capture.interfaces"), nullptr);
}

TEST(ResolverSpec, Forms) {
  ResolverSpec s;
  ASSERT_TRUE(parseResolverSpec("192.0.2.1", s));
  EXPECT_EQ(s.port, 0);
  ASSERT_TRUE(parseResolverSpec("192.0.2.1:853", s));
  EXPECT_EQ(s.port, 853);
  ASSERT_TRUE(parseResolverSpec("2001:db8::1", s));
  EXPECT_EQ(s.port, 0);
  ASSERT_TRUE(parseResolverSpec("[2001:db8::1]:53", s));
  EXPECT_EQ(s.port, 53);
  ASSERT_TRUE(parseResolverSpec("10.0.0.0/8", s));
  EXPECT_EQ(s.prefix.length(), 8);
  EXPECT_FALSE(parseResolverSpec("10.0.0.0/8:53", s));
  EXPECT_FALSE(parseResolverSpec("192.0.2.1:0", s));
  EXPECT_FALSE(parseResolverSpec("192.0.2.1:70000", s));
  EXPECT_FALSE(parseResolverSpec("[2001:db8::1", s));
  EXPECT_FALSE(parseResolverSpec("resolver.example", s));
  EXPECT_FALSE(parseResolverSpec("10.0.0.0/33", s));
}

TEST(Config, RestartOnlyChangesAreListed) {
  Config a, b;
  b.capture.interfaces = {"eth0"};
  b.safe_path.interfaces = {"wg0"};
  auto changed = restartOnlyChanges(a, b);
  EXPECT_EQ(changed, std::vector<std::string>{"capture.interfaces"});
}

}  // namespace
}  // namespace dnsleak::config

namespace dnsleak::config {
namespace {

TEST(Config, ServiceKeysAreReadAndCheckedWithTheirLine) {
  auto r = parseConfig("user: nobody\napi: {group: users, admin_group: staff}\nlogging: {journal: on}\n", "s.yaml");
  ASSERT_TRUE(r.ok()) << r.errors[0].toString();
  EXPECT_EQ(r.config->user, "nobody");
  EXPECT_EQ(r.config->api.admin_group, "staff");
  EXPECT_EQ(r.config->logging.journal, JournalMode::kOn);

  auto bad = parseConfig("logging:\n  journal: sometimes\n", "bad.yaml");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].key, "logging.journal");
  EXPECT_EQ(bad.errors[0].line, 2);
}

TEST(Config, PerInterfaceSettingsOnlyForNamedInterfaces) {
  auto r = parseConfig(
      "capture:\n  interfaces: [eth0, wg0]\n  per_interface:\n    eth0: {snaplen: 1024, filter: \"not host 192.0.2.9\"}\n",
      "p.yaml");
  ASSERT_TRUE(r.ok()) << r.errors[0].toString();
  ASSERT_EQ(r.config->capture.per_interface.count("eth0"), 1u);
  EXPECT_EQ(r.config->capture.per_interface.at("eth0").snaplen, 1024);
  EXPECT_EQ(r.config->capture.per_interface.at("eth0").buffer_kib, 0);
  EXPECT_EQ(r.config->capture.per_interface.at("eth0").filter, "not host 192.0.2.9");

  auto bad = parseConfig("capture:\n  per_interface:\n    eth9: {snaplen: 1024}\n", "p.yaml");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].key, "capture.per_interface.eth9");
  EXPECT_EQ(bad.errors[0].line, 3);
  auto typo = parseConfig("capture:\n  interfaces: [eth0]\n  per_interface:\n    eth0: {snaplem: 1024}\n", "p.yaml");
  ASSERT_EQ(typo.errors.size(), 1u);
  EXPECT_NE(typo.errors[0].message.find("snaplen"), std::string::npos) << typo.errors[0].toString();
}

}  // namespace
}  // namespace dnsleak::config
