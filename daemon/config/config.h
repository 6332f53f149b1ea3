#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"
#include "core/resolver_list.h"

namespace dnsleak::config {

enum class Profile { kFullTunnel, kProxyStub, kSplit };
std::string_view profileName(Profile p);

// What a local-link name announcement (mDNS, LLMNR, NetBIOS-NS) outside the
// safe interfaces is: not reported, reported for information, or a leak.
enum class LocalLinkRule { kOff, kInfo, kLeak };
std::string_view localLinkRuleName(LocalLinkRule r);

// How much of a name an event keeps, applied before it is stored, logged or
// streamed: all of it; the registrable domain only (Public Suffix List),
// without command lines; or no names at all and only the process name.
enum class PrivacyMode { kFull, kRedacted, kMinimal };
std::string_view privacyModeName(PrivacyMode m);

enum class JournalMode { kAuto, kOn, kOff };

// Where the split profile sends names that neither list names.
enum class SplitDefault { kTunnel, kDirect };

// A resolver on the safe path: an address or prefix, and a port (0 = any).
struct ResolverSpec {
  core::IpPrefix prefix;
  std::uint16_t port = 0;
  std::string text;  // as written in the config
};

// The whole configuration, validated. Defaults here are the bundled
// config/dnsleakd.yaml (a test holds the two together).
struct Config {
  std::string path;    // where it was read from; empty for built-in defaults
  std::string sha256;  // of the file's bytes

  Profile profile = Profile::kFullTunnel;

  struct Capture {
    // "any" captures every interface with Linux's SLL2 link type, which
    // carries each packet's interface index.
    std::vector<std::string> interfaces{"any"};
    int snaplen = 65535;
    int buffer_kib = 8192;
    // Longest a packet waits in the kernel's buffer before it is handed
    // over with the others that came with it (TPACKET_V3's block timeout):
    // what bounds the delay from the wire to an event in `watch`. Batching
    // under load is the same whatever the value; a longer one only means
    // fewer wake-ups when traffic is sparse.
    int delivery_ms = 2;
    // While no Watch stream is open and traffic is light (below 5000
    // packets a second), the capture thread sleeps this long between
    // readings instead of waking for every delivery: a quiet host's
    // packets reach the store up to this much later, for far fewer
    // wake-ups. 0: never. Not with immediate delivery.
    int quiet_delivery_ms = 50;
    // While a Watch stream is open and traffic is light (below 5000
    // packets a second), each packet is handed over as it arrives (pcap
    // immediate mode) rather than batched for up to delivery_ms: events
    // reach watchers in a fraction of a millisecond. Each packet is then
    // kept to its first 16 KiB unless an interface's own snaplen says
    // otherwise. Off by default: a flood that starts while watched
    // overruns the immediate ring's few hundred slots before capture
    // batches again (docs/performance.md, tenth round).
    bool immediate_when_watched = false;
    bool promiscuous = false;
    // Also capture encapsulated traffic (VXLAN, Geneve, GRE, IP-in-IP,
    // 6in4) to read the DNS inside. Capture files are always looked into.
    bool tunnels = false;
    // Settings for one named interface (not "any"), over the ones above.
    struct PerInterface {
      int snaplen = 0;     // 0: capture.snaplen
      int buffer_kib = 0;  // 0: capture.buffer_kib
      // A libpcap filter expression ANDed with dnsleakd's own, e.g.
      // "not host 192.0.2.9": it can only narrow what is captured.
      std::string filter;
    };
    std::map<std::string, PerInterface> per_interface;
  } capture;

  struct SafePath {
    // Interface names or shell globs (fnmatch) through which resolution may
    // leave, or "kind:KIND" for every interface of a kernel link kind
    // (rtnetlink IFLA_INFO_KIND: wireguard, tun, vxlan, ...).
    std::vector<std::string> interfaces{"wg*", "tun*", "tap*", "ppp*", "ipsec*", "kind:wireguard", "kind:tun"};
    std::vector<ResolverSpec> resolvers;
    // Processes whose DNS is on the safe path wherever it goes: an
    // executable path ("/usr/bin/x"), a name ("x"), "user:NAME" or
    // "unit:NAME.service". Needs process attribution.
    std::vector<std::string> processes;
  } safe_path;

