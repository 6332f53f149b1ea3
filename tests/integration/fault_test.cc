// The fault suite: the daemon and its real clients under the faults a bad
// day or a hostile local user brings (issue 14). Each test attacks one
// promise. Others live beside the code they attack: a stopped watcher at
// shutdown and the socket's trust and life in service_test.cc, a second
// daemon in api_test.cc, cut and lying packets in capture_test.cc, an
// interface removed under capture and reloads under live traffic in
// e2e/live_test.cc.

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "dnsleak/v1/dnsleak.pb.h"
#include "process.h"

namespace dnsleak::testing {
namespace {

// Built with a sanitizer (ASan+UBSan in CI, TSan by scripts/tsan.sh),
// which slows daemon and client several times over.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define DNSLEAK_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define DNSLEAK_UNDER_SANITIZER 1
#endif
#endif
#ifdef DNSLEAK_UNDER_SANITIZER
constexpr bool kUnderSanitizer = true;
#else
constexpr bool kUnderSanitizer = false;
#endif

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    socket_ = dir_ + "/dnsleakd.sock";
    config_ = dir_ + "/c.yaml";
  }
  void TearDown() override {
    daemon_.reset();
    removeTree(dir_);
  }

  std::string capture(const std::string& scenario, const std::string& count) {
    std::string path = dir_ + "/" + scenario + ".pcap";
    EXPECT_EQ(run({TESTGEN_PATH, scenario, path, count}).exit_code, 0);
    return path;
  }

  // The daemon replaying `replay` at `speed` times its pace.
  void startDaemon(const std::string& config_text, const std::string& replay, const std::string& speed) {
    writeFile(config_, config_text);
    daemon_ = std::make_unique<Background>(
        std::vector<std::string>{DNSLEAKD_PATH, "--config", config_, "--socket", socket_, "--user", "", "--replay",
                                 replay, "--replay-speed", speed},
        dir_, "dnsleakd");
    // Until it answers, not only until its socket exists: the socket is
    // bound early in start-up and the API served last, and a status asked
    // in between (start-up slowed by ASan and a parallel test) can time out.
    ASSERT_TRUE(waitUntil([&] { return ctl({"status"}).exit_code == 0 || !daemon_->running(); },
                          std::chrono::seconds(20)))
        << daemon_->err();
  }

  // dnsleakctl on this test's socket, with `args`.
  std::vector<std::string> ctlArgv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {DNSLEAKCTL_PATH, "--socket", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  RunResult ctl(const std::vector<std::string>& args) { return run(ctlArgv(args)); }

  v1::GetStatusResponse status() {
    v1::GetStatusResponse s;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(ctl({"--json", "status"}).out, &s).ok());
    return s;
  }

  bool replayFinished() {
    auto s = status();
    return s.capture_size() > 0 && s.capture(0).state() == "finished";
  }

  std::string dir_, socket_, config_;
  std::unique_ptr<Background> daemon_;
};

// 30000 leaks at 10000 a second into a ring of 5000 (half a second): a
// `dnsleakctl --json watch` that reads must get every one, without a gap.
// It once drained 9k events a second and missed most of such a flood.
TEST_F(FaultTest, ReadingWatcherLosesNothingAtTenThousandLeaksASecond) {
  if (kUnderSanitizer) {
    GTEST_SKIP() << "a promise about speed, kept in the plain build: a sanitizer slows daemon and client several times";
  }
  constexpr int kLeaks = 30000;
  std::string replay = capture("many_names", std::to_string(kLeaks));
  startDaemon("store: {capacity: 5000}\n", replay, "110");
  Background watcher(ctlArgv({"--json", "watch", "--from-seq", "1", "--count", std::to_string(kLeaks)}), dir_,
                     "watch");
  ASSERT_TRUE(waitUntil([&] { return replayFinished(); }, std::chrono::seconds(60))) << daemon_->err();
  ASSERT_EQ(watcher.wait(std::chrono::seconds(20)), 0) << watcher.err();
  auto got = lines(watcher.out());
  std::size_t events = 0, gaps = 0;
  for (const auto& line : got) {
    v1::WatchResponse w;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &w).ok()) << line;
    if (w.has_event()) ++events;
    if (w.has_gap()) ++gaps;
  }
  EXPECT_EQ(gaps, 0u) << "the watcher fell behind the ring";
  EXPECT_EQ(events, static_cast<std::size_t>(kLeaks));
  EXPECT_EQ(status().store().last_seq(), static_cast<std::uint64_t>(kLeaks));
}

