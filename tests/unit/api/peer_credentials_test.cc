#include <gtest/gtest.h>

#include "api/endpoint.h"

namespace dnsleak::api {
namespace {

TEST(PeerCredentials, RootAndTheDaemonsOwnUserAreAllowed) {
  EXPECT_TRUE(peerAllowed({0, 0, {}}, 999, -1));
  EXPECT_TRUE(peerAllowed({999, 999, {}}, 999, -1));
}

TEST(PeerCredentials, GroupMembershipByPrimaryOrSupplementaryGroup) {
  EXPECT_TRUE(peerAllowed({1000, 120, {}}, 0, 120));
  EXPECT_TRUE(peerAllowed({1000, 1000, {27, 120}}, 0, 120));
  EXPECT_FALSE(peerAllowed({1000, 1000, {27}}, 0, 120));
}

TEST(PeerCredentials, WithoutAGroupOnlyRootAndOwner) { EXPECT_FALSE(peerAllowed({1000, 120, {120}}, 0, -1)); }

}  // namespace
}  // namespace dnsleak::api
