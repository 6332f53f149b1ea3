// Thread names, one file per platform (core/thread_name_linux.cc,
// core/thread_name_windows.cc): what a thread is named is what the system
// then reports for it. Run on Linux and under Wine.

#include "core/thread_name.h"

#include <gtest/gtest.h>

#include <thread>

namespace dnsleak::core {
namespace {

TEST(ThreadName, TheSystemReportsTheNameGiven) {
  std::string seen;
  std::thread named([&] {
    nameThisThread("dl-capture");
    seen = thisThreadName();
  });
  named.join();
  EXPECT_EQ(seen, "dl-capture");
}

}  // namespace
}  // namespace dnsleak::core
