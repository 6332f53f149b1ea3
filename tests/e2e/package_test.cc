// The Debian package as an admin meets it: built offline from this tree,
// installed with apt, its files and user in place, its unit valid and
// hardened, the installed daemon run as the unit runs it and as root by
// hand, then removed and purged. Root only (CI runs as root); it installs
// into the machine it runs on and removes everything it installed.

#include <grp.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "process.h"

namespace dnsleak::testing {
namespace {

const std::vector<std::string> kInstalledFiles = {
    "/usr/sbin/dnsleakd",
    "/usr/bin/dnsleakctl",
    "/etc/dnsleak/dnsleakd.yaml",
    "/usr/share/dnsleak/public-resolvers.txt",
    "/usr/share/dnsleak/proto/dnsleak/v1/dnsleak.proto",
    "/lib/systemd/system/dnsleakd.service",
    "/usr/lib/sysusers.d/dnsleak.conf",
    "/usr/share/man/man8/dnsleakd.8.gz",
    "/usr/share/man/man1/dnsleakctl.1.gz",
    "/usr/share/man/man5/dnsleakd.yaml.5.gz",
    "/usr/share/bash-completion/completions/dnsleakctl",
    "/usr/share/doc/dnsleak/README.md.gz",
    "/usr/share/doc/dnsleak/examples/dnsleakd.yaml",
};

// The unit's capabilities, as /proc/PID/status shows them.
constexpr std::uint64_t kUnitCapabilities = (1ULL << CAP_NET_RAW) | (1ULL << CAP_NET_ADMIN) | (1ULL << CAP_BPF) |
                                            (1ULL << CAP_PERFMON) | (1ULL << CAP_SYS_PTRACE) |
                                            (1ULL << CAP_DAC_READ_SEARCH);

std::string statusField(pid_t pid, const std::string& key) {
  for (const auto& line : lines(readFile("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.rfind(key + ":", 0) == 0) {
      auto value = line.substr(key.size() + 1);
      return value.substr(value.find_first_not_of(" \t"));
    }
  }
  return {};
}

bool installed() {
  return run({"dpkg-query", "-W", "-f=${Status}", "dnsleak"}).out.find("ok installed") != std::string::npos;
}

class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to install a package (CI runs as root)";
    for (const char* tool : {"dpkg-buildpackage", "apt-get", "systemd-analyze", "setpriv"}) {
      if (!haveProgram(tool)) GTEST_SKIP() << "needs " << tool << " (scripts/install-deps.sh installs it)";
    }
    if (installed()) GTEST_SKIP() << "a dnsleak package is installed on this machine already; not replacing it";
    dir_ = makeTempDir();
    std::filesystem::permissions(dir_, std::filesystem::perms::all);  // apt's sandbox user reads the .deb
  }
  void TearDown() override {
    if (dir_.empty()) return;
    if (installed()) run({"apt-get", "purge", "-y", "-qq", "dnsleak"}, std::chrono::minutes(3));
    std::filesystem::remove_all("/run/dnsleak");
    removeTree(dir_);
  }

  // Runs the installed client as a member of group dnsleak (not root).
  RunResult ctlAsMember(const std::string& command) {
    return run({"setpriv", "--reuid=65534", "--regid=" + std::to_string(dnsleak_gid_), "--clear-groups",
                "/usr/bin/dnsleakctl", "--timeout", "5", command});
  }

  bool waitForStatus(Background& daemon) {
    return waitUntil([&] { return ctlAsMember("status").exit_code == 0 || !daemon.running(); },
                     std::chrono::seconds(20)) &&
           daemon.running();
  }

