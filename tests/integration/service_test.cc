// The daemon as a service manager and other programs meet it: systemd's
// notify protocol, the standard gRPC health service, a client that never
// reads, and the peer check on the socket.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "dnsleak/v1/dnsleak.grpc.pb.h"
#include "process.h"

namespace dnsleak::testing {
namespace {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    socket_ = dir_ + "/dnsleakd.sock";
  }
  void TearDown() override {
    daemon_.reset();
    removeTree(dir_);
  }

  std::string capture(const std::string& scenario, const std::string& count = "") {
    std::string path = dir_ + "/" + scenario + ".pcap";
    std::vector<std::string> argv = {TESTGEN_PATH, scenario, path};
    if (!count.empty()) argv.push_back(count);
    EXPECT_EQ(run(argv).exit_code, 0);
    return path;
  }

  void startDaemon(const std::string& config_text, const std::string& replay,
                   std::vector<std::string> env = {}) {
    writeFile(dir_ + "/c.yaml", config_text);
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    for (const auto& a : {std::string(DNSLEAKD_PATH), std::string("--config"), dir_ + "/c.yaml",
                          std::string("--socket"), socket_, std::string("--replay"), replay}) {
      argv.push_back(a);
    }
    daemon_ = std::make_unique<Background>(argv, dir_, "dnsleakd");
    ASSERT_TRUE(waitUntil([&] { return ctl({"status"}).exit_code == 0 || !daemon_->running(); },
                          std::chrono::seconds(10)))
        << daemon_->err();
  }

  RunResult ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {DNSLEAKCTL_PATH, "--socket", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }

  v1::GetStatusResponse status() {
    v1::GetStatusResponse s;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(ctl({"--json", "status"}).out, &s).ok());
    return s;
  }

  std::string dir_, socket_;
  std::unique_ptr<Background> daemon_;
};

TEST_F(ServiceTest, NotifiesSystemdReadyThenStoppingAndExitsCleanlyOnSigint) {
  std::string notify_path = dir_ + "/notify.sock";
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", notify_path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  startDaemon("", capture("basic_udp"), {"NOTIFY_SOCKET=" + notify_path});
  std::string received;
  auto readNotifications = [&] {
    pollfd p{fd, POLLIN, 0};
    char buf[512];
    while (poll(&p, 1, 100) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0) received.append(buf, static_cast<std::size_t>(n)).push_back('\n');
    }
  };
  readNotifications();
  EXPECT_NE(received.find("READY=1"), std::string::npos) << received;
  EXPECT_EQ(daemon_->stop(SIGINT), 0) << daemon_->err();
  readNotifications();
  EXPECT_NE(received.find("STOPPING=1"), std::string::npos) << received;
  EXPECT_FALSE(std::filesystem::exists(socket_));
  close(fd);
}

TEST_F(ServiceTest, StandardHealthServiceAnswersServing) {
  startDaemon("", capture("basic_udp"));
  auto channel = grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  // grpc.health.v1.HealthCheckRequest{service: ""} is the empty message.
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status result;
  bool done = false;
  std::mutex mutex;
  std::condition_variable cv;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mutex);
                   result = s;
                   done = true;
                   cv.notify_all();
                 });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
  ASSERT_TRUE(result.ok()) << result.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status: SERVING (1)}: field 1, varint 1.
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST_F(ServiceTest, ClientThatNeverReadsDoesNotStallCaptureOrOtherClients) {
  // Enough events to fill the stalled stream's flow-control window many
  // times over, and a ring too small to hold them: the stalled client
  // falls behind; capture and the other clients must not.
  std::string replay = capture("bench_mix", "60000");
  writeFile(dir_ + "/c.yaml", "store: {capacity: 1000, record_ok: true}\n");
  daemon_ = std::make_unique<Background>(
      std::vector<std::string>{DNSLEAKD_PATH, "--config", dir_ + "/c.yaml", "--socket", socket_, "--replay", replay,
                               "--replay-speed", "200"},  // 600 s of capture in 3 s
      dir_, "dnsleakd");
  ASSERT_TRUE(waitUntil([&] { return ctl({"status"}).exit_code == 0; }, std::chrono::seconds(10))) << daemon_->err();

  auto channel = grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  auto stub = v1::DnsLeak::NewStub(channel);
  grpc::ClientContext stalled_context;
  v1::WatchRequest all;
  all.set_from_seq(1);
  auto stalled = stub->Watch(&stalled_context, all);  // never Read()
  ASSERT_TRUE(waitUntil([&] { return status().watchers() == 1; }, std::chrono::seconds(5)));

  ASSERT_TRUE(waitUntil([&] { return status().capture(0).state() == "finished"; }, std::chrono::seconds(60)))
      << "capture stalled behind a client that does not read";
  auto s = status();
  EXPECT_EQ(s.packets(), 60000u);
  EXPECT_GT(s.store().evicted(), 0u);
  // Another client still gets what is stored now, starting with a gap.
  auto r = ctl({"--json", "watch", "--from-seq", "1", "--count", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(lines(r.out).front().find("\"gap\""), std::string::npos);
  stalled_context.TryCancel();
  // Within the default 10 s: gRPC's library teardown, which once waited
  // about that long on a timer here, no longer runs at stop.
  EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->err();
}

TEST_F(ServiceTest, CallerOutsideTheGroupIsRefusedByThePeerCheck) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run the client as another user";
  if (!haveProgram("setpriv")) GTEST_SKIP() << "needs setpriv (util-linux)";
  startDaemon("", capture("basic_udp"));
  // Open the socket file itself to everyone: only the peer check is left.
  ASSERT_EQ(chmod(socket_.c_str(), 0666), 0);
  auto r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DNSLEAKCTL_PATH, "--socket", socket_,
                "--timeout", "3", "status"});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("accepts only root, its own user and members of its group"), std::string::npos) << r.err;
  EXPECT_TRUE(waitUntil([&] { return daemon_->err().find("refused API connection from uid 65534") != std::string::npos; },
                        std::chrono::seconds(5)))
      << daemon_->err();
}

}  // namespace
}  // namespace dnsleak::testing
