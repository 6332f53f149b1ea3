// What `cmake --install` puts where, the man pages as `man` shows them,
// and the bash completion as bash runs it.

#include <gtest/gtest.h>

#include <filesystem>

#include "process.h"

namespace dnsleak::testing {
namespace {

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir(); }
  void TearDown() override { removeTree(dir_); }
  std::string dir_;
};

// The build's default prefix is /usr: `cmake --install build` installs a
// working service, as the package does.
TEST_F(InstallTest, CmakeInstallPutsEveryFileWhereThePackageDoes) {
  const std::string build_dir = std::filesystem::path(DNSLEAKD_PATH).parent_path().string();
  auto r = run({"env", "DESTDIR=" + dir_, "cmake", "--install", build_dir}, std::chrono::minutes(2));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const std::string path :
       {"/usr/sbin/dnsleakd", "/usr/bin/dnsleakctl", "/etc/dnsleak/dnsleakd.yaml",
        "/usr/share/dnsleak/public-resolvers.txt", "/usr/share/dnsleak/proto/dnsleak/v1/dnsleak.proto",
        "/usr/lib/systemd/system/dnsleakd.service", "/usr/lib/sysusers.d/dnsleak.conf",
        "/usr/share/man/man8/dnsleakd.8", "/usr/share/man/man1/dnsleakctl.1", "/usr/share/man/man5/dnsleakd.yaml.5",
        "/usr/share/bash-completion/completions/dnsleakctl", "/usr/share/doc/dnsleak/README.md",
        "/usr/share/doc/dnsleak/examples/dnsleakd.yaml"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ + path)) << path;
  }
  // /etc holds the config alone: the list is data.
  std::size_t under_etc = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/etc")) under_etc += e.is_regular_file();
  EXPECT_EQ(under_etc, 1u);
  // The unit runs the installed binaries on the installed config.
  auto unit = readFile(dir_ + "/usr/lib/systemd/system/dnsleakd.service");
  EXPECT_NE(unit.find("ExecStart=/usr/sbin/dnsleakd --config /etc/dnsleak/dnsleakd.yaml"), std::string::npos) << unit;
  EXPECT_NE(unit.find("Documentation=man:dnsleakd(8)"), std::string::npos);
  // The installed daemon finds the installed list with no path given, and
  // the installed config is valid.
  auto check = run({dir_ + "/usr/sbin/dnsleakd", "--check-config", dir_ + "/etc/dnsleak/dnsleakd.yaml"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto read = run(
      {dir_ + "/usr/sbin/dnsleakd", "--read", DNSLEAK_SOURCE_DIR "/tests/data/ndpi-dns_doh.pcap", "--summary-only"});
  EXPECT_NE(read.out.find("1 encrypted-DNS observations"), std::string::npos) << read.out << read.err;
}

TEST_F(InstallTest, ManPagesRenderWithoutWarnings) {
  if (!haveProgram("man") || !haveProgram("groff")) GTEST_SKIP() << "needs man and groff (man-db, groff-base)";
  const std::string man_dir = std::filesystem::path(DNSLEAKD_PATH).parent_path().string() + "/man";
  for (const std::string page : {"dnsleakd.8", "dnsleakctl.1", "dnsleakd.yaml.5"}) {
    auto shown = run({"env", "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat", "man", "-l", man_dir + "/" + page});
    ASSERT_EQ(shown.exit_code, 0) << page << shown.err;
    const std::string name = page.substr(0, page.rfind('.'));
    EXPECT_NE(shown.out.find("NAME"), std::string::npos) << page;
    EXPECT_NE(shown.out.find(name + " - "), std::string::npos) << page << shown.out.substr(0, 300);
    auto lint = run({"groff", "-man", "-ww", "-z", man_dir + "/" + page});
    EXPECT_EQ(lint.err, "") << page;
  }
  // Every subcommand of the client is documented.
  auto ctl = readFile(man_dir + "/dnsleakctl.1");
  for (const char* command : {"status", "check", "watch", "report", "metrics", "interfaces", "reload"}) {
    EXPECT_NE(ctl.find(command), std::string::npos) << command;
  }
}

// Runs the completion function for a command line ending in `line` and
// returns what it offers.
std::string complete(const std::string& line) {
  const std::string script =
      "source /usr/share/bash-completion/bash_completion\n"
      "source '" DNSLEAK_SOURCE_DIR
      "/packaging/dnsleakctl.bash-completion'\n"
      "COMP_LINE='" +
      line +
      "'; COMP_POINT=${#COMP_LINE}\n"
      "read -ra COMP_WORDS <<< \"$COMP_LINE\"\n"
      "[[ \"$COMP_LINE\" == *' ' ]] && COMP_WORDS+=('')\n"
      "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
      "_dnsleakctl dnsleakctl \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
  return run({"bash", "-c", script}).out;
}

TEST(Completion, CompletesSubcommandsAndTheirOptions) {
  if (!std::filesystem::exists("/usr/share/bash-completion/bash_completion")) {
    GTEST_SKIP() << "needs bash-completion (scripts/install-deps.sh installs it)";
  }
  EXPECT_EQ(complete("dnsleakctl "), "status\ncheck\nwatch\nreport\nmetrics\ninterfaces\nreload\n");
  EXPECT_EQ(complete("dnsleakctl report --format "), "text\njson\ncsv\nhtml\n");
  EXPECT_EQ(complete("dnsleakctl watch --fo"), "--follow\n");
  EXPECT_EQ(complete("dnsleakctl re"), "report\nreload\n");
  EXPECT_EQ(complete("dnsleakctl --json w"), "watch\n");
  EXPECT_EQ(complete("dnsleakctl interfaces --"), "--all\n--help\n");
  EXPECT_EQ(complete("dnsleakctl report --group-by pro"), "process\n");
  EXPECT_EQ(complete("dnsleakctl watch --leak-type "), "A\nB\nC\nD\n");
}

}  // namespace
}  // namespace dnsleak::testing