  std::string dir_;
  gid_t dnsleak_gid_ = 0;
};

TEST_F(PackageTest, BuildsInstallsRunsAsTheUnitAndByHandThenPurgesCleanly) {
  // Build, offline, from Debian's build-dependencies.
  auto build = run({"env", "OUT_DIR=" + dir_, DNSLEAK_SOURCE_DIR "/scripts/build-deb.sh"}, std::chrono::minutes(15));
  ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
  std::string deb;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().extension() == ".deb") deb = entry.path().string();
  }
  ASSERT_FALSE(deb.empty()) << build.out;

  // Install as an admin would.
  auto install =
      run({"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "--no-install-recommends", deb},
          std::chrono::minutes(5));
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;

  // Everything in its place, with its owner and mode.
  for (const auto& path : kInstalledFiles) EXPECT_TRUE(std::filesystem::exists(path)) << path;
  struct stat st {};
  ASSERT_EQ(stat("/usr/sbin/dnsleakd", &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u);
  ASSERT_EQ(stat("/etc/dnsleak/dnsleakd.yaml", &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  auto conffiles = run({"dpkg-query", "-W", "-f=${Conffiles}", "dnsleak"}).out;
  EXPECT_NE(conffiles.find("/etc/dnsleak/dnsleakd.yaml"), std::string::npos) << conffiles;
  EXPECT_EQ(lines(conffiles).size(), 1u) << "the config is the only conffile: " << conffiles;
  // On a group member's PATH.
  EXPECT_EQ(run({"env", "PATH=/usr/local/bin:/usr/bin:/bin", "sh", "-c", "command -v dnsleakctl"}).out,
            "/usr/bin/dnsleakctl\n");
  // The user and group, made by sysusers.d.
  const passwd* user = getpwnam("dnsleak");
  ASSERT_NE(user, nullptr) << "no user dnsleak after install";
  const uid_t dnsleak_uid = user->pw_uid;
  const group* grp = getgrnam("dnsleak");
  ASSERT_NE(grp, nullptr) << "no group dnsleak after install";
  dnsleak_gid_ = grp->gr_gid;

  // The unit: valid, and hardened to an exposure of at most 2.5.
  const std::string unit = "/lib/systemd/system/dnsleakd.service";
  auto verify = run({"systemd-analyze", "verify", unit});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto security = run({"systemd-analyze", "security", "--offline=yes", "--no-pager", unit});
  std::smatch m;
  std::string text = security.out + security.err;
  ASSERT_TRUE(std::regex_search(text, m, std::regex("Overall exposure level for dnsleakd.service: ([0-9.]+)"))) << text;
  EXPECT_LE(std::stod(m[1]), 2.5) << text;

  // Run as the unit runs it (PID 1 here is not systemd): the config check,
  // then the daemon as user dnsleak with the unit's capabilities and its
  // runtime directory.
  std::string caps;
  for (const auto& line : lines(readFile(unit))) {
    if (line.rfind("AmbientCapabilities=", 0) != 0) continue;
    std::istringstream words(line.substr(20));
    for (std::string cap; words >> cap;) {
      for (auto& ch : cap) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      caps += (caps.empty() ? "+" : ",+") + cap.substr(4);
    }
  }
  ASSERT_FALSE(caps.empty());
  std::filesystem::create_directories("/run/dnsleak");
  ASSERT_EQ(chown("/run/dnsleak", dnsleak_uid, dnsleak_gid_), 0);
  ASSERT_EQ(chmod("/run/dnsleak", 0750), 0);
  const std::vector<std::string> as_unit = {"setpriv",
                                            "--reuid=dnsleak",
                                            "--regid=dnsleak",
                                            "--init-groups",
                                            "--inh-caps=" + caps,
                                            "--ambient-caps=" + caps,
                                            "--bounding-set=-all," + caps};
  auto check = as_unit;
  check.insert(check.end(), {"/usr/sbin/dnsleakd", "--check-config", "/etc/dnsleak/dnsleakd.yaml"});
  auto checked = run(check);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  {
    auto argv = as_unit;
    argv.insert(argv.end(), {"/usr/sbin/dnsleakd", "--config", "/etc/dnsleak/dnsleakd.yaml"});
    Background daemon(argv, dir_, "as-unit");
    ASSERT_TRUE(waitForStatus(daemon)) << daemon.err();
    auto status = ctlAsMember("status");
    EXPECT_NE(status.out.find("capturing"), std::string::npos) << status.out;
    // The shipped list, found at its installed place without any path in the config.
    EXPECT_EQ(daemon.err().find("resolver list"), std::string::npos) << daemon.err();
    EXPECT_EQ(daemon.stop(SIGTERM), 0) << daemon.err();
  }
  std::filesystem::remove_all("/run/dnsleak");

  // Started by hand as root: it makes /run/dnsleak itself, then becomes
  // dnsleak with the same capabilities.
  {
    Background daemon({"/usr/sbin/dnsleakd"}, dir_, "by-hand");
    ASSERT_TRUE(waitForStatus(daemon)) << daemon.err();
    EXPECT_EQ(statusField(daemon.pid(), "Uid"), std::to_string(dnsleak_uid) + "\t" + std::to_string(dnsleak_uid) +
                                                    "\t" + std::to_string(dnsleak_uid) + "\t" +
                                                    std::to_string(dnsleak_uid));
    EXPECT_EQ(std::stoull(statusField(daemon.pid(), "CapEff"), nullptr, 16), kUnitCapabilities);
    EXPECT_EQ(std::stoull(statusField(daemon.pid(), "CapPrm"), nullptr, 16), kUnitCapabilities);
    EXPECT_EQ(std::stoull(statusField(daemon.pid(), "CapBnd"), nullptr, 16), kUnitCapabilities);
    EXPECT_EQ(statusField(daemon.pid(), "NoNewPrivs"), "1");
    EXPECT_EQ(ctlAsMember("interfaces").exit_code, 0);
    EXPECT_EQ(daemon.stop(SIGTERM), 0) << daemon.err();
    EXPECT_FALSE(std::filesystem::exists("/run/dnsleak/dnsleakd.sock")) << "the socket is removed at exit";
  }
  std::filesystem::remove_all("/run/dnsleak");

  // Remove keeps the admin's config; purge leaves nothing.
  auto remove = run({"apt-get", "remove", "-y", "-qq", "dnsleak"}, std::chrono::minutes(3));
  ASSERT_EQ(remove.exit_code, 0) << remove.out << remove.err;
  EXPECT_FALSE(std::filesystem::exists("/usr/sbin/dnsleakd"));
  EXPECT_TRUE(std::filesystem::exists("/etc/dnsleak/dnsleakd.yaml"));
  auto purge = run({"apt-get", "purge", "-y", "-qq", "dnsleak"}, std::chrono::minutes(3));
  ASSERT_EQ(purge.exit_code, 0) << purge.out << purge.err;
  for (const auto& path : kInstalledFiles) EXPECT_FALSE(std::filesystem::exists(path)) << path << " left after purge";
  for (const auto* dir : {"/etc/dnsleak", "/usr/share/dnsleak", "/usr/share/doc/dnsleak"}) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " left after purge";
  }
  EXPECT_FALSE(installed());
}

}  // namespace
}  // namespace dnsleak::testing
