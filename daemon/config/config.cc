#include "config/config.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

#include "core/names.h"

namespace dnsleak::config {
namespace {

std::string sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Walks the YAML tree, converting values and collecting every error with
// its position and key path.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  std::vector<ConfigError>& errors() { return errors_; }

  void error(const YAML::Node& node, const std::string& key, std::string message) {
    ConfigError e;
    e.file = file_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      e.line = node.Mark().line + 1;
      e.column = node.Mark().column + 1;
    }
    e.key = key;
    e.message = std::move(message);
    errors_.push_back(std::move(e));
  }

  // Checks that `node` is a mapping whose keys are all in `known`; reports
  // unknown and duplicate keys.
  bool mapping(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> known) {
    if (!node.IsMap()) {
      error(node, path, "expected a mapping (key: value pairs)");
      return false;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const auto& key_node = kv.first;
      if (!key_node.IsScalar()) {
        error(key_node, path, "keys must be plain names");
        continue;
      }
      std::string key = key_node.Scalar();
      // A key is shown as it is unless it is long or not plain text.
      const bool plain = key.size() <= 60 && std::all_of(key.begin(), key.end(), [](char c) {
                           return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
                         });
      std::string shown = plain ? key : quoteValue(key);
      std::string full = path.empty() ? shown : path + "." + shown;
      if (!seen.insert(key).second) error(key_node, full, "duplicate key");
      bool is_known = false;
      for (auto k : known) is_known = is_known || k == key;
      if (!is_known) {
        std::string list;
        std::string_view suggestion;
        for (auto k : known) {
          list += (list.empty() ? "" : ", ") + std::string(k);
          if (editDistance(key, k) <= 2) suggestion = k;
        }
        error(key_node, full,
              suggestion.empty() ? "unknown key (known here: " + list + ")"
                                 : "unknown key; did you mean '" + std::string(suggestion) + "'?");
      }
    }
    return true;
  }

  bool string(const YAML::Node& node, const std::string& path, std::string& out) {
    if (!node.IsScalar()) {
      error(node, path, "expected a string");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  bool boolean(const YAML::Node& node, const std::string& path, bool& out) {
    if (node.IsScalar()) {
      const std::string& s = node.Scalar();
      if (s == "true" || s == "yes" || s == "on") return out = true, true;
      if (s == "false" || s == "no" || s == "off") return out = false, true;
    }
    error(node, path, "expected true or false");
    return false;
  }

  template <typename Int>
  bool integer(const YAML::Node& node, const std::string& path, Int& out, long long min, long long max) {
    long long value = 0;
    if (node.IsScalar()) {
      const std::string& s = node.Scalar();
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
      if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) {
        if (value < min || value > max) {
          error(node, path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
          return false;
        }
        out = static_cast<Int>(value);
        return true;
      }
    }
    error(node, path, "expected an integer");
    return false;
  }

  bool stringList(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
    if (!node.IsSequence()) {
      error(node, path, "expected a list");
      return false;
    }
    out.clear();
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::string value;
      if (string(node[i], path + "[" + std::to_string(i) + "]", value)) {
        out.push_back(std::move(value));
      } else {
        ok = false;
      }
    }
    return ok;
  }

  // One of a fixed set of words.
  template <typename T>
  bool choice(const YAML::Node& node, const std::string& path, T& out,
              std::initializer_list<std::pair<std::string_view, T>> words) {
    std::string value;
    if (!string(node, path, value)) return false;
    std::string expected;
    for (const auto& [word, v] : words) {
      if (value == word) {
        out = v;
        return true;
      }
      expected += (expected.empty() ? "" : ", ") + std::string(word);
    }
    error(node, path, "unknown value " + quoteValue(value) + " (expected " + expected + ")");
    return false;
  }

  // A list of addresses, prefixes or address:port.
  bool resolverSpecs(const YAML::Node& node, const std::string& path, std::vector<ResolverSpec>& out) {
    std::vector<std::string> texts;
    if (!stringList(node, path, texts)) return false;
    out.clear();
    bool ok = true;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      ResolverSpec spec;
      if (parseResolverSpec(texts[i], spec)) {
        out.push_back(std::move(spec));
      } else {
        error(node[i], path + "[" + std::to_string(i) + "]",
              quoteValue(texts[i]) +
                  " is not an address, prefix or address:port (e.g. 10.8.0.1, 10.8.0.0/24, "
                  "10.8.0.1:53, [2001:db8::1]:53)");
        ok = false;
      }
    }
    return ok;
  }

