// The config's values that need no YAML: names of enums, resolver specs and
// lists, quoting, and what a reload cannot change. Portable, so the policy
// and its tests build where yaml-cpp is not (a Windows cross-build).

#include <algorithm>
#include <charconv>

#include "config/config.h"

namespace dnsleak::config {

std::string quoteValue(std::string_view value) {
  constexpr std::size_t kShown = 60;
  std::string out = "'";
  for (char c : value.substr(0, kShown)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '\'';
  if (value.size() > kShown) out += " (" + std::to_string(value.size()) + " bytes, first " + std::to_string(kShown) + " shown)";
  return out;
}

std::string_view profileName(Profile p) {
  switch (p) {
    case Profile::kFullTunnel: return "full-tunnel";
    case Profile::kProxyStub: return "proxy-stub";
    case Profile::kSplit: return "split";
  }
  return "unknown";
}

std::string_view localLinkRuleName(LocalLinkRule r) {
  switch (r) {
    case LocalLinkRule::kOff: return "off";
    case LocalLinkRule::kInfo: return "info";
    case LocalLinkRule::kLeak: return "leak";
  }
  return "unknown";
}

std::string_view privacyModeName(PrivacyMode m) {
  switch (m) {
    case PrivacyMode::kFull: return "full";
    case PrivacyMode::kRedacted: return "redacted";
    case PrivacyMode::kMinimal: return "minimal";
  }
  return "unknown";
}

std::string ConfigError::toString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

bool parseResolverSpec(std::string_view text, ResolverSpec& out) {
  out.text = std::string(text);
  out.port = 0;
  std::string_view address = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    address = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || rest.size() < 2) return false;
      port = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    address = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) return false;
    out.port = static_cast<std::uint16_t>(value);
    if (address.find('/') != std::string_view::npos) return false;
  }
  auto prefix = core::IpPrefix::parse(address);
  if (!prefix) return false;
  out.prefix = *prefix;
  return true;
}

bool parseResolverList(std::string_view text, const std::string& path, core::ResolverList& out,
                       std::vector<ConfigError>& errors) {
  int number = 0;
  std::size_t bad = 0;
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  auto nextField = [&](std::string_view& rest) {
    std::size_t b = 0;
    while (b < rest.size() && isSpace(rest[b])) ++b;
    std::size_t e = b;
    while (e < rest.size() && !isSpace(rest[e])) ++e;
    auto field = rest.substr(b, e - b);
    rest.remove_prefix(e);
    return field;
  };
  std::string_view all = text;
  while (!all.empty()) {
    auto newline = all.find('\n');
    std::string_view line = all.substr(0, newline);
    all.remove_prefix(newline == std::string_view::npos ? all.size() : newline + 1);
    ++number;
    std::string_view rest = line;
    std::string_view kind = nextField(rest);
    std::string_view value = nextField(rest);
    if (kind.empty() || kind[0] == '#') continue;
    if (kind == "host" && !value.empty()) {
      out.addHost(value);
    } else if (kind == "exact" && !value.empty()) {
      out.addExactHost(value);
    } else if (auto address = kind == "address" ? core::IpAddress::parse(value) : std::nullopt) {
      out.addAddress(*address);
    } else if (++bad <= 10) {  // a broken file says so, without thousands of lines of it
      errors.push_back({path, number, 1, "resolvers.list",
                        "expected 'host NAME', 'exact NAME' or 'address ADDRESS', not " + quoteValue(line)});
    }
  }
  return bad == 0;
}

std::vector<std::string> restartOnlyChanges(const Config& running, const Config& next) {
  std::vector<std::string> changed;
  if (running.capture.interfaces != next.capture.interfaces) changed.push_back("capture.interfaces");
  if (running.capture.snaplen != next.capture.snaplen) changed.push_back("capture.snaplen");
  if (running.capture.buffer_kib != next.capture.buffer_kib) changed.push_back("capture.buffer_kib");
  if (running.capture.delivery_ms != next.capture.delivery_ms) changed.push_back("capture.delivery_ms");
  if (running.capture.quiet_delivery_ms != next.capture.quiet_delivery_ms) {
    changed.push_back("capture.quiet_delivery_ms");
  }
  if (running.capture.immediate_when_watched != next.capture.immediate_when_watched) {
    changed.push_back("capture.immediate_when_watched");
  }
  if (running.capture.promiscuous != next.capture.promiscuous) changed.push_back("capture.promiscuous");
  if (running.capture.tunnels != next.capture.tunnels) changed.push_back("capture.tunnels");
  // The pipeline follows it at once; the capture filter that passes SYNs only at a restart.
  if (running.correlation.enabled != next.correlation.enabled) changed.push_back("correlation.enabled");
  if (running.attribution.enabled != next.attribution.enabled) changed.push_back("attribution.enabled");
  if (running.attribution.ebpf != next.attribution.ebpf) changed.push_back("attribution.ebpf");
  if (running.attribution.queue != next.attribution.queue) changed.push_back("attribution.queue");
  if (running.store.capacity != next.store.capacity) changed.push_back("store.capacity");
  if (running.api.socket != next.api.socket) changed.push_back("api.socket");
  if (running.api.group != next.api.group) changed.push_back("api.group");
  if (running.user != next.user) changed.push_back("user");
  if (running.logging.journal != next.logging.journal) changed.push_back("logging.journal");
  if (running.capture.per_interface.size() != next.capture.per_interface.size()) {
    changed.push_back("capture.per_interface");
  } else {
    for (const auto& [name, settings] : running.capture.per_interface) {
      auto it = next.capture.per_interface.find(name);
      if (it == next.capture.per_interface.end() || it->second.snaplen != settings.snaplen ||
          it->second.buffer_kib != settings.buffer_kib || it->second.filter != settings.filter) {
        changed.push_back("capture.per_interface");
        break;
      }
    }
  }
  // resolvers.* take effect at once: the list is rebuilt with the config.
  return changed;
}

}  // namespace dnsleak::config
