// dnsleakd's command line as a user meets it: config checks and the one
// sentence each start-up failure gives.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "process.h"

namespace dnsleak::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir(); }
  void TearDown() override { removeTree(dir_); }
  std::string dir_;
};

TEST_F(CliTest, CheckConfigAcceptsTheBundledConfig) {
  auto r = run({DNSLEAKD_PATH, "--check-config", std::string(DNSLEAK_SOURCE_DIR) + "/config/dnsleakd.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok (profile full-tunnel"), std::string::npos) << r.out;
}

TEST_F(CliTest, CheckConfigNamesFileLineAndKeyOfEveryError) {
  std::string path = dir_ + "/bad.yaml";
  writeFile(path, "profile: full-tunnel\nsafe_path:\n  resolvers: [10.0.0.1, not-an-address]\nstore: {capacty: 5}\n");
  auto r = run({DNSLEAKD_PATH, "--check-config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path + ":3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("safe_path.resolvers[1]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(path + ":4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("store.capacty: unknown key; did you mean 'capacity'?"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 errors"), std::string::npos) << r.err;
}

TEST_F(CliTest, MissingConfigStopsTheDaemonWithOneReason) {
  auto r = run({DNSLEAKD_PATH, "--config", dir_ + "/nope.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope.yaml: cannot read the config file"), std::string::npos) << r.err;
}

TEST_F(CliTest, UnreadableCaptureFileIsOneSentence) {
  auto r = run({DNSLEAKD_PATH, "--read", dir_ + "/missing.pcap"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("cannot read capture file"), std::string::npos) << r.err;

  writeFile(dir_ + "/junk.pcap", "this is not a capture file at all");
  auto junk = run({DNSLEAKD_PATH, "--read", dir_ + "/junk.pcap"});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_NE(junk.err.find("cannot read capture file"), std::string::npos) << junk.err;
}

TEST_F(CliTest, CaptureCutShortIsReadAsFarAsPossibleThenReported) {
  std::string path = dir_ + "/cut.pcap";
  ASSERT_EQ(run({TESTGEN_PATH, "basic_udp", path}).exit_code, 0);
  std::string bytes = readFile(path);
  writeFile(path, bytes.substr(0, bytes.size() - 20));
  auto r = run({DNSLEAKD_PATH, "--read", path, "--json"});
  EXPECT_EQ(r.exit_code, 3);
  // Six whole messages: three exchanges, then the summary.
  auto out = lines(r.out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_NE(out.back().find("\"dnsMessages\":\"6\""), std::string::npos) << out.back();
  EXPECT_NE(r.err.find("stopped early"), std::string::npos) << r.err;
}

TEST_F(CliTest, SocketThatCannotBeCreatedIsOneSentence) {
  std::string capture = dir_ + "/c.pcap";
  ASSERT_EQ(run({TESTGEN_PATH, "basic_udp", capture}).exit_code, 0);
  writeFile(dir_ + "/file", "a file where a directory should be");
  auto r = run({DNSLEAKD_PATH, "--config", std::string(DNSLEAK_SOURCE_DIR) + "/config/dnsleakd.yaml", "--socket",
                dir_ + "/file/dnsleakd.sock", "--replay", capture});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dnsleakd not started"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir_ + "/file"), std::string::npos) << r.err;
}

// A configured interface that does not exist (yet) is not fatal: the
// daemon starts, and says in `interfaces` what it waits for.
TEST_F(CliTest, MissingInterfaceWaitsAndSaysWhy) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (or CAP_NET_RAW) to open live capture";
  std::string config = dir_ + "/c.yaml", socket = dir_ + "/s.sock";
  writeFile(config, "capture: {interfaces: [nosuchif0]}\nuser: \"\"\n");
  Background daemon({DNSLEAKD_PATH, "--config", config, "--socket", socket}, dir_, "dnsleakd");
  RunResult r;
  ASSERT_TRUE(waitUntil(
      [&] { return (r = run({DNSLEAKCTL_PATH, "--socket", socket, "interfaces"})).exit_code == 0; },
      std::chrono::seconds(10)))
      << daemon.err();
  EXPECT_NE(r.out.find("waiting"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no such interface 'nosuchif0'"), std::string::npos) << r.out;
  EXPECT_TRUE(daemon.running());
  EXPECT_EQ(daemon.stop(SIGTERM), 0) << daemon.err();
}

TEST_F(CliTest, CheckConfigCompilesPerInterfaceFilters) {
  std::string config = dir_ + "/c.yaml";
  writeFile(config, "capture:\n  interfaces: [eth0]\n  per_interface:\n    eth0: {filter: \"not hots 192.0.2.1\"}\n");
  auto r = run({DNSLEAKD_PATH, "--check-config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("capture.per_interface.eth0.filter: libpcap cannot compile 'not hots 192.0.2.1'"),
            std::string::npos)
      << r.err;
  writeFile(config, "capture:\n  interfaces: [eth0]\n  per_interface:\n    eth0: {filter: \"not host 192.0.2.1\"}\n");
  EXPECT_EQ(run({DNSLEAKD_PATH, "--check-config", config}).exit_code, 0);
}

TEST_F(CliTest, ReadingBadIfnameIsAUsageError) {
  auto r = run({DNSLEAKD_PATH, "--read", "x.pcap", "--ifname", "eth0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("INDEX=NAME"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dnsleak::testing