  // Encrypted resolvers (DoT, DoH, DoQ, DNSCrypt) the user approves. When
  // any is listed, encrypted DNS to another one is Leak-C wherever it goes.
  struct ApprovedResolvers {
    std::vector<std::string> hosts;          // server names, each covering the names under it
    std::vector<ResolverSpec> addresses;     // addresses, prefixes, address:port
    bool empty() const { return hosts.empty() && addresses.empty(); }
  } approved_resolvers;

  // proxy-stub: only these local stubs and proxies may talk DNS off-host.
  struct ProxyStub {
    // Where every other program must send its DNS. Loopback always counts.
    std::vector<ResolverSpec> stubs;
    // The stub processes (as safe_path.processes), whose own upstream must
    // be on the safe path or encrypted to an approved resolver.
    std::vector<std::string> processes{"systemd-resolved"};
  } proxy_stub;

  // split: some names through the tunnel, some direct.
  struct Split {
    std::vector<std::string> proxy_required;  // domains (and names under them) that must use the tunnel
    std::vector<std::string> allow_direct;    // domains that may resolve directly
    SplitDefault default_route = SplitDefault::kTunnel;
  } split;

  // Leak-D: answers and connections put side by side.
  struct Correlation {
    bool enabled = true;
    int warmup_seconds = 300;  // hidden resolution before this is only counted
    int grace_seconds = 300;   // an answer still counts this long past its TTL
    std::size_t max_answers = 32768;
  } correlation;

  // DNS tunnelling and exfiltration: names that carry data, per registrable
  // domain and client (docs/detection.md). Judged under every profile.
  struct Tunnel {
    bool enabled = true;
    int window_seconds = 600;      // the span a domain's figures are counted over
    int min_queries = 20;          // data-carrying queries of one domain from one client in a window
    int min_distinct_names = 16;   // distinct names among them
    int min_data_chars = 400;      // characters of data those names carried
    int exfiltration_chars = 48;   // one name carrying this many characters of encoded data is exfiltration
    std::size_t max_domains = 4096;  // domain and client pairs followed at once
    // Domains whose names carry data by design (reputation and anti-virus
    // lookups): never reported. The config's list replaces this one.
    std::vector<std::string> ignore_domains{"sophosxl.net", "mcafee.com", "spamhaus.net", "spamhaus.org",
                                            "senderbase.org", "e5.sk", "surbl.org", "uribl.com", "mailspike.net",
                                            "dnswl.org", "avts.mcafee.com", "trendmicro.com"};
  } tunnel;

  // Process attribution: which program sent each flow. Restart-only.
  struct Attribution {
    bool enabled = true;
    bool ebpf = true;  // send-time hooks first, where the kernel allows them
    std::size_t queue = 4096;  // events that may wait for a lookup
  } attribution;

  LocalLinkRule local_link = LocalLinkRule::kInfo;
  PrivacyMode privacy = PrivacyMode::kFull;

  struct Resolvers {
    // The list of public encrypted-DNS resolvers; a relative path is taken
    // from the config file's directory. Without the key: the list dnsleak
    // ships (LoadOptions::shipped_list); "" (written as list: ""): none.
    std::string list;
    std::vector<std::string> add_hosts;     // more DoH/DoT host names
    std::vector<std::string> remove_hosts;  // names (and names under them) not to treat as resolvers
    std::vector<core::IpAddress> add_addresses;     // resolver addresses (a DoH server known only by address)
    std::vector<core::IpAddress> remove_addresses;  // addresses not to treat as resolvers (shared CDN addresses)
    std::shared_ptr<const core::ResolverList> loaded;  // list + add - remove, built at load
  } resolvers;