  // Checks a list of domain names (already read), lower-cases them and
  // drops a trailing dot.
  void domains(const YAML::Node& node, const std::string& path, std::vector<std::string>& names) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::string& name = names[i];
      name = core::lowerName(name);
      bool ok = !name.empty() && name.size() <= 253 && name.front() != '.' &&
                name.find("..") == std::string::npos &&
                name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-._") == std::string::npos;
      if (!ok) error(node[i], path + "[" + std::to_string(i) + "]", quoteValue(name) + " is not a domain name");
    }
  }

  // Checks process selectors: "/path", "name", "user:NAME", "unit:NAME".
  void processes(const YAML::Node& node, const std::string& path, const std::vector<std::string>& entries) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string& e = entries[i];
      auto colon = e.find(':');
      bool ok = !e.empty() && (colon == std::string::npos || ((e.rfind("user:", 0) == 0 || e.rfind("unit:", 0) == 0) &&
                                                              e.size() > colon + 1));
      if (!ok) {
        error(node[i], path + "[" + std::to_string(i) + "]",
              quoteValue(e) + " is not a process (an executable path, a name, user:NAME or unit:NAME)");
      }
    }
  }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

// Linux names are shorter than IFNAMSIZ (16, with the NUL), with no '/' or
// blank; a Windows adapter's friendly name ("Ethernet 2") may hold blanks
// and run longer.
#ifdef _WIN32
constexpr std::size_t kMaxInterfaceName = 257;
constexpr std::string_view kNotInInterfaceNames = "\t";
#else
constexpr std::size_t kMaxInterfaceName = 16;
constexpr std::string_view kNotInInterfaceNames = "/ \t";
#endif

bool validInterfacePattern(const std::string& name) {
  return !name.empty() && name.size() < kMaxInterfaceName && name.find_first_of(kNotInInterfaceNames) == std::string::npos;
}

// capture.per_interface: {NAME: {snaplen, buffer_kib, filter}}, for
// interfaces that capture.interfaces names.
void readPerInterface(Reader& r, const YAML::Node& per, Config::Capture& capture) {
  if (!per.IsMap()) {
    r.error(per, "capture.per_interface", "expected a mapping of interface names to settings");
    return;
  }
  for (const auto& item : per) {
    const std::string name = item.first.Scalar();
    const std::string where = "capture.per_interface." + name;
    if (std::find(capture.interfaces.begin(), capture.interfaces.end(), name) == capture.interfaces.end() ||
        name == "any") {
      r.error(item.first, where, quoteValue(name) + " is not one of capture.interfaces (and not \"any\")");
      continue;
    }
    Config::Capture::PerInterface settings;
    if (!r.mapping(item.second, where, {"snaplen", "buffer_kib", "filter"})) continue;
    if (auto n = item.second["snaplen"]) r.integer(n, where + ".snaplen", settings.snaplen, 512, 262144);
    if (auto n = item.second["buffer_kib"]) r.integer(n, where + ".buffer_kib", settings.buffer_kib, 256, 1048576);
    if (auto n = item.second["filter"]) r.string(n, where + ".filter", settings.filter);
    capture.per_interface[name] = std::move(settings);
  }
}

