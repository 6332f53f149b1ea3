// The portable stages (core, decode, classify, config, policy, store)
// include no POSIX, Linux or Windows header, directly or through the
// project headers they include: what differs per platform sits behind the
// platform seams (capture, interface names, flow owners, service manager,
// API endpoint, file reading), one file per platform named *_posix.cc,
// *_linux.cc or *_windows.cc, which cmake/stages.cmake chooses.

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
      R"(byteswap\.h|spawn\.h|glob\.h|libgen\.h|strings\.h|systemd/.*|pcap\.h|pcap/.*|)"
      R"(windows\.h|winsock2\.h|ws2tcpip\.h|iphlpapi\.h|aclapi\.h|sddl\.h|afunix\.h|winsvc\.h))");
  return std::regex_match(header, kPlatform);
}

// A platform's own implementation of a seam, by its name.
bool platformFile(const fs::path& path) {
  static const std::regex kPlatformFile(R"(.*_(posix|linux|windows)\.(cc|h)$)");
  return std::regex_match(path.filename().string(), kPlatformFile);
}

// Files of the portable stages that are platform seams still, each with
// why. None since thread names became one file per platform; kept so that
// a seam added later is named here, not hidden.
const std::map<std::string, std::string> kKnownSeams = {};

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
    } else {
      // A project header: from daemon/, or beside the file (the client's).
      fs::path found_at = fs::exists(kDaemon / header) ? kDaemon / header : file.parent_path() / header;
      if (!fs::exists(found_at)) continue;
      const std::string relative = fs::relative(found_at, kDaemon).string();
      if (kKnownSeams.count(relative)) continue;
      platformIncludes(found_at, seen, chain + " -> " + relative, found);
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
  for (const char* stage : {"core", "decode", "classify", "config", "policy", "store"}) {
    for (const auto& entry : fs::directory_iterator(kDaemon / stage)) {
      const fs::path& path = entry.path();
      if (path.extension() != ".h" && path.extension() != ".cc") continue;
      if (kKnownSeams.count(fs::relative(path, kDaemon).string()) || platformFile(path)) continue;
      ++files;
      for (const auto& chain : platformIncludesOf(path)) ADD_FAILURE() << chain;
    }
  }
  EXPECT_GE(files, 40u) << "the stages were not found under " << kDaemon;
}

// dnsleakctl's commands, rendering and JSON are the same on every platform;
// the connection, terminals and the private daemon are client/platform.h's,
// one file per platform.
TEST(PortableStages, TheClientOutsideItsPlatformFilesIncludesNoPlatformHeader) {
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(kDaemon.parent_path() / "client")) {
    const fs::path& path = entry.path();
    if (path.extension() != ".h" && path.extension() != ".cc") continue;
    if (platformFile(path)) continue;
    ++files;
    for (const auto& chain : platformIncludesOf(path)) ADD_FAILURE() << chain;
  }
  EXPECT_GE(files, 8u);
}

// The scan sees what it must: a platform file is caught, with the chain,
// and the seam's header is clean.
TEST(PortableStages, TheScanFindsPlatformHeaders) {
  auto config = platformIncludesOf(kDaemon / "config" / "bounded_file_posix.cc");
  ASSERT_FALSE(config.empty());
  EXPECT_NE(config[0].find("config/bounded_file_posix.cc -> <"), std::string::npos) << config[0];
  EXPECT_TRUE(platformFile(kDaemon / "config" / "bounded_file_windows.cc"));
  EXPECT_FALSE(platformFile(kDaemon / "config" / "values.cc"));
  EXPECT_TRUE(platformHeader("windows.h"));
  auto seam = platformIncludesOf(kDaemon / "core" / "thread_name_linux.cc");
  ASSERT_EQ(seam.size(), 1u);
  EXPECT_EQ(seam[0], "core/thread_name_linux.cc -> <pthread.h>");
  EXPECT_TRUE(platformIncludesOf(kDaemon / "core" / "thread_name.h").empty());
  EXPECT_TRUE(platformHeader("arpa/inet.h"));
  EXPECT_TRUE(platformHeader("sys/socket.h"));
  EXPECT_FALSE(platformHeader("cstdint"));
  EXPECT_FALSE(platformHeader("openssl/evp.h"));
}

}  // namespace
