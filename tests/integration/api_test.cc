// The daemon on a temporary socket with a capture file as its packet
// source (--replay, no root needed), and the real dnsleakctl against it.

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include "dnsleak/v1/dnsleak.pb.h"
#include "process.h"

namespace dnsleak::testing {
namespace {

template <typename Message>
Message parseJson(const std::string& line) {
  Message m;
  auto status = google::protobuf::util::JsonStringToMessage(line, &m);
  EXPECT_TRUE(status.ok()) << line;
  return m;
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    socket_ = dir_ + "/run/dnsleakd.sock";
    config_ = dir_ + "/dnsleakd.yaml";
  }
  void TearDown() override {
    if (daemon_) {
      EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->err();
      EXPECT_FALSE(std::filesystem::exists(socket_)) << "socket left behind after SIGTERM";
    }
    removeTree(dir_);
  }

  std::string capture(const std::string& scenario) {
    std::string path = dir_ + "/" + scenario + ".pcap";
    EXPECT_EQ(run({TESTGEN_PATH, scenario, path}).exit_code, 0);
    return path;
  }

  void startDaemon(const std::string& config_text, const std::string& replay, double speed = 0) {
    writeFile(config_, config_text);
    daemon_ = std::make_unique<Background>(
        std::vector<std::string>{DNSLEAKD_PATH, "--config", config_, "--socket", socket_, "--user", "", "--replay", replay,
                                 "--replay-speed", std::to_string(speed), "--interface", "eth0"},
        dir_, "dnsleakd");
    ASSERT_TRUE(waitUntil([&] { return ctl({"status"}).exit_code == 0 || !daemon_->running(); },
                          std::chrono::seconds(10)))
        << daemon_->err();
    ASSERT_TRUE(daemon_->running()) << daemon_->err();
  }

  RunResult ctl(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::vector<std::string> argv = {DNSLEAKCTL_PATH, "--socket", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, timeout);
  }

