// The daemon on a temporary socket with a capture file as its packet
// source (--replay, no root needed), and the real dnsleakctl against it.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <thread>

#include "dnsleak/v1/dnsleak.grpc.pb.h"
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

// A DNS tunnel as a user meets it through the daemon's own path: the
// replayed dig exfiltration (tests/data/SOURCES.md) is stored as DNS-tunnel
// leaks with their evidence; watch selects them by --leak-type tunnel and
// shows the figures with -v; report and status count them.
// With nobody watching, the thread that hands stored events to watchers
// sleeps until someone comes: it used to wake five times a second for
// nothing, a share of an idle daemon's cost.
TEST_F(ApiTest, NobodyWatchingLeavesTheNotifierAsleep) {
#ifdef __linux__
  startDaemon("store: {capacity: 100}\n", capture("basic_udp"));
  waitForReplay();
  ASSERT_EQ(status().store().size(), 3u);
  auto notifierSwitches = [&]() -> long {
    const std::string tasks = "/proc/" + std::to_string(daemon_->pid()) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      if (name != "dl-notifier") continue;
      std::ifstream status(task.path() / "status");
      for (std::string line; std::getline(status, line);) {
        if (line.rfind("voluntary_ctxt_switches:", 0) == 0) return std::stol(line.substr(line.find(':') + 1));
      }
    }
    return -1;
  };
  const long before = notifierSwitches();
  ASSERT_GE(before, 0) << "no dl-notifier thread";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_LE(notifierSwitches() - before, 1);
  // And a watcher still gets what is stored: the first one wakes it.
  auto r = ctl({"--json", "watch", "--from-seq", "1", "--duration", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), 3u) << r.out;
#else
  GTEST_SKIP() << "reads the thread's switches from /proc";
#endif
}

