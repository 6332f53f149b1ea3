#include <gtest/gtest.h>

#include "capture/capture_source.h"
#include "decode/decoder.h"

namespace dnsleak::capture {
namespace {

// Every link type a live capture can hand us must get a filter that
// compiles: one that does not would leave the capture unfiltered.
TEST(LiveFilter, CompilesForEveryDecodedLinkTypeWithAndWithoutTunnels) {
  for (int link_type : {decode::kLinkEthernet, decode::kLinkLinuxSll, decode::kLinkLinuxSll2, decode::kDltRaw,
                        decode::kLinkNull, decode::kLinkLoop}) {
    for (bool tunnels : {false, true}) {
      for (bool connections : {false, true}) {
        EXPECT_EQ(filterError(link_type, liveFilter(link_type, tunnels, connections)), "")
            << "link type " << link_type << (tunnels ? " with tunnels" : "") << (connections ? " with SYNs" : "");
      }
    }
  }
}

TEST(LiveFilter, VlanClauseOnlyOnEthernetAndLast) {
  std::string ethernet = liveFilter(decode::kLinkEthernet, true);
  auto vlan = ethernet.find("vlan");
  ASSERT_NE(vlan, std::string::npos);
  // "vlan" shifts the offsets of whatever follows it.
  EXPECT_EQ(ethernet.find(" or ", vlan), std::string::npos);
  EXPECT_EQ(liveFilter(decode::kLinkLinuxSll2, true).find("vlan"), std::string::npos);
  EXPECT_NE(filterError(decode::kLinkLinuxSll2, "vlan and port 53"), "");  // why it must stay off SLL2
}

TEST(LiveFilter, TunnelsAreLetThroughOnlyWhenAsked) {
  EXPECT_EQ(liveFilter(decode::kLinkLinuxSll2, false).find("4789"), std::string::npos);
  EXPECT_NE(liveFilter(decode::kLinkLinuxSll2, true).find("4789"), std::string::npos);
  EXPECT_NE(liveFilter(decode::kLinkLinuxSll2, true).find("proto 47"), std::string::npos);
}

}  // namespace
}  // namespace dnsleak::capture
