// The portable stages (core, decode, classify, policy, store) include no
// POSIX or Linux header, directly or through the project headers they
// include: what differs per platform sits behind the platform seams
// (capture, interface names, flow owners, service manager, API endpoint).
// Issue 16, the Windows build, starts from this.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kDaemon = fs::path(DNSLEAK_SOURCE_DIR) / "daemon";

// Headers only POSIX systems or Linux have.
bool platformHeader(const std::string& header) {
  static const std::regex kPlatform(
      R"(^((arpa|netinet|netpacket|sys|linux|net|bpf)/.*|unistd\.h|fnmatch\.h|poll\.h|grp\.h|pwd\.h|netdb\.h|)"
      R"(ifaddrs\.h|dlfcn\.h|pthread\.h|fcntl\.h|dirent\.h|syslog\.h|termios\.h|sched\.h|signal\.h|endian\.h|)"
      R"(byteswap\.h|spawn\.h|glob\.h|libgen\.h|strings\.h|systemd/.*|pcap\.h|pcap/.*))");
  return std::regex_match(header, kPlatform);
}

// Files of the portable stages that are platform seams still, each with why.
const std::map<std::string, std::string> kKnownSeams = {
    {"core/thread_name.h", "names threads with pthread_setname_np; one file per platform in the Windows work"},
};

// The platform headers `file` reaches, each with the chain that reaches it.
void platformIncludes(const fs::path& file, std::set<fs::path>& seen, const std::string& chain,
                      std::vector<std::string>& found) {
  if (!seen.insert(file).second) return;
  std::ifstream in(file);
  static const std::regex kInclude(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, kInclude)) continue;
    const std::string header = m[2];
    if (m[1] == "<") {
      if (platformHeader(header)) found.push_back(chain + " -> <" + header + ">");
    } else if (fs::exists(kDaemon / header)) {
      const std::string relative = fs::relative(kDaemon / header, kDaemon).string();
      if (kKnownSeams.count(relative)) continue;
      platformIncludes(kDaemon / header, seen, chain + " -> " + relative, found);
    }
  }
}

std::vector<std::string> platformIncludesOf(const fs::path& file) {
  std::set<fs::path> seen;
  std::vector<std::string> found;
  platformIncludes(file, seen, fs::relative(file, kDaemon).string(), found);
  return found;
}

TEST(PortableStages, IncludeNoPosixOrLinuxHeader) {
  std::size_t files = 0;
  for (const char* stage : {"core", "decode", "classify", "policy", "store"}) {
    for (const auto& entry : fs::directory_iterator(kDaemon / stage)) {
      const fs::path& path = entry.path();
      if (path.extension() != ".h" && path.extension() != ".cc") continue;
      if (kKnownSeams.count(fs::relative(path, kDaemon).string())) continue;
      ++files;
      for (const auto& chain : platformIncludesOf(path)) ADD_FAILURE() << chain;
    }
  }
  EXPECT_GE(files, 40u) << "the stages were not found under " << kDaemon;
}

// The scan sees what it must: a file of a platform stage is caught, with
// the chain, and the one known seam is what the list says.
TEST(PortableStages, TheScanFindsPlatformHeaders) {
  auto config = platformIncludesOf(kDaemon / "config" / "config.cc");
  ASSERT_FALSE(config.empty());
  EXPECT_NE(config[0].find("config/config.cc -> <"), std::string::npos) << config[0];
  auto seam = platformIncludesOf(kDaemon / "core" / "thread_name.h");
  ASSERT_EQ(seam.size(), 1u);
  EXPECT_EQ(seam[0], "core/thread_name.h -> <pthread.h>");
  EXPECT_TRUE(platformHeader("arpa/inet.h"));
  EXPECT_TRUE(platformHeader("sys/socket.h"));
  EXPECT_FALSE(platformHeader("cstdint"));
  EXPECT_FALSE(platformHeader("openssl/evp.h"));
}

}  // namespace
