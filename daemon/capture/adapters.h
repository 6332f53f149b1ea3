#pragma once

// Windows network adapters as capture sees them. Npcap names a device
// \Device\NPF_{GUID} after the adapter's GUID; people know the adapter by
// its friendly name ("Ethernet 2", "Wi-Fi") and the policy by its kind.
// Windows has no "any" device: the daemon opens one capture per adapter
// the config's interface patterns select.
//
// This file is portable (the rules are tested on Linux too); the adapters
// themselves come from GetAdaptersAddresses in adapters_windows.cc.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dnsleak::capture {

// IANA ifType values Windows reports (ipifcons.h).
inline constexpr std::uint32_t kIfTypeEthernet = 6;
inline constexpr std::uint32_t kIfTypePpp = 23;
inline constexpr std::uint32_t kIfTypeLoopback = 24;
inline constexpr std::uint32_t kIfTypePropVirtual = 53;
inline constexpr std::uint32_t kIfTypeWifi = 71;
inline constexpr std::uint32_t kIfTypeTunnel = 131;

struct Adapter {
  std::string guid;           // "{4D36E972-...}", GetAdaptersAddresses' AdapterName
  std::string friendly_name;  // "Ethernet 2"
  std::string description;    // the driver's: "WireGuard Tunnel", "TAP-Windows Adapter V9"
  std::uint32_t index = 0;    // IfIndex, or Ipv6IfIndex when IPv4 is off
  std::uint32_t if_type = 0;
  bool up = false;
  std::vector<std::string> addresses;  // address/prefix length
};

// The kind the policy matches with `kind:` patterns, as Linux names the
// same links: "wireguard" (WireGuard's adapters), "tun" (Wintun and
// OpenVPN's TAP-Windows and Data Channel Offload adapters, as a Linux tun
// or tap device would be), "ppp", "tunnel" (Teredo, 6to4, IP-HTTPS), and ""
// for a physical adapter or loopback.
std::string adapterKind(const Adapter& adapter);

// What the adapter is, for people: "ethernet", "wi-fi", "loopback", "ppp",
// "tunnel", "virtual" or "other".
std::string adapterMedium(const Adapter& adapter);

// Npcap captures loopback traffic on a device of its own,
// \Device\NPF_Loopback, which is no adapter of GetAdaptersAddresses (where
// Windows' "Loopback Pseudo-Interface 1" cannot be captured): it is listed
// as this adapter instead.
Adapter npcapLoopbackAdapter();

// \Device\NPF_{GUID}, Npcap's device for the adapter.
std::string npcapDeviceName(const Adapter& adapter);

// The GUID in an Npcap device name, nullopt when it is not one.
std::optional<std::string> guidOfNpcapDevice(std::string_view device);

// The adapters a capture opens for the config's interface patterns, in the
// order given: a pattern (a glob, case-insensitive, as Windows names are)
// matches an adapter's friendly name, its GUID or its Npcap device name;
// "any" (or no pattern) selects every adapter that is up, Npcap's loopback
// device among them (as Linux's "any" has lo).
// A pattern that selects nothing is returned in `unmatched`.
std::vector<Adapter> adaptersToCapture(const std::vector<Adapter>& adapters, const std::vector<std::string>& patterns,
                                       std::vector<std::string>& unmatched);

// One line per adapter, what --iface-diag prints: index, friendly name,
// medium and kind, state, Npcap device, addresses, and whether the
// patterns select it.
std::string describeAdapters(const std::vector<Adapter>& adapters, const std::vector<std::string>& patterns);

}  // namespace dnsleak::capture