// SIGTERM in the middle of a flood with one watcher stopped (SIGSTOP) and
// one reading: the daemon is gone within 2 s and leaves no socket; the
// reading watcher is told why its stream ended.
TEST_F(FaultTest, SigtermUnderLoadWithStoppedAndReadingWatchersEndsWithinTwoSeconds) {
  std::string replay = capture("many_names", "200000");
  startDaemon("store: {capacity: 20000}\n", replay, "50");  // ~4500 leaks a second for 40 s
  Background stopped(ctlArgv({"watch", "--from-seq", "1"}), dir_, "stopped");
  Background reading(ctlArgv({"watch", "--from-seq", "1"}), dir_, "reading");
  ASSERT_TRUE(waitUntil([&] { return status().watchers() == 2; }, std::chrono::seconds(10)));
  stopped.signal(SIGSTOP);
  ASSERT_TRUE(waitUntil([&] { return status().store().last_seq() > 10000; }, std::chrono::seconds(20)));

  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_->stop(SIGTERM, std::chrono::seconds(10)), 0) << daemon_->err();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(2))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_FALSE(std::filesystem::exists(socket_));
  EXPECT_EQ(reading.wait(std::chrono::seconds(5)), 3) << reading.err();  // kExitNotRunning
  EXPECT_NE(reading.err().find("shutting down"), std::string::npos) << reading.err();
  stopped.signal(SIGCONT);
}