void readConfig(Reader& r, const YAML::Node& root, Config& c) {
  if (!r.mapping(root, "", {"profile", "capture", "safe_path", "approved_resolvers", "proxy_stub", "split",
                            "correlation", "tunnel", "attribution", "local_link", "privacy", "resolvers", "store", "api", "user",
                            "logging", "metrics", "geoip"})) {
    return;
  }
  if (auto n = root["user"]) r.string(n, "user", c.user);

  if (auto n = root["profile"]) {
    r.choice(n, "profile", c.profile,
             {{"full-tunnel", Profile::kFullTunnel}, {"proxy-stub", Profile::kProxyStub}, {"split", Profile::kSplit}});
  }
  if (auto n = root["local_link"]) {
    r.choice(n, "local_link", c.local_link,
             {{"off", LocalLinkRule::kOff}, {"info", LocalLinkRule::kInfo}, {"leak", LocalLinkRule::kLeak}});
  }
  if (auto n = root["privacy"]) {
    r.choice(n, "privacy", c.privacy,
             {{"full", PrivacyMode::kFull}, {"redacted", PrivacyMode::kRedacted}, {"minimal", PrivacyMode::kMinimal}});
  }

  if (auto approved = root["approved_resolvers"]) {
    if (r.mapping(approved, "approved_resolvers", {"hosts", "addresses"})) {
      if (auto n = approved["hosts"]; n && r.stringList(n, "approved_resolvers.hosts", c.approved_resolvers.hosts)) {
        r.domains(n, "approved_resolvers.hosts", c.approved_resolvers.hosts);
      }
      if (auto n = approved["addresses"]) r.resolverSpecs(n, "approved_resolvers.addresses", c.approved_resolvers.addresses);
    }
  }

  if (auto attr = root["attribution"]) {
    if (r.mapping(attr, "attribution", {"enabled", "ebpf", "queue"})) {
      if (auto n = attr["enabled"]) r.boolean(n, "attribution.enabled", c.attribution.enabled);
      if (auto n = attr["ebpf"]) r.boolean(n, "attribution.ebpf", c.attribution.ebpf);
      if (auto n = attr["queue"]) r.integer(n, "attribution.queue", c.attribution.queue, 16, 1'000'000);
    }
  }
  if (auto tunnel = root["tunnel"]) {
    if (r.mapping(tunnel, "tunnel", {"enabled", "window_seconds", "min_queries", "min_distinct_names",
                                     "min_data_chars", "exfiltration_chars", "max_domains", "ignore_domains"})) {
      auto& t = c.tunnel;
      if (auto n = tunnel["enabled"]) r.boolean(n, "tunnel.enabled", t.enabled);
      if (auto n = tunnel["window_seconds"]) r.integer(n, "tunnel.window_seconds", t.window_seconds, 10, 86400);
      if (auto n = tunnel["min_queries"]) r.integer(n, "tunnel.min_queries", t.min_queries, 2, 1'000'000);
      if (auto n = tunnel["min_distinct_names"]) {
        r.integer(n, "tunnel.min_distinct_names", t.min_distinct_names, 2, 1'000'000);
      }
      if (auto n = tunnel["min_data_chars"]) r.integer(n, "tunnel.min_data_chars", t.min_data_chars, 0, 100'000'000);
      if (auto n = tunnel["exfiltration_chars"]) {
        r.integer(n, "tunnel.exfiltration_chars", t.exfiltration_chars, 16, 1000);
      }
      if (auto n = tunnel["max_domains"]) r.integer(n, "tunnel.max_domains", t.max_domains, 16, 1'000'000);
      if (auto n = tunnel["ignore_domains"]) {
        t.ignore_domains.clear();
        if (r.stringList(n, "tunnel.ignore_domains", t.ignore_domains)) {
          for (auto& d : t.ignore_domains) {
            d = core::lowerName(d);
            if (!d.empty() && d.back() == '.') d.pop_back();
          }
        }
      }
    }
  }
  if (auto corr = root["correlation"]) {
    if (r.mapping(corr, "correlation", {"enabled", "warmup_seconds", "grace_seconds", "max_answers"})) {
      if (auto n = corr["enabled"]) r.boolean(n, "correlation.enabled", c.correlation.enabled);
      if (auto n = corr["warmup_seconds"]) r.integer(n, "correlation.warmup_seconds", c.correlation.warmup_seconds, 0, 86400);
      if (auto n = corr["grace_seconds"]) r.integer(n, "correlation.grace_seconds", c.correlation.grace_seconds, 0, 86400);
      if (auto n = corr["max_answers"]) r.integer(n, "correlation.max_answers", c.correlation.max_answers, 16, 10'000'000);
    }
  }

  if (auto stub = root["proxy_stub"]) {
    if (r.mapping(stub, "proxy_stub", {"stubs", "processes"})) {
      if (auto n = stub["stubs"]) r.resolverSpecs(n, "proxy_stub.stubs", c.proxy_stub.stubs);
      if (auto n = stub["processes"]; n && r.stringList(n, "proxy_stub.processes", c.proxy_stub.processes)) {
        r.processes(n, "proxy_stub.processes", c.proxy_stub.processes);
      }
    }
  }

  if (auto split = root["split"]) {
    if (r.mapping(split, "split", {"proxy_required", "allow_direct", "default"})) {
      if (auto n = split["proxy_required"]; n && r.stringList(n, "split.proxy_required", c.split.proxy_required)) {
        r.domains(n, "split.proxy_required", c.split.proxy_required);
      }
      if (auto n = split["allow_direct"]; n && r.stringList(n, "split.allow_direct", c.split.allow_direct)) {
        r.domains(n, "split.allow_direct", c.split.allow_direct);
      }
      if (auto n = split["default"]) {
        r.choice(n, "split.default", c.split.default_route,
                 {{"tunnel", SplitDefault::kTunnel}, {"direct", SplitDefault::kDirect}});
      }
    }
  }
  if (c.profile == Profile::kSplit && c.split.proxy_required.empty() && c.split.allow_direct.empty()) {
    r.error(root["profile"] ? root["profile"] : root, "split",
            "the split profile needs split.proxy_required or split.allow_direct (otherwise use full-tunnel)");
  }

  if (auto capture = root["capture"]) {
    if (r.mapping(capture, "capture",
                  {"interfaces", "snaplen", "buffer_kib", "delivery_ms", "quiet_delivery_ms", "immediate_when_watched",
                   "promiscuous", "tunnels", "per_interface"})) {
      if (auto n = capture["interfaces"]; n && r.stringList(n, "capture.interfaces", c.capture.interfaces)) {
        if (c.capture.interfaces.empty()) r.error(n, "capture.interfaces", "at least one interface (or \"any\")");
        for (std::size_t i = 0; i < c.capture.interfaces.size(); ++i) {
          const auto& name = c.capture.interfaces[i];
          if (!validInterfacePattern(name) || name.find_first_of("*?[") != std::string::npos) {
            r.error(n[i], "capture.interfaces[" + std::to_string(i) + "]",
                    quoteValue(name) + " is not an interface name");
          }
        }
        if (c.capture.interfaces.size() > 1) {
          for (const auto& name : c.capture.interfaces) {
            if (name == "any") r.error(n, "capture.interfaces", "\"any\" already captures every interface: list it alone");
          }
        }
      }
      if (auto n = capture["snaplen"]) r.integer(n, "capture.snaplen", c.capture.snaplen, 512, 262144);
      if (auto n = capture["buffer_kib"]) r.integer(n, "capture.buffer_kib", c.capture.buffer_kib, 256, 1048576);
      if (auto n = capture["delivery_ms"]) r.integer(n, "capture.delivery_ms", c.capture.delivery_ms, 1, 1000);
      if (auto n = capture["quiet_delivery_ms"]) {
        r.integer(n, "capture.quiet_delivery_ms", c.capture.quiet_delivery_ms, 0, 1000);
      }
      if (auto n = capture["immediate_when_watched"]) {
        r.boolean(n, "capture.immediate_when_watched", c.capture.immediate_when_watched);
      }
      if (auto n = capture["promiscuous"]) r.boolean(n, "capture.promiscuous", c.capture.promiscuous);
      if (auto n = capture["tunnels"]) r.boolean(n, "capture.tunnels", c.capture.tunnels);
      if (auto per = capture["per_interface"]) readPerInterface(r, per, c.capture);
    }
  }

  if (auto safe = root["safe_path"]) {
    if (r.mapping(safe, "safe_path", {"interfaces", "resolvers", "processes"})) {
      if (auto n = safe["processes"]; n && r.stringList(n, "safe_path.processes", c.safe_path.processes)) {
        r.processes(n, "safe_path.processes", c.safe_path.processes);
      }
      if (auto n = safe["interfaces"]; n && r.stringList(n, "safe_path.interfaces", c.safe_path.interfaces)) {
        for (std::size_t i = 0; i < c.safe_path.interfaces.size(); ++i) {
          const std::string& entry = c.safe_path.interfaces[i];
          if (entry.rfind("kind:", 0) == 0) {
            if (entry.size() == 5 || entry.size() > 5 + 32 || entry.find_first_of(" \t/") != std::string::npos) {
              r.error(n[i], "safe_path.interfaces[" + std::to_string(i) + "]",
                      quoteValue(entry) + " does not name a link kind (e.g. kind:wireguard, kind:tun, kind:vxlan)");
            }
          } else if (!validInterfacePattern(entry)) {
            r.error(n[i], "safe_path.interfaces[" + std::to_string(i) + "]",
                    quoteValue(c.safe_path.interfaces[i]) + " is not an interface name or pattern");
          }
        }
      }
      if (auto n = safe["resolvers"]) r.resolverSpecs(n, "safe_path.resolvers", c.safe_path.resolvers);
    }
  }

  if (auto resolvers = root["resolvers"]) {
    if (r.mapping(resolvers, "resolvers", {"list", "add_hosts", "remove_hosts", "add_addresses", "remove_addresses"})) {
      if (auto n = resolvers["list"]) r.string(n, "resolvers.list", c.resolvers.list);
      if (auto n = resolvers["add_hosts"]) r.stringList(n, "resolvers.add_hosts", c.resolvers.add_hosts);
      if (auto n = resolvers["remove_hosts"]) r.stringList(n, "resolvers.remove_hosts", c.resolvers.remove_hosts);
      for (auto [key, out] : {std::pair{"add_addresses", &c.resolvers.add_addresses},
                              std::pair{"remove_addresses", &c.resolvers.remove_addresses}}) {
        std::vector<std::string> texts;
        std::string where = std::string("resolvers.") + key;
        if (auto n = resolvers[key]; n && r.stringList(n, where, texts)) {
          for (std::size_t i = 0; i < texts.size(); ++i) {
            if (auto address = core::IpAddress::parse(texts[i])) {
              out->push_back(*address);
            } else {
              r.error(n[i], where + "[" + std::to_string(i) + "]", quoteValue(texts[i]) + " is not an IP address");
            }
          }
        }
      }
    }
  }

  if (auto store = root["store"]) {
    if (r.mapping(store, "store", {"capacity", "record_ok", "fold_seconds"})) {
      if (auto n = store["fold_seconds"]) r.integer(n, "store.fold_seconds", c.store.fold_seconds, 0, 86400);
      if (auto n = store["capacity"]) r.integer(n, "store.capacity", c.store.capacity, 1, 10'000'000);
      if (auto n = store["record_ok"]) r.boolean(n, "store.record_ok", c.store.record_ok);
    }
  }

  if (auto api = root["api"]) {
    if (r.mapping(api, "api", {"socket", "group", "admin_group"})) {
      if (auto n = api["socket"]; n && r.string(n, "api.socket", c.api.socket)) {
        if (c.api.socket.empty() || c.api.socket.front() != '/') {
          r.error(n, "api.socket", "must be an absolute path");
        } else if (c.api.socket.size() >= 108) {
          r.error(n, "api.socket", "too long for a Unix socket path (at most 107 bytes)");
        }
      }
      if (auto n = api["group"]) r.string(n, "api.group", c.api.group);
      if (auto n = api["admin_group"]) r.string(n, "api.admin_group", c.api.admin_group);
    }
  }

  if (auto geoip = root["geoip"]) {
    if (r.mapping(geoip, "geoip", {"databases"})) {
      if (auto n = geoip["databases"]) r.stringList(n, "geoip.databases", c.geoip.databases);
    }
  }

  if (auto metrics = root["metrics"]) {
    if (r.mapping(metrics, "metrics", {"textfile", "interval_seconds"})) {
      if (auto n = metrics["textfile"]; n && r.string(n, "metrics.textfile", c.metrics.textfile) &&
                                        !c.metrics.textfile.empty() && c.metrics.textfile.front() != '/') {
        r.error(n, "metrics.textfile", "must be an absolute path (node_exporter's textfile directory, e.g. "
                                       "/var/lib/prometheus/node-exporter/dnsleak.prom)");
      }
      if (auto n = metrics["interval_seconds"]) {
        r.integer(n, "metrics.interval_seconds", c.metrics.interval_seconds, 1, 3600);
      }
    }
  }

  if (auto logging = root["logging"]) {
    if (r.mapping(logging, "logging", {"level", "journal"})) {
      if (auto n = logging["journal"]) {
        r.choice(n, "logging.journal", c.logging.journal,
                 {{"auto", JournalMode::kAuto}, {"on", JournalMode::kOn}, {"off", JournalMode::kOff},
                  {"true", JournalMode::kOn}, {"false", JournalMode::kOff}});
      }
      if (auto n = logging["level"]; n && r.string(n, "logging.level", c.logging.level)) {
        static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error", "off"};
        if (!kLevels.count(c.logging.level)) {
          r.error(n, "logging.level", quoteValue(c.logging.level) + " is not one of trace, debug, info, warn, error, off");
        }
      }
    }
  }
}

}  // namespace

