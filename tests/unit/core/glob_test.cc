#include "core/glob.h"

#include <fnmatch.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace dnsleak::core {
namespace {

TEST(Glob, InterfaceGlobsAsTheConfigUsesThem) {
  EXPECT_TRUE(globMatch("wg*", "wg0"));
  EXPECT_TRUE(globMatch("wg*", "wg"));
  EXPECT_FALSE(globMatch("wg*", "awg0"));
  EXPECT_TRUE(globMatch("tun?", "tun1"));
  EXPECT_FALSE(globMatch("tun?", "tun12"));
  EXPECT_TRUE(globMatch("eth[0-3]", "eth2"));
  EXPECT_FALSE(globMatch("eth[0-3]", "eth4"));
  EXPECT_TRUE(globMatch("eth[!0-3]", "eth4"));
  EXPECT_TRUE(globMatch("*vpn*", "corp-vpn-0"));
  EXPECT_TRUE(globMatch("a\\*", "a*"));
  EXPECT_FALSE(globMatch("a\\*", "ab"));
  EXPECT_TRUE(globMatch("[", "["));
  EXPECT_TRUE(globMatch("[]]", "]"));
  EXPECT_TRUE(globMatch("", ""));
  EXPECT_FALSE(globMatch("", "a"));
}

// The platform's fnmatch (no flags) is the reference: the same answer for
// every pattern and name drawn from an alphabet of the special characters.
TEST(Glob, AgreesWithFnmatchOnEveryDrawnPatternAndName) {
  const std::string pattern_chars = "ab-*?[]!^\\";
  const std::string text_chars = "ab-[]!^\\*?";
  std::uint32_t x = 12345;
  auto next = [&] {
    x = x * 1103515245u + 12345u;
    return (x >> 16) & 0x7fff;
  };
  int compared = 0;
  for (int n = 0; n < 200000; ++n) {
    std::string pattern, text;
    for (int i = next() % 7; i > 0; --i) pattern += pattern_chars[next() % pattern_chars.size()];
    for (int i = next() % 6; i > 0; --i) text += text_chars[next() % text_chars.size()];
    const bool reference = fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
    ASSERT_EQ(globMatch(pattern, text), reference) << "pattern '" << pattern << "' name '" << text << "'";
    ++compared;
  }
  EXPECT_EQ(compared, 200000);
}

}  // namespace
}  // namespace dnsleak::core