TEST_F(ApiTest, TunnelFindingsAreWatchedReportedAndCounted) {
  startDaemon("", std::string(DNSLEAK_SOURCE_DIR) + "/tests/data/dig-exfil.pcap");
  waitForReplay();
  auto r = ctl({"--json", "watch", "--from-seq", "1", "--leak-type", "tunnel", "--duration", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<v1::Event> findings;
  for (const auto& line : lines(r.out)) findings.push_back(parseJson<v1::WatchResponse>(line).event());
  ASSERT_EQ(findings.size(), 2u) << r.out;
  EXPECT_EQ(findings[0].rule(), "tunnel/data-in-one-name");
  EXPECT_EQ(findings[1].rule(), "tunnel/names-carry-data");
  for (const auto& f : findings) {
    EXPECT_EQ(f.kind(), v1::MESSAGE_KIND_FINDING);
    EXPECT_EQ(f.leak_type(), v1::LEAK_TYPE_TUNNEL);
    EXPECT_EQ(f.dns().qname(), "exfil.test");
    EXPECT_GE(f.evidence_size(), 5);
  }
  auto human = ctl({"watch", "--from-seq", "1", "--leak-type", "tunnel", "--duration", "1", "-v"});
  EXPECT_NE(human.out.find("DNS-tunnel"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("exfil.test carries data"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("evidence: queries 20 (queries whose names carry data), distinct_names 20"),
            std::string::npos)
      << human.out;
  EXPECT_NE(ctl({"watch", "--leak-type", "X", "--duration", "1"}).exit_code, 0);

  auto report = parseJson<v1::GetReportResponse>(ctl({"--json", "report"}).out);
  std::uint64_t tunnels = 0;
  for (const auto& c : report.leaks()) {
    if (c.name() == "DNS-tunnel") tunnels = c.count();
  }
  EXPECT_EQ(tunnels, 2u);
  auto s = status();
  std::map<std::string, std::uint64_t> detectors;
  for (const auto& c : s.detectors()) detectors[c.name()] = c.count();
  EXPECT_EQ(detectors["tunnel_findings"], 2u);
  EXPECT_EQ(detectors["tunnel_tracked"], 1u);
  EXPECT_EQ(detectors["tunnel_data_names"], 99u);
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

// What one Watch stream from seq 1 brought: its messages in order.
struct Streamed {
  std::vector<v1::WatchResponse> messages;
  std::vector<std::uint64_t> seqs;  // of every event, batched or not
};

Streamed watchAll(const std::string& socket, std::uint32_t max_batch, std::size_t events_wanted) {
  auto stub = v1::DnsLeak::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchRequest request;
  request.set_from_seq(1);
  request.set_max_batch(max_batch);
  auto reader = stub->Watch(&context, request);
  Streamed got;
  v1::WatchResponse response;
  while (got.seqs.size() < events_wanted && reader->Read(&response)) {
    if (response.has_event()) got.seqs.push_back(response.event().seq());
    for (const auto& e : response.batch().events()) got.seqs.push_back(e.seq());
    got.messages.push_back(response);
  }
  context.TryCancel();
  reader->Finish();
  return got;
}

// Stored events come several to a message to a client that asks
// (dnsleakctl does), in order, never with a gap inside; a client that does
// not ask gets one event a message, as before batches existed.
TEST_F(ApiTest, WatchSendsStoredEventsInBatchesOnlyWhenAsked) {
  const std::string replay = dir_ + "/names.pcap";
  ASSERT_EQ(run({TESTGEN_PATH, "many_names", replay, "3000"}).exit_code, 0);
  startDaemon("store: {capacity: 2000}\n", replay);
  waitForReplay();
  ASSERT_EQ(status().store().last_seq(), 3000u);
  std::vector<std::uint64_t> stored(2000);
  std::iota(stored.begin(), stored.end(), 1001);

  for (std::uint32_t asked : {0u, 1u}) {
    auto one = watchAll(socket_, asked, stored.size());
    EXPECT_EQ(one.seqs, stored) << "max_batch " << asked;
    ASSERT_FALSE(one.messages.empty());
    EXPECT_TRUE(one.messages.front().has_gap());
    for (const auto& m : one.messages) EXPECT_FALSE(m.has_batch()) << "max_batch " << asked;
  }

  for (std::uint32_t asked : {100u, 100000u}) {
    auto batched = watchAll(socket_, asked, stored.size());
    EXPECT_EQ(batched.seqs, stored) << "max_batch " << asked;
    ASSERT_FALSE(batched.messages.empty());
    ASSERT_TRUE(batched.messages.front().has_gap());
    EXPECT_EQ(batched.messages.front().gap().to_seq(), 1000u);
    int largest = 0;
    for (const auto& m : batched.messages) largest = std::max(largest, m.batch().events_size());
    EXPECT_LE(largest, static_cast<int>(std::min(asked, 512u)));  // the daemon's bound
    EXPECT_GE(largest, static_cast<int>(std::min(asked, 512u)) / 2);
    EXPECT_LT(batched.messages.size(), stored.size() / 10) << "hardly batched";
  }
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
  // The calendar's last second is past what the daemon's clock holds: an
  // empty report, not an overflow (which the sanitized daemon aborted on).
  auto huge = ctl({"report", "--since", "99999999999999999999d"});  // aborted on an uncaught stoll error
  EXPECT_EQ(huge.exit_code, 2) << huge.err;
  auto ages = ctl({"--json", "report", "--since", "999999999999999d"});  // before 1970: everything
  ASSERT_EQ(ages.exit_code, 0) << ages.err;
  EXPECT_EQ(parseJson<v1::GetReportResponse>(ages.out).events(), 3u);
  auto far = ctl({"--json", "report", "--since", "9999-12-31T23:59:59Z"});
  ASSERT_EQ(far.exit_code, 0) << far.err;
  EXPECT_EQ(parseJson<v1::GetReportResponse>(far.out).events(), 0u);
  auto whole = ctl({"--json", "report", "--since", "1970-01-01T00:00:00Z", "--until", "9999-12-31T23:59:59Z"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_EQ(parseJson<v1::GetReportResponse>(whole.out).events(), 3u);
  auto watch = ctl({"watch", "--from-seq", "1", "--since", "9999-12-31T23:59:59Z", "--duration", "1"});
  EXPECT_EQ(watch.exit_code, 0) << watch.err;
  EXPECT_EQ(watch.out.find("Leak-A"), std::string::npos) << watch.out;
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

// ---------------------------------------------------------------- issue 12: the client as people use it

std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

std::vector<std::uint64_t> seqsOf(const std::string& json_lines) {
  std::vector<std::uint64_t> out;
  for (const auto& line : lines(json_lines)) {
    auto w = parseJson<v1::WatchResponse>(line);
    if (w.has_event()) out.push_back(w.event().seq());
  }
  return out;
}

TEST_F(ApiTest, StatusLeadsWithTheVerdictAndCheckExitsOneOnLeaks) {
  // Everything safe: no leak stored at all.
  startDaemon("safe_path: {resolvers: [\"0.0.0.0/0\", \"::/0\"]}\n", capture("basic_udp"));
  waitForReplay();
  EXPECT_EQ(firstLine(ctl({"status"}).out).rfind("OK: no leaks since dnsleakd started at ", 0), 0u) << ctl({"status"}).out;
  auto clean = ctl({"check", "--since", "2020-01-01T00:00:00Z"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.out.rfind("OK: no leaks since ", 0), 0u) << clean.out;
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);

  // Three leaks, all from the capture's own past (2026-01-01): none in the
  // last hour, so the verdict is OK and names the last one.
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  auto status = firstLine(ctl({"status"}).out);
  EXPECT_EQ(status.rfind("OK: no leaks since ", 0), 0u) << status;
  EXPECT_NE(status.find("; the last: an unknown program -> DNS "), std::string::npos) << status;
  auto json = parseJson<v1::GetStatusResponse>(ctl({"--json", "status"}).out);
  EXPECT_EQ(json.leaks_last_hour(), 0u);
  EXPECT_EQ(json.last_leak().dns().qname(), "tunnel.example.com");  // the last of the three
  auto recent = ctl({"check"});  // the last hour
  EXPECT_EQ(recent.exit_code, 0) << recent.out << recent.err;
  auto since = ctl({"check", "--since", "2020-01-01T00:00:00Z"});
  EXPECT_EQ(since.exit_code, 1) << since.out << since.err;
  EXPECT_EQ(since.out.rfind("LEAKING: 3 leaks since ", 0), 0u) << since.out;
  EXPECT_NE(since.out.find("(Leak-A 3)"), std::string::npos) << since.out;
  EXPECT_EQ(ctl({"check", "--since", "yesterday"}).exit_code, 2);
}

TEST_F(ApiTest, WatchResumedAfterADisconnectLosesAndRepeatsNothing) {
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  auto first = ctl({"--json", "watch", "--from-seq", "1", "--count", "2"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto seqs = seqsOf(first.out);
  ASSERT_EQ(seqs, (std::vector<std::uint64_t>{1, 2}));
  auto rest = ctl({"--json", "watch", "--from-seq", std::to_string(seqs.back() + 1), "--duration", "1"});
  EXPECT_EQ(seqsOf(rest.out), (std::vector<std::uint64_t>{3}));
  // --since reads the stored events from the start of the window.
  EXPECT_EQ(seqsOf(ctl({"--json", "watch", "--since", "2020-01-01T00:00:00Z", "--duration", "1"}).out),
            (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_TRUE(seqsOf(ctl({"--json", "watch", "--since", "2030-01-01T00:00:00Z", "--duration", "1"}).out).empty());
}

TEST_F(ApiTest, WatchFollowsTheDaemonAcrossARestart) {
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  Background watch({DNSLEAKCTL_PATH, "--socket", socket_, "--json", "watch", "--follow", "--from-seq", "1", "--count",
                    "6", "--duration", "30"},
                   dir_, "follow");
  ASSERT_TRUE(waitUntil([&] { return seqsOf(watch.out()).size() == 3; }, std::chrono::seconds(5))) << watch.err();
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);
  ASSERT_TRUE(waitUntil([&] { return watch.err().find("went away") != std::string::npos; }, std::chrono::seconds(5)))
      << watch.err();
  EXPECT_TRUE(watch.running()) << "--follow outlives the daemon";
  startDaemon("", capture("tcp_framing"));  // a new daemon on the same socket: three other leaks
  ASSERT_EQ(watch.wait(std::chrono::seconds(15)), 0) << watch.err();
  EXPECT_EQ(seqsOf(watch.out()), (std::vector<std::uint64_t>{1, 2, 3, 1, 2, 3}));
  EXPECT_NE(watch.err().find("dnsleakd restarted"), std::string::npos) << watch.err();
  // Without --follow the same ending is an error exit.
  auto once = ctl({"watch", "--duration", "1"});
  EXPECT_EQ(once.exit_code, 0);
}

// A filter the daemon would pay for on every event is refused whole, with
// the reason, rather than served.
TEST_F(ApiTest, WatchWithAnOversizedFilterIsRefusedWithTheReason) {
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  std::vector<std::string> args = {"watch", "--from-seq", "1", "--duration", "1", "--name"};
  for (int i = 0; i < 300; ++i) args.push_back("n" + std::to_string(i) + ".example");
  auto r = ctl(args);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("names lists more than 256 entries"), std::string::npos) << r.err;
  EXPECT_EQ(ctl({"status"}).exit_code, 0);
}

TEST_F(ApiTest, WatchFiltersByRuleProcessAndName) {
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  auto names = [&](std::vector<std::string> filter) {
    std::vector<std::string> args = {"--json", "watch", "--from-seq", "1", "--duration", "1"};
    args.insert(args.end(), filter.begin(), filter.end());
    std::vector<std::string> out;
    for (const auto& line : lines(ctl(args).out)) out.push_back(parseJson<v1::WatchResponse>(line).event().dns().qname());
    return out;
  };
  EXPECT_EQ(names({"--name", "example.org"}), (std::vector<std::string>{"v6.example.org"}));
  EXPECT_EQ(names({"--name", "LEAK.example.com."}), (std::vector<std::string>{"leak.example.com"}));
  EXPECT_EQ(names({"--rule", "plaintext-outside-safe-path"}).size(), 3u);
  EXPECT_EQ(names({"--rule", "full-tunnel/plaintext-outside-safe-path", "--name", "example.com"}).size(), 2u);
  EXPECT_TRUE(names({"--rule", "safe-interface"}).empty());
  EXPECT_TRUE(names({"--process", "firefox"}).empty());  // a capture file's events have no process
}

TEST_F(ApiTest, WatchIsOneAlignedLinePerEventAndColourOnlyOnATerminal) {
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  auto plain = ctl({"watch", "--from-seq", "1", "--count", "3"});
  auto event_lines = lines(plain.out);
  ASSERT_EQ(event_lines.size(), 3u) << plain.out;
  const auto column = event_lines[0].find("dns-udp");
  for (const auto& line : event_lines) {
    EXPECT_EQ(line.find("dns-udp"), column) << "aligned: " << line;
    EXPECT_NE(line.find("Leak-A"), std::string::npos) << line;
  }
  EXPECT_NE(event_lines[0].find("leak.example.com A NOERROR 10ms"), std::string::npos) << event_lines[0];
  EXPECT_EQ(plain.out.find("\x1b["), std::string::npos) << "no colour when piped";
  auto verbose = ctl({"watch", "-v", "--from-seq", "1", "--count", "1"});
  EXPECT_NE(verbose.out.find("\n    why: plaintext DNS query for leak.example.com"), std::string::npos) << verbose.out;
  EXPECT_NE(verbose.out.find("\n    fix: send all DNS through the tunnel"), std::string::npos) << verbose.out;
  EXPECT_NE(ctl({"--color", "always", "watch", "--from-seq", "1", "--count", "1"}).out.find("\x1b[1;31mLeak-A"),
            std::string::npos);
  // On a terminal (script(1) gives the command one): colour, unless NO_COLOR.
  const std::string command = std::string(DNSLEAKCTL_PATH) + " --socket " + socket_ + " watch --from-seq 1 --count 1";
  auto tty = run({"script", "-qec", command, "/dev/null"});
  EXPECT_NE(tty.out.find("\x1b[1;31m"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("TIME"), std::string::npos) << "a header on a terminal: " << tty.out;
  auto no_colour = run({"env", "NO_COLOR=1", "script", "-qec", command, "/dev/null"});
  EXPECT_EQ(no_colour.out.find("\x1b[1;31m"), std::string::npos) << no_colour.out;
  EXPECT_NE(no_colour.out.find("Leak-A"), std::string::npos) << no_colour.out;
}

TEST_F(ApiTest, ReportSaysWhatToFixInTextCsvJsonAndHtml) {
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  auto text = ctl({"report"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(firstLine(text.out), "Report of everything stored, by rule: 3 occurrences in 3 stored events (Leak-A 3)");
  EXPECT_NE(text.out.find("\n        fix: send all DNS through the tunnel"), std::string::npos) << text.out;
  auto csv = lines(ctl({"report", "--format", "csv", "--group-by", "resolver"}).out);
  ASSERT_EQ(csv.size(), 4u);  // the header and three resolvers
  EXPECT_EQ(csv[0].rfind("group_by,key,verdict,leak_type,count,events,first_seen,last_seen,example_reason,remediation", 0),
            0u);
  for (std::size_t i = 1; i < csv.size(); ++i) {
    EXPECT_EQ(csv[i].rfind("resolver,", 0), 0u) << csv[i];
    EXPECT_NE(csv[i].find(":53,leak,Leak-A,1,1,"), std::string::npos) << csv[i];
  }
  auto json = parseJson<v1::GetReportResponse>(ctl({"report", "--format", "json"}).out);
  ASSERT_EQ(json.rows_size(), 1);
  EXPECT_FALSE(json.rows(0).remediation().empty());
  EXPECT_EQ(json.rows(0).events(), 3u);
  EXPECT_EQ(json.timeline().counts_size(), 48);
  auto bad = ctl({"report", "--since", "1h", "--until", "2h"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("before --since"), std::string::npos) << bad.err;
  EXPECT_EQ(ctl({"report", "--format", "pdf"}).exit_code, 2);
}

TEST_F(ApiTest, HtmlReportOpensInChromiumWithItsCharts) {
  if (!haveProgram("chromium")) GTEST_SKIP() << "needs chromium (scripts/install-deps.sh installs it)";
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  const std::string page = dir_ + "/report.html";
  ASSERT_EQ(ctl({"report", "--format", "html", "-o", page}).exit_code, 0);
  const std::string html = readFile(page);
  EXPECT_EQ(html.find("<script"), std::string::npos) << "self-contained and inert";
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  const std::vector<std::string> chromium = {"chromium",       "--headless",       "--no-sandbox",
                                             "--disable-gpu",  "--no-first-run",   "--user-data-dir=" + dir_ + "/profile",
                                             "--window-size=1000,1400"};
  auto dump_args = chromium;
  dump_args.insert(dump_args.end(), {"--enable-logging=stderr", "--dump-dom", "file://" + page});
  auto dom = run(dump_args, std::chrono::seconds(60));
  ASSERT_NE(dom.out.find("<svg class=\"chart timeline\""), std::string::npos) << dom.err;
  EXPECT_EQ(dom.err.find("Uncaught"), std::string::npos) << dom.err;
  // Every chart has bars of a real size: the timeline, by process, by resolver.
  std::size_t charts = 0;
  for (auto at = dom.out.find("<svg class=\"chart"); at != std::string::npos; at = dom.out.find("<svg class=\"chart", at + 1)) {
    ++charts;
    const std::string svg = dom.out.substr(at, dom.out.find("</svg>", at) - at);
    std::size_t drawn = 0;
    for (auto rect = svg.find("<rect class=\"bar\""); rect != std::string::npos; rect = svg.find("<rect class=\"bar\"", rect + 1)) {
      const std::string tag = svg.substr(rect, svg.find('>', rect) - rect);
      if (tag.find("height=\"0\"") == std::string::npos && tag.find("width=\"0\"") == std::string::npos) ++drawn;
    }
    EXPECT_GT(drawn, 0u) << "an empty chart: " << svg.substr(0, 200);
  }
  EXPECT_EQ(charts, 3u);
  auto by_resolver = dom.out.find("Leaks by resolver");
  ASSERT_NE(by_resolver, std::string::npos);
  EXPECT_NE(dom.out.find("198.51.100.53:53", by_resolver), std::string::npos);
  // A screenshot, kept as the test's artifact.
  std::filesystem::create_directories("artifacts");
  const std::string shot = std::filesystem::absolute("artifacts/report.png").string();
  auto shot_args = chromium;
  shot_args.insert(shot_args.end(), {"--screenshot=" + shot, "file://" + page});
  run(shot_args, std::chrono::seconds(60));
  EXPECT_GT(readFile(shot).size(), 5000u) << "screenshot at " << shot;
}

TEST_F(ApiTest, MetricsForPrometheusByCommandAndTextfile) {
  const std::string prom = dir_ + "/textfile/dnsleak.prom";
  std::filesystem::create_directories(dir_ + "/textfile");
  startDaemon("metrics: {textfile: " + prom + ", interval_seconds: 1}\n", capture("basic_udp"));
  waitForReplay();
  auto metrics = ctl({"metrics"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_NE(metrics.out.find("# TYPE dnsleak_leaks_total counter\n"), std::string::npos) << metrics.out;
  EXPECT_NE(metrics.out.find("\ndnsleak_leaks_total{type=\"Leak-A\"} 3\n"), std::string::npos) << metrics.out;
  EXPECT_NE(metrics.out.find("\ndnsleak_exchanges_total{outcome=\"answered\"} 3\n"), std::string::npos);
  // The file for node_exporter, rewritten every second with the same counters.
  ASSERT_TRUE(waitUntil([&] { return readFile(prom).find("dnsleak_leaks_total{type=\"Leak-A\"} 3") != std::string::npos; },
                        std::chrono::seconds(5)))
      << readFile(prom);
  EXPECT_FALSE(std::filesystem::exists(prom + ".tmp"));
  EXPECT_EQ(ctl({"--json", "metrics"}).out.rfind("{\"text\":\"# HELP ", 0), 0u);
}

// node_exporter (Debian's prometheus-node-exporter) reads the file and
// serves it without a scrape error.
TEST_F(ApiTest, NodeExporterServesTheTextfile) {
  if (!haveProgram("prometheus-node-exporter")) {
    GTEST_SKIP() << "needs prometheus-node-exporter (scripts/install-deps.sh installs it)";
  }
  const std::string textfiles = dir_ + "/textfile";
  std::filesystem::create_directories(textfiles);
  startDaemon("metrics: {textfile: " + textfiles + "/dnsleak.prom, interval_seconds: 1}\n", capture("basic_udp"));
  waitForReplay();
  ASSERT_TRUE(waitUntil([&] { return readFile(textfiles + "/dnsleak.prom").find("Leak-A\"} 3") != std::string::npos; },
                        std::chrono::seconds(5)));
  const std::string address = "127.0.0.1:" + std::to_string(20000 + getpid() % 20000);
  Background exporter({"prometheus-node-exporter", "--collector.disable-defaults", "--collector.textfile",
                       "--collector.textfile.directory=" + textfiles, "--web.listen-address=" + address},
                      dir_, "node-exporter");
  const std::string fetch = "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://" + address +
                            "/metrics', timeout=2).read().decode())";
  std::string scraped;
  waitUntil([&] { return (scraped = run({"/usr/bin/python3", "-c", fetch}).out).find("dnsleak_") != std::string::npos; },
            std::chrono::seconds(10));
  EXPECT_NE(scraped.find("dnsleak_leaks_total{type=\"Leak-A\"} 3"), std::string::npos) << scraped.substr(0, 2000)
                                                                                      << exporter.err();
  EXPECT_NE(scraped.find("node_textfile_scrape_error 0"), std::string::npos) << scraped.substr(0, 2000);
}

// docs/examples/watch_leaks.py, the API's example client in Python, as a
// tool would run it: reflection, health, and Watch resumed across a restart.
TEST_F(ApiTest, ThePythonExampleClientListsChecksAndFollowsTheStream) {
  if (run({"/usr/bin/python3", "-c", "import grpc, grpc_tools"}).exit_code != 0) {
    GTEST_SKIP() << "needs python3-grpcio and python3-grpc-tools (scripts/install-deps.sh installs them)";
  }
  startDaemon("", capture("basic_udp"));
  waitForReplay();
  Background client({"/usr/bin/python3", std::string(DNSLEAK_SOURCE_DIR) + "/docs/examples/watch_leaks.py", "--socket",
                     socket_, "--from-seq", "1", "--count", "6"},
                    dir_, "python-client");
  ASSERT_TRUE(waitUntil([&] { return lines(client.out()).size() == 3; }, std::chrono::seconds(20)))
      << client.err();
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);
  startDaemon("", capture("tcp_framing"));
  ASSERT_EQ(client.wait(std::chrono::seconds(20)), 0) << client.err();
  std::vector<std::uint64_t> seqs;
  for (const auto& line : lines(client.out())) seqs.push_back(parseJson<v1::Event>(line).seq());
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3, 1, 2, 3}));
  EXPECT_NE(client.err().find("services: dnsleak.v1.DnsLeak grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection"),
            std::string::npos)
      << client.err();
  EXPECT_NE(client.err().find("health: SERVING"), std::string::npos) << client.err();
  EXPECT_NE(client.err().find("dnsleakd restarted"), std::string::npos) << client.err();
}

// GeoIP from real MaxMind DB files, written by MaxMind's own writer.
TEST_F(ApiTest, GeoIpOfTheResolverInWatchReportAndRead) {
  if (run({"perl", "-MMaxMind::DB::Writer::Tree", "-e", "1"}).exit_code != 0) {
    GTEST_SKIP() << "needs libmaxmind-db-writer-perl (scripts/install-deps.sh installs it)";
  }
  auto made = run({"perl", std::string(DNSLEAK_SOURCE_DIR) + "/tests/tools/make_geoip_db.pl", dir_});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  // One path absolute, the others relative to the config's directory.
  const std::string config = "geoip: {databases: [" + dir_ + "/city.mmdb, asn.mmdb, country-code.mmdb]}\n";
  startDaemon(config, capture("basic_udp"));
  waitForReplay();
  std::map<std::string, v1::Geo> geo;
  for (const auto& line : lines(ctl({"--json", "watch", "--from-seq", "1", "--count", "3"}).out)) {
    auto e = parseJson<v1::WatchResponse>(line).event();
    geo[e.dns().qname()] = e.geo();
  }
  EXPECT_EQ(geo["leak.example.com"].country(), "NL");
  EXPECT_EQ(geo["leak.example.com"].city(), "Amsterdam");
  EXPECT_EQ(geo["leak.example.com"].asn(), 64500u);
  EXPECT_EQ(geo["leak.example.com"].as_org(), "Example Transit");
  EXPECT_EQ(geo["v6.example.org"].country(), "DE");  // IPv6, from the ip-location-db style one alone
  EXPECT_EQ(geo["v6.example.org"].asn(), 0u);
  EXPECT_EQ(geo["tunnel.example.com"].country(), "");  // 10.8.0.1: in no database
  auto verbose = ctl({"watch", "-v", "--from-seq", "1", "--count", "1"});
  EXPECT_NE(verbose.out.find("198.51.100.53:53 NL"), std::string::npos) << verbose.out;
  EXPECT_NE(verbose.out.find("\n    geo: NL Amsterdam, AS64500 Example Transit"), std::string::npos) << verbose.out;
  auto by_country = parseJson<v1::GetReportResponse>(ctl({"--json", "report", "--group-by", "country"}).out);
  std::map<std::string, std::uint64_t> countries;
  for (const auto& row : by_country.rows()) countries[row.key()] = row.count();
  EXPECT_EQ(countries, (std::map<std::string, std::uint64_t>{{"NL", 1}, {"DE", 1}, {"(unknown)", 1}}));
  // --read, the offline pipeline, looks up the same.
  auto read = run({DNSLEAKD_PATH, "--read", capture("basic_udp"), "--config", config_, "--json"});
  EXPECT_NE(read.out.find("\"geo\":{\"country\":\"NL\",\"asn\":64500,\"asOrg\":\"Example Transit\",\"city\":\"Amsterdam\"}"),
            std::string::npos)
      << read.out.substr(0, 3000);
}

std::size_t privateReportDirs() {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp")) {
    if (entry.path().filename().string().rfind("dnsleakctl-report-", 0) == 0) ++n;
  }
  return n;
}

// report --file: the same report over a capture file, through a private
// dnsleakd that reads it (found beside dnsleakctl), with a bar on a terminal.
TEST(ApiClient, ReportOverACaptureFileWithAProgressBarOnATerminal) {
  const std::string dir = makeTempDir();
  const std::string capture = dir + "/basic_udp.pcap";
  ASSERT_EQ(run({TESTGEN_PATH, "basic_udp", capture}).exit_code, 0);
  const auto dirs_before = privateReportDirs();
  auto text = run({DNSLEAKCTL_PATH, "report", "--file", capture});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.substr(0, text.out.find('\n')),
            "Report of everything stored, by rule: 3 occurrences in 3 stored events (Leak-A 3)");
  EXPECT_EQ(text.err.find("[#"), std::string::npos) << "no bar when not on a terminal: " << text.err;
  auto csv = run({DNSLEAKCTL_PATH, "report", "--file", capture, "--format", "csv", "--group-by", "resolver"});
  EXPECT_EQ(lines(csv.out).size(), 4u) << csv.out << csv.err;
  // A config judges the file: with every resolver safe, nothing leaks.
  writeFile(dir + "/safe.yaml", "safe_path: {resolvers: [\"0.0.0.0/0\", \"::/0\"]}\n");
  auto safe = run({DNSLEAKCTL_PATH, "report", "--file", capture, "--config", dir + "/safe.yaml"});
  EXPECT_NE(safe.out.find("no leaks recorded"), std::string::npos) << safe.out << safe.err;
  auto tty = run({"script", "-qec", std::string(DNSLEAKCTL_PATH) + " report --file " + capture, "/dev/null"});
  EXPECT_NE(tty.out.find("] 100%  7 packets"), std::string::npos) << tty.out;
  writeFile(dir + "/junk.pcap", "not a capture");
  auto junk = run({DNSLEAKCTL_PATH, "report", "--file", dir + "/junk.pcap"});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_NE(junk.err.find("unknown file format"), std::string::npos) << junk.err;
  EXPECT_EQ(run({DNSLEAKCTL_PATH, "report", "--file", dir + "/missing.pcap"}).exit_code, 2);
  EXPECT_EQ(privateReportDirs(), dirs_before) << "the private daemon's directory is left behind";
  removeTree(dir);
}

// Issue 13: a report by name of a store of 20000 distinct names (about 14
// MB, each row with its reason and fix) was refused over gRPC's 4 MiB.
TEST_F(ApiTest, AReportLargerThanGrpcsDefaultMessageSizeIsSent) {
  const std::string path = dir_ + "/many.pcap";
  ASSERT_EQ(run({TESTGEN_PATH, "many_names", path, "20000"}).exit_code, 0);
  startDaemon("store: {capacity: 30000}\n", path);
  ASSERT_TRUE(waitUntil([&] { return status().capture(0).state() == "finished"; }, std::chrono::seconds(60)));
  auto r = ctl({"--json", "report", "--group-by", "qname"}, std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(r.out.size(), 4u * 1024 * 1024);
  auto report = parseJson<v1::GetReportResponse>(r.out);
  EXPECT_EQ(report.rows_size(), 20000);
  EXPECT_EQ(report.events(), 20000u);
}

TEST(ApiClient, AnUnknownCommandIsNamed) {
  auto r = run({DNSLEAKCTL_PATH, "bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'bogus'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("check"), std::string::npos) << r.err;
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