LoadResult parseConfig(std::string_view text, const std::string& name, const LoadOptions& options) {
  LoadResult result;
  auto config = std::make_shared<Config>();
  config->path = name;
  config->sha256 = sha256Hex(text);
  Reader reader(name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    ConfigError err;
    err.file = name;
    err.line = e.mark.line + 1;
    err.column = e.mark.column + 1;
    err.message = "not valid YAML: " + e.msg;
    result.errors.push_back(std::move(err));
    return result;
  }
  // An empty file is an empty mapping: every setting at its default.
  if (root.IsDefined() && !root.IsNull()) readConfig(reader, root, *config);
  // The resolver list, with the config's additions and removals. Without a
  // list key, the shipped list: data the package updates, not a conffile.
  bool list_given = root.IsMap() && root["resolvers"] && root["resolvers"].IsMap() && root["resolvers"]["list"];
  if (!list_given) config->resolvers.list = options.shipped_list;
  auto list = std::make_shared<core::ResolverList>();
  if (!config->resolvers.list.empty()) {
    std::string path = config->resolvers.list;
    if (path.front() != '/') {
      auto slash = name.rfind('/');
      path = (slash == std::string::npos ? std::string(".") : name.substr(0, slash)) + "/" + path;
    }
    config->resolvers.list = path;
    loadResolverList(path, *list, reader.errors());
  }
  for (const auto& host : config->resolvers.add_hosts) list->addHost(host);
  for (const auto& host : config->resolvers.remove_hosts) list->removeHost(host);
  for (const auto& address : config->resolvers.add_addresses) list->addAddress(address);
  for (const auto& address : config->resolvers.remove_addresses) list->removeAddress(address);
  config->resolvers.loaded = std::move(list);
  result.errors = std::move(reader.errors());
  std::stable_sort(result.errors.begin(), result.errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

bool loadResolverList(const std::string& path, core::ResolverList& out, std::vector<ConfigError>& errors) {
  std::string text;
  if (auto read = readBoundedFile(path, kMaxResolverListBytes, text); !read.ok) {
    errors.push_back({path, 0, 0, "resolvers.list", "cannot read the resolver list: " + read.error});
    return false;
  }
  return parseResolverList(text, path, out, errors);
}

LoadResult loadConfigFile(const std::string& path, const LoadOptions& options) {
  std::string text;
  if (auto read = readBoundedFile(path, kMaxConfigBytes, text); !read.ok) {
    LoadResult result;
    ConfigError err;
    err.file = path;
    err.message = "cannot read the config file: " + read.error;
    result.errors.push_back(std::move(err));
    return result;
  }
  return parseConfig(text, path, options);
}

}  // namespace dnsleak::config
