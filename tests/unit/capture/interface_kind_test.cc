#include <net/if.h>

#include <gtest/gtest.h>

#include "capture/interface_names.h"

namespace dnsleak::capture {
namespace {

// Kinds of real devices (tun, veth, vxlan) are proved live (e2e); here what
// has no kind: loopback is a device of its own, and no such index.
TEST(InterfaceKind, LoopbackHasNoKindAndAMissingIndexNone) {
  unsigned lo = if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  EXPECT_EQ(currentInterfaceKind(lo), "");
  EXPECT_EQ(currentInterfaceKind(0x7ffffff0), "");
  KernelInterfaceNames names;
  EXPECT_EQ(names.name(lo), "lo");
  EXPECT_EQ(names.kind(lo), "");
  EXPECT_EQ(names.name(0), "");
}

}  // namespace
}  // namespace dnsleak::capture