  v1::GetStatusResponse status() {
    auto r = ctl({"--json", "status"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parseJson<v1::GetStatusResponse>(r.out);
  }

  // Waits until the replay has gone through the whole file.
  void waitForReplay() {
    ASSERT_TRUE(waitUntil([&] { return status().capture(0).state() == "finished"; }, std::chrono::seconds(10)));
  }

  std::string dir_, socket_, config_;
  std::unique_ptr<Background> daemon_;
};

TEST_F(ApiTest, StatusReportsVersionProfileCaptureCountersAndStore) {
  startDaemon("store: {capacity: 100}\n", capture("basic_udp"));
  waitForReplay();
  auto s = status();
  EXPECT_FALSE(s.version().empty());
  EXPECT_EQ(s.profile(), "full-tunnel");
  EXPECT_EQ(s.config().path(), config_);
  EXPECT_EQ(s.config().generation(), 1u);
  EXPECT_EQ(s.config().sha256().size(), 64u);
  ASSERT_EQ(s.capture_size(), 1);
  EXPECT_EQ(s.capture(0).link_type(), "EN10MB");
  EXPECT_EQ(s.capture(0).packets_received(), 7u);
  EXPECT_EQ(s.packets(), 7u);
  EXPECT_EQ(s.dns_messages(), 7u);
  EXPECT_EQ(s.pid(), static_cast<std::uint32_t>(daemon_->pid()));
  // Without record_ok only leaks are stored: one per exchange.
  EXPECT_EQ(s.store().size(), 3u);
  EXPECT_EQ(s.store().capacity(), 100u);
  EXPECT_EQ(s.store().last_seq(), 3u);

  auto human = ctl({"status"});
  ASSERT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("profile    full-tunnel"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("Leak-A 3"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("exchanges  3 answered, 1 unanswered"), std::string::npos) << human.out;
}

TEST_F(ApiTest, WatchFromTheStartGetsEveryStoredEventInOrder) {
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  auto r = ctl({"--json", "watch", "--from-seq", "1", "--count", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = lines(r.out);
  ASSERT_EQ(out.size(), 3u);
  std::uint64_t seq = 0;
  for (const auto& line : out) {
    auto w = parseJson<v1::WatchResponse>(line);
    ASSERT_TRUE(w.has_event());
    EXPECT_EQ(w.event().seq(), ++seq);
    EXPECT_EQ(w.event().verdict(), v1::VERDICT_LEAK);
    EXPECT_EQ(w.event().interface().name(), "eth0");
    // A replayed capture's processes are not this host's now.
    EXPECT_EQ(w.event().attribution().failure(), v1::ATTRIBUTION_FAILURE_OFFLINE);
  }
}

TEST_F(ApiTest, LiveWatchReceivesEventsAsTheyAreStored) {
  // The paced capture stores its three leaks four seconds after the start.
  startDaemon("", capture("paced"), 1.0);
  Background watch({DNSLEAKCTL_PATH, "--socket", socket_, "--json", "watch", "--count", "3", "--duration", "20"}, dir_,
                   "watch");
  ASSERT_TRUE(waitUntil([&] { return status().watchers() == 1; }, std::chrono::seconds(5)));
  ASSERT_EQ(status().store().last_seq(), 0u) << "events were stored before the watch started; the test proves nothing";
  ASSERT_EQ(watch.wait(std::chrono::seconds(20)), 0) << watch.err();
  auto out = lines(watch.out());
  ASSERT_EQ(out.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto w = parseJson<v1::WatchResponse>(out[static_cast<std::size_t>(i)]);
    EXPECT_EQ(w.event().dns().qname(), "paced" + std::to_string(i) + ".example.com");
    EXPECT_EQ(w.event().leak_type(), v1::LEAK_TYPE_A);
  }
}

TEST_F(ApiTest, WatchersAreToldWhenTheDaemonShutsDown) {
  startDaemon("", capture("basic_udp"));
  Background watch({DNSLEAKCTL_PATH, "--socket", socket_, "watch"}, dir_, "watch");
  ASSERT_TRUE(waitUntil([&] { return status().watchers() == 1; }, std::chrono::seconds(5)));
  EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->err();
  EXPECT_EQ(watch.wait(std::chrono::seconds(5)), 3);
  EXPECT_NE(watch.err().find("is shutting down"), std::string::npos) << watch.err();
}

TEST_F(ApiTest, SlowClientGetsAnExplicitGapNotASilentLoss) {
  startDaemon("store: {capacity: 2}\n", capture("basic_udp"));
  waitForReplay();
  auto r = ctl({"--json", "watch", "--from-seq", "1", "--count", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = lines(r.out);
  ASSERT_EQ(out.size(), 3u);
  auto gap = parseJson<v1::WatchResponse>(out[0]);
  ASSERT_TRUE(gap.has_gap());
  EXPECT_EQ(gap.gap().from_seq(), 1u);
  EXPECT_EQ(gap.gap().to_seq(), 1u);
  EXPECT_EQ(gap.gap().missed(), 1u);
  EXPECT_EQ(parseJson<v1::WatchResponse>(out[1]).event().seq(), 2u);

  auto human = ctl({"watch", "--from-seq", "1", "--count", "1"});
  EXPECT_NE(human.out.find("missed 1 events"), std::string::npos) << human.out;
}

TEST_F(ApiTest, WatchFiltersByTransport) {
  startDaemon("", capture("tcp_framing"));
  waitForReplay();
  auto none = ctl({"--json", "watch", "--from-seq", "1", "--transport", "dns-udp", "--duration", "1"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(lines(none.out).empty()) << none.out;
  auto tcp = ctl({"--json", "watch", "--from-seq", "1", "--transport", "dns-tcp", "--count", "3"});
  ASSERT_EQ(tcp.exit_code, 0) << tcp.err;
  EXPECT_EQ(lines(tcp.out).size(), 3u);  // three exchanges
  auto bad = ctl({"watch", "--transport", "carrier-pigeon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown transport"), std::string::npos);
}

TEST_F(ApiTest, ReportGroupsStoredLeaks) {
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  auto r = ctl({"--json", "report", "--group-by", "qname"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = parseJson<v1::GetReportResponse>(r.out);
  EXPECT_EQ(report.events(), 3u);
  EXPECT_EQ(report.group_by(), v1::REPORT_GROUPING_QNAME);
  ASSERT_EQ(report.rows_size(), 3);
  for (const auto& row : report.rows()) {
    EXPECT_EQ(row.count(), 1u) << row.key();  // one exchange, not a query and a response
    EXPECT_EQ(row.leak_type(), v1::LEAK_TYPE_A);
  }
  EXPECT_FALSE(report.incomplete());

  auto by_rule = ctl({"report"});
  ASSERT_EQ(by_rule.exit_code, 0);
  EXPECT_NE(by_rule.out.find("full-tunnel/plaintext-outside-safe-path"), std::string::npos) << by_rule.out;

  // A window entirely before the capture holds nothing.
  auto old = ctl({"--json", "report", "--until", "2020-01-01T00:00:00Z"});
  EXPECT_EQ(parseJson<v1::GetReportResponse>(old.out).events(), 0u);
  auto bad = ctl({"report", "--since", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(ApiTest, IdenticalLeaksFoldIntoOneEventAndEveryFoldIsCounted) {
  startDaemon("store: {fold_seconds: 60}\n", capture("repeats"));
  waitForReplay();
  auto s = status();
  EXPECT_EQ(s.store().folded(), 4u);
  EXPECT_EQ(s.store().size(), 2u);
  auto w = ctl({"--json", "watch", "--from-seq", "1", "--duration", "1"});
  std::vector<v1::Event> events;
  for (const auto& line : lines(w.out)) {
    auto r = parseJson<v1::WatchResponse>(line);
    if (r.has_event()) events.push_back(r.event());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].count(), 5u);
  EXPECT_EQ(events[0].dns().qname(), "again.example.com");
  EXPECT_LT(events[0].first_seen().seconds(), events[0].last_seen().seconds());
  EXPECT_EQ(events[1].count(), 1u);  // 70 s later: a new window, stored at once
  auto report = parseJson<v1::GetReportResponse>(ctl({"--json", "report", "--group-by", "qname"}).out);
  ASSERT_EQ(report.rows_size(), 1);
  EXPECT_EQ(report.rows(0).count(), 6u);  // every occurrence, folded or not
  EXPECT_NE(ctl({"status"}).out.find("4 folded"), std::string::npos);
}

TEST_F(ApiTest, FoldingOffStoresEveryLeak) {
  startDaemon("store: {fold_seconds: 0}\n", capture("repeats"));
  waitForReplay();
  EXPECT_EQ(status().store().size(), 6u);
  EXPECT_EQ(status().store().folded(), 0u);
}

TEST_F(ApiTest, InterfacesListsTheCaptureSource) {
  startDaemon("", capture("basic_udp"));
  auto r = ctl({"--json", "interfaces"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto list = parseJson<v1::ListInterfacesResponse>(r.out);
  ASSERT_EQ(list.capture_size(), 1);
  EXPECT_EQ(list.capture(0).link_type(), "EN10MB");
}

TEST_F(ApiTest, ReloadAppliesValidConfigAndKeepsTheOldOneOnErrors) {
  startDaemon("safe_path: {interfaces: [wg0]}\n", capture("basic_udp"));
  waitForReplay();
  writeFile(config_, "safe_path: {interfaces: [wg0, eth0]}\n");
  auto ok = ctl({"--json", "reload"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto applied = parseJson<v1::ReloadConfigResponse>(ok.out);
  EXPECT_TRUE(applied.applied());
  EXPECT_EQ(applied.generation(), 2u);
  EXPECT_EQ(status().config().generation(), 2u);

  writeFile(config_, "safe_path: {interfaces: [wg0]}\nstore: {capacity: lots}\n");
  auto refused = ctl({"reload"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find("reload refused"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find(config_ + ":2:"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("store.capacity"), std::string::npos) << refused.out;
  EXPECT_EQ(status().config().generation(), 2u);

  // SIGHUP takes the same path: refused while invalid, applied once fixed.
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(waitUntil([&] { return daemon_->err().find("reload of") != std::string::npos; }, std::chrono::seconds(5)));
  EXPECT_EQ(status().config().generation(), 2u);
  writeFile(config_, "safe_path: {interfaces: [wg0]}\n");
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(waitUntil([&] { return status().config().generation() == 3u; }, std::chrono::seconds(5)))
      << daemon_->err();
}

TEST_F(ApiTest, ReloadWarnsAboutSettingsThatNeedARestart) {
  startDaemon("", capture("basic_udp"));
  writeFile(config_, "capture: {interfaces: [eth0]}\n");
  auto r = ctl({"--json", "reload"});
  ASSERT_EQ(r.exit_code, 0);
  auto reply = parseJson<v1::ReloadConfigResponse>(r.out);
  ASSERT_EQ(reply.warnings_size(), 1);
  EXPECT_NE(reply.warnings(0).find("capture.interfaces"), std::string::npos);
}

TEST_F(ApiTest, SocketIsGroupReadableOnlyAndStaleSocketsAreReplaced) {
  // A socket file nobody listens on, as a crashed daemon leaves it.
  std::filesystem::create_directories(dir_ + "/run");
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);  // bound, never listened on, now closed: stale
  auto refused = ctl({"status"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("nothing is listening on " + socket_), std::string::npos) << refused.err;

  startDaemon("", capture("basic_udp"));
  auto mode = std::filesystem::status(socket_).permissions();
  EXPECT_EQ(mode & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read | std::filesystem::perms::group_write);

  // A second daemon on the same socket refuses to take it over.
  auto second = run({DNSLEAKD_PATH, "--config", config_, "--socket", socket_, "--user", "", "--replay", capture("paced")});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another dnsleakd is already serving"), std::string::npos) << second.err;
}

TEST_F(ApiTest, ClientWithoutPermissionIsToldSo) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run the client as another user";
  if (!haveProgram("setpriv")) GTEST_SKIP() << "needs setpriv (util-linux)";
  startDaemon("", capture("basic_udp"));
  auto r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DNSLEAKCTL_PATH, "--socket", socket_,
                "status"});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
}

TEST(ApiClient, NoDaemonIsOneClearSentence) {
  auto r = run({DNSLEAKCTL_PATH, "--socket", "/nonexistent/dnsleakd.sock", "status"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/dnsleakd.sock"), std::string::npos);
  EXPECT_NE(r.err.find("not running"), std::string::npos);
  for (const char* command : {"watch", "report", "interfaces", "reload"}) {
    EXPECT_EQ(run({DNSLEAKCTL_PATH, "--socket", "/nonexistent/dnsleakd.sock", command}).exit_code, 3) << command;
  }
}

}  // namespace
}  // namespace dnsleak::testing
