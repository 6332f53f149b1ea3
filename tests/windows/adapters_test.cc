// The adapters Windows reports (GetAdaptersAddresses, under Wine: the
// host's interfaces as Wine maps them) and the interface-name seam over
// them.

#include <gtest/gtest.h>

#include <algorithm>

#include "capture/adapters_windows.h"

namespace dnsleak::capture {
namespace {

TEST(WindowsAdapters, AreListedWithGuidsIndexesAndNpcapsLoopback) {
  std::string error;
  auto adapters = windowsAdapters(error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_FALSE(adapters.empty());
  std::printf("%s", describeAdapters(adapters, {"any"}).c_str());
  EXPECT_TRUE(std::is_sorted(adapters.begin(), adapters.end(),
                             [](const Adapter& a, const Adapter& b) { return a.index < b.index; }));
  auto loopback = std::find_if(adapters.begin(), adapters.end(), [](const Adapter& a) { return a.guid == "Loopback"; });
  ASSERT_NE(loopback, adapters.end());
  EXPECT_EQ(npcapDeviceName(*loopback), "\\Device\\NPF_Loopback");
  // Windows' own loopback is left out: Npcap cannot open it.
  EXPECT_EQ(std::count_if(adapters.begin(), adapters.end(),
                          [](const Adapter& a) { return a.if_type == kIfTypeLoopback; }),
            1);
  for (const auto& a : adapters) {
    if (a.guid == "Loopback") continue;
    EXPECT_EQ(a.guid.front(), '{') << a.guid;
    EXPECT_EQ(a.guid.back(), '}') << a.guid;
    EXPECT_FALSE(a.friendly_name.empty());
    EXPECT_GT(a.index, 0u);
    EXPECT_EQ(guidOfNpcapDevice(npcapDeviceName(a)), a.guid);
  }
}

TEST(WindowsAdapters, InterfaceNamesComeFromTheFriendlyNames) {
  std::string error;
  auto adapters = windowsAdapters(error);
  ASSERT_FALSE(adapters.empty()) << error;
  WindowsInterfaceNames names;
  for (const auto& a : adapters) {
    EXPECT_EQ(names.name(a.index), a.friendly_name) << a.index;
    EXPECT_EQ(names.kind(a.index), adapterKind(a)) << a.index;
  }
  std::uint32_t unused = 0;
  for (const auto& a : adapters) unused = std::max(unused, a.index + 1);
  EXPECT_EQ(names.name(unused), "");
}

// Npcap is looked for where it installs itself; without it the reason
// says so and where it looked (Wine has no Npcap, nor have CI runners).
TEST(WindowsAdapters, NpcapIsFoundOrSaidToBeMissing) {
  std::string version;
  bool present = npcapPresent(version);
  std::printf("Npcap: %s\n", version.c_str());
  if (present) {
    EXPECT_EQ(version.rfind("Npcap", 0), 0u) << version;
  } else {
    EXPECT_EQ(version.rfind("Npcap is not installed (https://npcap.com): ", 0), 0u) << version;
    EXPECT_NE(version.find("\\Npcap\\wpcap.dll"), std::string::npos) << version;
  }
}

}  // namespace
}  // namespace dnsleak::capture