// A client killed in the middle of a long stream (SIGKILL: no goodbye)
// leaves a daemon that serves the next client and counts no ghost watcher.
TEST_F(FaultTest, ClientKilledMidStreamLeavesTheDaemonServing) {
  std::string replay = capture("many_names", "50000");
  startDaemon("store: {capacity: 50000}\n", replay, "0");
  ASSERT_TRUE(waitUntil([&] { return replayFinished(); }, std::chrono::seconds(60))) << daemon_->err();
  for (int i = 0; i < 3; ++i) {
    Background victim(ctlArgv({"--json", "watch", "--from-seq", "1"}), dir_, "victim");
    ASSERT_TRUE(waitUntil([&] { return status().watchers() == 1; }, std::chrono::seconds(5)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    victim.signal(SIGKILL);
    victim.wait(std::chrono::seconds(5));
    EXPECT_TRUE(waitUntil([&] { return status().watchers() == 0; }, std::chrono::seconds(5)))
        << "a killed client is still counted";
  }
  auto r = ctl({"--json", "watch", "--from-seq", "1", "--count", "10"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), 10u);
  EXPECT_TRUE(daemon_->running());
}

// A capture file cut in the middle of a record (a copy interrupted, a disk
// full): read to the cut, said plainly, and the daemon replaying it keeps
// serving what it read.
TEST_F(FaultTest, CaptureFileCutMidRecordIsReadToTheCut) {
  std::string whole = capture("many_names", "1000");
  std::string bytes = readFile(whole);
  // Each record: a 16-byte header and the frame; cut 10 bytes into the last.
  const std::string cut = dir_ + "/cut.pcap";
  writeFile(cut, bytes.substr(0, bytes.size() - 40));
  auto r = run({DNSLEAKD_PATH, "--read", cut, "--summary-only"});
  EXPECT_NE(r.exit_code, -1) << "killed by a signal";
  EXPECT_NE((r.out + r.err).find("999 packets"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("truncated"), std::string::npos) << r.out << r.err;

  startDaemon("", cut, "0");
  ASSERT_TRUE(waitUntil([&] { return status().capture_size() > 0 && status().capture(0).state() != "running"; },
                        std::chrono::seconds(20)));
  auto s = status();
  EXPECT_EQ(s.packets(), 999u);
  EXPECT_TRUE(daemon_->running()) << daemon_->err();
}

// 100 reloads alternating a valid and an invalid config while a capture
// replays: every invalid one is refused naming file, line and key and
// leaves the running config; every valid one is applied; no event is lost.
TEST_F(FaultTest, HundredReloadsAlternatingValidAndInvalidUnderTrafficLoseNothing) {
  constexpr int kLeaks = 6000;
  std::string replay = capture("many_names", std::to_string(kLeaks));
  // A short resolver list: a reload reads it whole, and the shipped one
  // makes each reload take most of a second under a sanitizer.
  writeFile(dir_ + "/list.txt", "host dns.example\naddress 192.0.2.53\n");
  const std::string common = "store: {capacity: 50000}\nresolvers: {list: " + dir_ + "/list.txt}\n";
  const std::string valid_a = common + "logging: {level: info}\n";
  const std::string valid_b = common + "logging: {level: warn}\n";
  // ~450 leaks a second for 13 s; under a sanitizer, where each dnsleakctl
  // takes a third of a second to start (100 of them: about 33 s), ~135 a
  // second for 44 s (at 33 s, 48 of 100 reloads met the traffic once).
  startDaemon(valid_a, replay, kUnderSanitizer ? "1.5" : "5");
  std::uint64_t applied = 0;
  int under_traffic = 0;
  for (int i = 0; i < 100; ++i) {
    const bool valid = i % 2 == 0;
    writeFile(config_, valid ? (i % 4 == 0 ? valid_b : valid_a) : common + "profile: nonsense\n");
    auto r = ctl({"reload"});
    if (valid) {
      EXPECT_EQ(r.exit_code, 0) << i << ": " << r.err;
      ++applied;
    } else {
      EXPECT_NE(r.exit_code, 0) << i;
      EXPECT_NE((r.out + r.err).find(config_ + ":3"), std::string::npos) << i << ": " << r.out << r.err;
      EXPECT_NE((r.out + r.err).find("profile"), std::string::npos) << i << ": " << r.out << r.err;
    }
    if (!replayFinished()) ++under_traffic;
  }
  auto s = status();
  // Slow machines do fewer while the capture lasts; most must still meet it.
  EXPECT_GE(under_traffic, 50) << "the reloads did not happen under traffic; slow the replay";
  EXPECT_EQ(s.config().generation(), 1 + applied);
  EXPECT_EQ(s.profile(), "full-tunnel");
  ASSERT_TRUE(waitUntil([&] { return replayFinished(); }, std::chrono::seconds(60)));
  EXPECT_EQ(status().store().last_seq(), static_cast<std::uint64_t>(kLeaks)) << "events lost across reloads";
}

std::uint64_t named(const google::protobuf::RepeatedPtrField<v1::NamedCount>& counts, const std::string& name) {
  for (const auto& c : counts) {
    if (c.name() == name) return c.count();
  }
  ADD_FAILURE() << "no counter " << name;
  return 0;
}

// Conservation: what goes into each stage comes out of it or is counted
// where it was dropped, and status shows every one of those counters. A
// capture replayed into a ring too small for it, then read from sequence 1
// by a watcher that comes late.
TEST_F(FaultTest, EveryPacketAndEventIsAccountedForAtEachStage) {
  for (const std::string scenario : {"bench_mix", "malformed", "fragments", "tcp_framing"}) {
    SCOPED_TRACE(scenario);
    std::string replay = capture(scenario, scenario == "bench_mix" ? "60000" : "");
    startDaemon("store: {capacity: 1000}\n", replay, "0");
    ASSERT_TRUE(waitUntil([&] { return replayFinished(); }, std::chrono::seconds(60))) << daemon_->err();
    // Queries still waiting for a response are let go when the capture ends.
    ASSERT_TRUE(waitUntil([&] { return named(status().exchanges(), "waiting") == 0; }, std::chrono::seconds(10)));
    auto s = status();

    // Capture -> pipeline: a file has no kernel or interface drops.
    std::uint64_t captured = 0;
    for (const auto& c : s.capture()) {
      captured += c.packets_received();
      EXPECT_EQ(c.kernel_drops(), 0u);
      EXPECT_EQ(c.interface_drops(), 0u);
    }
    EXPECT_EQ(captured, s.packets());
    std::uint64_t by_interface = 0;
    for (const auto& i : s.interfaces()) by_interface += i.packets();
    EXPECT_EQ(by_interface, s.packets());

    // Decode: every packet decoded or skipped for one reason.
    std::uint64_t skipped = 0;
    for (const char* reason : {"not_ip", "not_udp_tcp", "ip_fragment", "unsupported_link_type", "truncated_link_header",
                               "too_many_link_tags", "truncated_ip_header", "bad_ip_version", "bad_ip_header_length",
                               "bad_ip_total_length", "truncated_ipv6_extension_header", "truncated_udp_header",
                               "bad_udp_length", "truncated_tcp_header", "bad_tcp_header_length",
                               "truncated_tunnel_header", "too_many_tunnels"}) {
      skipped += named(s.malformed(), reason);
    }
    // (A fragment is skipped as ip_fragment; the datagram reassembled from
    // fragments is decoded apart. Should that fail, its reason is counted
    // too, one more than the packets: none of these captures has one.)
    EXPECT_EQ(s.packets(), s.decoded() + skipped);

    // Exchanges: every DNS message is in one, or its own event.
    const auto& x = s.exchanges();
    EXPECT_EQ(s.dns_messages(), 2 * named(x, "answered") + named(x, "unanswered") +
                                    named(x, "response_without_query") + named(x, "query_repeated") +
                                    named(x, "exchange_evicted") + named(x, "unpaired") + named(x, "waiting"));

    // Judged leaks -> store: each stored, or folded into an earlier one.
    std::uint64_t leaks = 0;
    for (const auto& l : s.leaks()) leaks += l.count();
    EXPECT_EQ(leaks, s.store().last_seq() + s.store().folded());
    EXPECT_EQ(s.store().last_seq(), s.store().evicted() + s.store().size());

    // Store -> watcher: a late reader from sequence 1 gets what is stored
    // and a gap for the rest, and status counts what it missed.
    auto r = ctl({"--json", "watch", "--from-seq", "1", "--count", std::to_string(s.store().size())});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::uint64_t events = 0, missed = 0;
    for (const auto& line : lines(r.out)) {
      v1::WatchResponse w;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &w).ok()) << line;
      if (w.has_event()) ++events;
      if (w.has_gap()) missed += w.gap().missed();
    }
    EXPECT_EQ(events, s.store().size());
    EXPECT_EQ(missed, s.store().evicted());
    EXPECT_EQ(status().watch_missed(), missed);
    auto text = ctl({"status"});
    EXPECT_NE(text.out.find("decoded)"), std::string::npos) << text.out;
    if (missed) {
      EXPECT_NE(text.out.find(std::to_string(missed) + " events evicted before a watcher read them"),
                std::string::npos)
          << text.out;
    }
    EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->err();
  }
}

}  // namespace
}  // namespace dnsleak::testing
