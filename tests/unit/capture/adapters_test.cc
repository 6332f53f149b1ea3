// The rules over Windows adapters (capture/adapters.h): kinds as the policy
// matches them, Npcap's device names, which adapters a capture opens, and
// what --iface-diag says. Portable: run on Linux and, with the adapters
// Windows reports, under Wine (tests/windows/adapters_test.cc).

#include "capture/adapters.h"

#include <gtest/gtest.h>

namespace dnsleak::capture {
namespace {

Adapter adapter(std::string guid, std::string name, std::string description, std::uint32_t index,
                std::uint32_t if_type, bool up = true) {
  Adapter a;
  a.guid = std::move(guid);
  a.friendly_name = std::move(name);
  a.description = std::move(description);
  a.index = index;
  a.if_type = if_type;
  a.up = up;
  return a;
}

// As a laptop with a VPN or two shows them (descriptions as the drivers write them).
std::vector<Adapter> laptop() {
  return {adapter("{1B2A0C53-0000-4000-8000-00000000000A}", "Ethernet", "Intel(R) Ethernet Connection I219-V", 12,
                  kIfTypeEthernet, false),
          adapter("{1B2A0C53-0000-4000-8000-00000000000B}", "Wi-Fi", "Intel(R) Wi-Fi 6 AX201 160MHz", 18, kIfTypeWifi),
          adapter("{1B2A0C53-0000-4000-8000-00000000000C}", "wg-office", "WireGuard Tunnel", 41, kIfTypePropVirtual),
          adapter("{1B2A0C53-0000-4000-8000-00000000000D}", "OpenVPN TAP-Windows6", "TAP-Windows Adapter V9", 23,
                  kIfTypeEthernet),
          adapter("{1B2A0C53-0000-4000-8000-00000000000E}", "OpenVPN Wintun", "Wintun Userspace Tunnel", 27,
                  kIfTypePropVirtual),
          adapter("{1B2A0C53-0000-4000-8000-00000000000F}", "Teredo Tunneling Pseudo-Interface",
                  "Teredo Tunneling Pseudo-Interface", 14, kIfTypeTunnel, false),
          npcapLoopbackAdapter()};
}

TEST(Adapters, KindsAreTheOnesTheLinuxPolicyMatches) {
  auto all = laptop();
  EXPECT_EQ(adapterKind(all[0]), "");
  EXPECT_EQ(adapterKind(all[1]), "");
  EXPECT_EQ(adapterKind(all[2]), "wireguard");
  EXPECT_EQ(adapterKind(all[3]), "tun");  // OpenVPN's TAP, as a Linux tap device is kind "tun"
  EXPECT_EQ(adapterKind(all[4]), "tun");
  EXPECT_EQ(adapterKind(all[5]), "tunnel");
  EXPECT_EQ(adapterKind(all[6]), "");
  EXPECT_EQ(adapterMedium(all[0]), "ethernet");
  EXPECT_EQ(adapterMedium(all[1]), "wi-fi");
  EXPECT_EQ(adapterMedium(all[2]), "virtual");
  EXPECT_EQ(adapterMedium(all[6]), "loopback");
}

TEST(Adapters, NpcapDeviceNamesCarryTheGuid) {
  auto all = laptop();
  EXPECT_EQ(npcapDeviceName(all[1]), "\\Device\\NPF_{1B2A0C53-0000-4000-8000-00000000000B}");
  EXPECT_EQ(npcapDeviceName(all[6]), "\\Device\\NPF_Loopback");
  EXPECT_EQ(guidOfNpcapDevice("\\Device\\NPF_{1B2A0C53-0000-4000-8000-00000000000B}"),
            "{1B2A0C53-0000-4000-8000-00000000000B}");
  EXPECT_EQ(guidOfNpcapDevice("\\device\\npf_Loopback"), "Loopback");
  EXPECT_FALSE(guidOfNpcapDevice("\\Device\\NPF_").has_value());
  EXPECT_FALSE(guidOfNpcapDevice("eth0").has_value());
}

std::vector<std::string> names(const std::vector<Adapter>& adapters) {
  std::vector<std::string> out;
  for (const auto& a : adapters) out.push_back(a.friendly_name);
  return out;
}

TEST(Adapters, AnyOpensEveryAdapterThatIsUpOneCaptureEach) {
  std::vector<std::string> unmatched;
  auto chosen = adaptersToCapture(laptop(), {"any"}, unmatched);
  EXPECT_EQ(names(chosen),
            (std::vector<std::string>{"Wi-Fi", "wg-office", "OpenVPN TAP-Windows6", "OpenVPN Wintun", "Npcap Loopback"}));
  EXPECT_TRUE(unmatched.empty());
  EXPECT_EQ(names(adaptersToCapture(laptop(), {}, unmatched)), names(chosen));
}

TEST(Adapters, PatternsMatchFriendlyNamesGuidsAndDevicesWithoutCase) {
  std::vector<std::string> unmatched;
  auto chosen = adaptersToCapture(laptop(), {"wi-fi", "OpenVPN*", "\\Device\\NPF_{1B2A0C53-0000-4000-8000-00000000000A}",
                                             "{1B2A0C53-*-00000000000C}", "Wi-Fi", "vEthernet*",
                                             "\\device\\npf_loop*"},
                                  unmatched);
  // In the order given, each once; a down adapter named outright is opened (it may come up).
  EXPECT_EQ(names(chosen), (std::vector<std::string>{"Wi-Fi", "OpenVPN TAP-Windows6", "OpenVPN Wintun", "Ethernet",
                                                     "wg-office", "Npcap Loopback"}));
  EXPECT_EQ(unmatched, (std::vector<std::string>{"vEthernet*"}));
}

TEST(Adapters, TheDiagnosisNamesEveryAdapterAndWhatIsCaptured) {
  auto all = laptop();
  all[1].addresses = {"192.168.1.20/24", "fe80::1c2:3ff:fe44:5566/64"};
  std::string text = describeAdapters(all, {"Wi-Fi", "wg-*", "eth9"});
  EXPECT_NE(text.find("18: Wi-Fi (wi-fi, up) \\Device\\NPF_{1B2A0C53-0000-4000-8000-00000000000B} "
                      "[Intel(R) Wi-Fi 6 AX201 160MHz] 192.168.1.20/24 fe80::1c2:3ff:fe44:5566/64 -- captured\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("41: wg-office (virtual, kind wireguard, up)"), std::string::npos) << text;
  EXPECT_NE(text.find("12: Ethernet (ethernet, down)"), std::string::npos) << text;
  EXPECT_NE(text.find("Ethernet Connection I219-V] -- not captured\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pattern 'eth9' selects no adapter\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace dnsleak::capture