  struct Store {
    std::size_t capacity = 10000;
    bool record_ok = false;  // also store events whose verdict is not a leak
    // Identical leaks (same rule, process, resolver, name) within this many
    // seconds of the first are counted into it; 0 stores every one.
    int fold_seconds = 60;
  } store;

  struct Api {
    std::string socket = "/run/dnsleak/dnsleakd.sock";
    // Members may read: status, watch, report, interfaces.
    std::string group = "dnsleak";
    // Members may also change state (reload); root always may. Empty:
    // root only.
    std::string admin_group;
  } api;

  // Started as root (by hand, or by a unit without User=), dnsleakd opens
  // its socket, then runs as this user with only the capabilities it
  // needs. Empty: it stays uid 0, still with only those capabilities.
  std::string user = "dnsleak";

  struct Logging {
    std::string level = "info";
    // Log to the systemd journal (and write each leak there as a
    // structured entry): auto when journald is this process's stderr
    // (JOURNAL_STREAM), or always (on) / never (off).
    JournalMode journal = JournalMode::kAuto;
  } logging;

  struct GeoIp {
    // MaxMind DB files (GeoLite2 or DB-IP Lite City/Country and ASN, or
    // the CC0 ip-location-db ones): each event's remote end is looked up in
    // every one, and what they know is put together.
    std::vector<std::string> databases;
  } geoip;

  struct Metrics {
    // The Prometheus text exposition of the daemon's counters, written
    // atomically to this file every interval for node_exporter's textfile
    // collector (so the daemon opens no network listener); "" writes none.
    std::string textfile;
    int interval_seconds = 15;
  } metrics;
};

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string key;  // dotted path, e.g. "safe_path.resolvers[1]"
  std::string message;

  // "file:line:column: key: message", as compilers print errors.
  std::string toString() const;
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // set only when errors is empty
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
};

// What a config is read with, beyond its text.
struct LoadOptions {
  // The resolver list used when the config has no resolvers.list key: the
  // one the package installs (found by the app). Empty: no list.
  std::string shipped_list;
};

// Files are read whole, so they are bounded: a config of more than 1 MiB
// or a resolver list of more than 16 MiB is refused with a clear error
// (the shipped list is 0.3 MiB; 16 MiB parses in well under a second).
inline constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxResolverListBytes = std::size_t{16} << 20;

struct ReadOutcome {
  bool ok = false;
  std::string error;  // why not, as the end of a sentence
};

// Reads a regular file of at most `max_bytes` into `out`. Directories,
// devices (/dev/zero), FIFOs and larger files are refused without reading
// them; a file that grows past the limit while read is refused too.
ReadOutcome readBoundedFile(const std::string& path, std::size_t max_bytes, std::string& out);

// A bad value as error messages quote it: at most 60 characters, with
// control characters escaped, and the full length when it was cut.
std::string quoteValue(std::string_view value);

// Reads and validates a config file. Every problem found is reported, not
// only the first: unknown keys, wrong types, bad values, bad addresses.
LoadResult loadConfigFile(const std::string& path, const LoadOptions& options = {});

// Validates config text; `name` is used as the file in errors.
LoadResult parseConfig(std::string_view text, const std::string& name, const LoadOptions& options = {});

// Reads a resolver list file ("host NAME ..." and "address ADDR ..."
// lines, # comments). Errors name the list file and line.
bool loadResolverList(const std::string& path, core::ResolverList& out, std::vector<ConfigError>& errors);
// The same over the list's text; `path` names it in errors.
bool parseResolverList(std::string_view text, const std::string& path, core::ResolverList& out,
                       std::vector<ConfigError>& errors);

// Parses one safe_path.resolvers entry: "192.0.2.1", "192.0.2.1:53",
// "10.0.0.0/8", "2001:db8::1", "[2001:db8::1]:853", "2001:db8::/32".
bool parseResolverSpec(std::string_view text, ResolverSpec& out);

// The parts of a config that only take effect at start-up, for warnings
// when a reload changes them.
std::vector<std::string> restartOnlyChanges(const Config& running, const Config& next);

}  // namespace dnsleak::config
