#include "capture/adapters.h"

#include <algorithm>

#include "core/glob.h"

namespace dnsleak::capture {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool contains(const std::string& lowered, std::string_view part) { return lowered.find(part) != std::string::npos; }

constexpr std::string_view kNpcapPrefix = "\\Device\\NPF_";

bool selects(const std::string& pattern, const Adapter& a) {
  // A backslash is a character of Windows names (\Device\NPF_...), not the glob's escape.
  std::string p;
  for (char c : lower(pattern)) {
    if (c == '\\') p += '\\';
    p += c;
  }
  for (const std::string& name : {a.friendly_name, a.guid, npcapDeviceName(a)}) {
    if (!name.empty() && core::globMatch(p, lower(name))) return true;
  }
  return false;
}

bool anyAdapter(const std::vector<std::string>& patterns) {
  return patterns.empty() || std::find(patterns.begin(), patterns.end(), "any") != patterns.end();
}

}  // namespace

std::string adapterKind(const Adapter& a) {
  const std::string d = lower(a.description);
  if (contains(d, "wireguard")) return "wireguard";
  if (contains(d, "wintun") || contains(d, "tap-windows") || contains(d, "openvpn")) return "tun";
  if (a.if_type == kIfTypePpp) return "ppp";
  if (a.if_type == kIfTypeTunnel) return "tunnel";
  return "";
}

std::string adapterMedium(const Adapter& a) {
  switch (a.if_type) {
    case kIfTypeEthernet: return "ethernet";
    case kIfTypeWifi: return "wi-fi";
    case kIfTypeLoopback: return "loopback";
    case kIfTypePpp: return "ppp";
    case kIfTypeTunnel: return "tunnel";
    case kIfTypePropVirtual: return "virtual";
    default: return "other";
  }
}

Adapter npcapLoopbackAdapter() {
  Adapter a;
  a.guid = "Loopback";
  a.friendly_name = "Npcap Loopback";
  a.description = "Npcap's loopback capture";
  a.index = 1;  // Windows' loopback interface index
  a.if_type = kIfTypeLoopback;
  a.up = true;
  a.addresses = {"127.0.0.1/8", "::1/128"};
  return a;
}

std::string npcapDeviceName(const Adapter& a) { return std::string(kNpcapPrefix) + a.guid; }

std::optional<std::string> guidOfNpcapDevice(std::string_view device) {
  if (device.size() <= kNpcapPrefix.size() || lower(device.substr(0, kNpcapPrefix.size())) != lower(kNpcapPrefix)) {
    return std::nullopt;
  }
  return std::string(device.substr(kNpcapPrefix.size()));
}

std::vector<Adapter> adaptersToCapture(const std::vector<Adapter>& adapters, const std::vector<std::string>& patterns,
                                       std::vector<std::string>& unmatched) {
  std::vector<Adapter> chosen;
  auto add = [&](const Adapter& a) {
    bool known = std::any_of(chosen.begin(), chosen.end(), [&](const Adapter& c) { return c.guid == a.guid; });
    if (!known) chosen.push_back(a);
  };
  if (anyAdapter(patterns)) {
    for (const auto& a : adapters) {
      if (a.up) add(a);
    }
  }
  for (const auto& pattern : patterns) {
    if (pattern == "any") continue;
    bool matched = false;
    for (const auto& a : adapters) {
      if (selects(pattern, a)) {
        add(a);
        matched = true;
      }
    }
    if (!matched) unmatched.push_back(pattern);
  }
  return chosen;
}

std::string describeAdapters(const std::vector<Adapter>& adapters, const std::vector<std::string>& patterns) {
  std::vector<std::string> unmatched;
  auto chosen = adaptersToCapture(adapters, patterns, unmatched);
  std::string out;
  for (const auto& a : adapters) {
    bool captured = std::any_of(chosen.begin(), chosen.end(), [&](const Adapter& c) { return c.guid == a.guid; });
    std::string kind = adapterKind(a);
    out += std::to_string(a.index) + ": " + a.friendly_name + " (" + adapterMedium(a) +
           (kind.empty() ? "" : ", kind " + kind) + ", " + (a.up ? "up" : "down") + ") " + npcapDeviceName(a);
    if (!a.description.empty()) out += " [" + a.description + "]";
    for (const auto& address : a.addresses) out += " " + address;
    out += captured ? " -- captured\n" : " -- not captured\n";
  }
  for (const auto& pattern : unmatched) out += "pattern '" + pattern + "' selects no adapter\n";
  return out;
}

}  // namespace dnsleak::capture
