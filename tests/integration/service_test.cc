// The daemon as a service manager and other programs meet it: systemd's
// notify protocol, the standard gRPC health service, a client that never
// reads, and the peer check on the socket.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "dnsleak/v1/dnsleak.grpc.pb.h"
#include "process.h"

namespace dnsleak::testing {
namespace {

// A Unix socket of `type` bound at `path`, or -1.
int boundSocket(int type, const std::string& path) {
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

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
                          std::string("--socket"), socket_, std::string("--user"), std::string(), std::string("--replay"), replay}) {
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
  int fd = boundSocket(SOCK_DGRAM, notify_path);
  ASSERT_GE(fd, 0);

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
  // STATUS= says what is captured and how many leaks there were, and is
  // kept current (every 5 s): the replay's leaks are in it.
  EXPECT_NE(received.find("STATUS=capturing on replay of "), std::string::npos) << received;
  static const std::regex kLeakStatus("STATUS=capturing on [^\\n]*; [1-9][0-9]* leaks?, last [0-9]+ s ago");
  EXPECT_TRUE(waitUntil(
      [&] {
        readNotifications();
        return std::regex_search(received, kLeakStatus);
      },
      std::chrono::seconds(8)))
      << received;
  EXPECT_EQ(daemon_->stop(SIGINT), 0) << daemon_->err();
  readNotifications();
  EXPECT_NE(received.find("STOPPING=1"), std::string::npos) << received;
  EXPECT_FALSE(std::filesystem::exists(socket_));
  close(fd);
}

// grpc.health.v1.Health/Check for `service`; the response's bytes.
std::string healthCheck(const std::string& socket, const std::string& service, grpc::Status& result) {
  auto channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  // HealthCheckRequest{service}: field 1, length-delimited.
  std::string request_bytes;
  if (!service.empty()) request_bytes = std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
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
  if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; })) {
    result = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no answer");
    return {};
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (result.ok() && response.Dump(&slices).ok()) {
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

TEST_F(ServiceTest, StandardHealthServiceAnswersServingForTheServerAndTheServiceByName) {
  startDaemon("", capture("basic_udp"));
  for (const std::string name : {"", "dnsleak.v1.DnsLeak"}) {
    grpc::Status result;
    auto bytes = healthCheck(socket_, name, result);
    ASSERT_TRUE(result.ok()) << "'" << name << "': " << result.error_message();
    // HealthCheckResponse{status: SERVING (1)}: field 1, varint 1.
    EXPECT_EQ(bytes, std::string("\x08\x01", 2)) << "'" << name << "'";
  }
  grpc::Status unknown;
  healthCheck(socket_, "no.such.Service", unknown);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
}

// A member of the socket's group stops a watch mid-stream (SIGSTOP) with
// megabytes of events owed to it: the daemon's shutdown must still end
// within 2 s, take its socket with it, and let a new daemon start.
TEST_F(ServiceTest, StoppedWatcherCannotHoldUpShutdown) {
  std::string replay = capture("bench_mix", "60000");
  writeFile(dir_ + "/c.yaml", "store: {capacity: 100000, record_ok: true}\n");
  auto startReplay = [&] {
    return std::make_unique<Background>(
        std::vector<std::string>{DNSLEAKD_PATH, "--config", dir_ + "/c.yaml", "--socket", socket_, "--user", "",
                                 "--replay", replay, "--replay-speed", "0"},
        dir_, "dnsleakd");
  };
  daemon_ = startReplay();
  ASSERT_TRUE(waitUntil([&] { return ctl({"status"}).exit_code == 0 && status().capture(0).state() == "finished"; },
                        std::chrono::seconds(60)))
      << daemon_->err();
  ASSERT_GT(status().store().size(), 10000u);
  Background watcher({DNSLEAKCTL_PATH, "--socket", socket_, "watch", "--from-seq", "1"}, dir_, "watch");
  ASSERT_TRUE(waitUntil([&] { return status().watchers() == 1; }, std::chrono::seconds(5)));
  watcher.signal(SIGSTOP);
  // Long enough for the stream's windows and the socket's buffers to fill.
  std::this_thread::sleep_for(std::chrono::seconds(1));

  auto start = std::chrono::steady_clock::now();
  int code = daemon_->stop(SIGTERM, std::chrono::seconds(10));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(code, 0) << daemon_->err();
  EXPECT_LT(took, std::chrono::seconds(2)) << "shutdown took "
                                           << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                           << " ms behind a stopped watcher";
  EXPECT_FALSE(std::filesystem::exists(socket_));
  watcher.signal(SIGCONT);
  daemon_ = startReplay();
  EXPECT_TRUE(waitUntil([&] { return ctl({"status"}).exit_code == 0; }, std::chrono::seconds(10))) << daemon_->err();
}

// Whoever can write the socket's directory can replace the socket with one
// of their own: a directory writable by others, owned by another user, or
// reached through a symlink is refused at startup, and nothing is made in it.
TEST_F(ServiceTest, SocketDirectoryThatOthersControlIsRefused) {
  std::string replay = capture("basic_udp");
  writeFile(dir_ + "/c.yaml", "");
  auto start = [&](const std::string& socket) {
    return run({DNSLEAKD_PATH, "--config", dir_ + "/c.yaml", "--socket", socket, "--user", "", "--replay", replay},
               std::chrono::seconds(10));
  };
  const std::string open_dir = dir_ + "/open";
  ASSERT_EQ(mkdir(open_dir.c_str(), 0700), 0);
  ASSERT_EQ(chmod(open_dir.c_str(), 01777), 0);  // even sticky, as /tmp
  auto r = start(open_dir + "/d.sock");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(open_dir + " is writable by others (mode 1777)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(open_dir + "/d.sock"));

  const std::string real = dir_ + "/real";
  ASSERT_EQ(mkdir(real.c_str(), 0750), 0);
  ASSERT_EQ(symlink(real.c_str(), (dir_ + "/link").c_str()), 0);
  r = start(dir_ + "/link/d.sock");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is a symlink or not a directory"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(real + "/d.sock"));

  if (geteuid() != 0) {
    GTEST_SKIP() << "a directory owned by another user needs root to make (the other cases passed)";
  }
  const std::string theirs = dir_ + "/theirs";
  ASSERT_EQ(mkdir(theirs.c_str(), 0755), 0);
  ASSERT_EQ(chown(theirs.c_str(), 65534, 65534), 0);
  r = start(theirs + "/d.sock");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(theirs + " belongs to uid 65534, not root or the daemon's user"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(theirs + "/d.sock"));
}

// A socket deleted or moved away under a running daemon (a cleanup script,
// a mistaken rm) is noticed and made again: the daemon stays reachable.
TEST_F(ServiceTest, SocketRemovedUnderTheDaemonIsMadeAgain) {
  startDaemon("", capture("basic_udp"));
  ASSERT_EQ(unlink(socket_.c_str()), 0);
  EXPECT_TRUE(waitUntil([&] { return ctl({"status"}).exit_code == 0; }, std::chrono::seconds(5)))
      << "the deleted socket was not made again\n" << daemon_->err();
  EXPECT_NE(daemon_->err().find("API socket " + socket_ + " was removed or replaced"), std::string::npos)
      << daemon_->err();
  ASSERT_EQ(rename(socket_.c_str(), (dir_ + "/moved.sock").c_str()), 0);
  EXPECT_TRUE(waitUntil([&] { return ctl({"status"}).exit_code == 0; }, std::chrono::seconds(5)))
      << "the moved socket was not made again\n" << daemon_->err();
  EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->err();
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

// A successor's socket at the path (a restart racing the old daemon's exit)
// is neither taken over nor removed by the daemon that is leaving.
TEST_F(ServiceTest, ExitRemovesOnlyTheSocketTheDaemonMade) {
  startDaemon("", capture("basic_udp"));
  const std::string staged = dir_ + "/successor.sock";
  int successor = boundSocket(SOCK_STREAM, staged);
  ASSERT_GE(successor, 0);
  ASSERT_EQ(listen(successor, 4), 0);
  struct stat mine {};
  ASSERT_EQ(stat(staged.c_str(), &mine), 0);
  ASSERT_EQ(rename(staged.c_str(), socket_.c_str()), 0);  // in one step, as a successor's bind would be
  EXPECT_TRUE(waitUntil([&] { return daemon_->err().find("another dnsleakd is already serving") != std::string::npos; },
                        std::chrono::seconds(5)))
      << daemon_->err();
  EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->err();
  struct stat after {};
  ASSERT_EQ(stat(socket_.c_str(), &after), 0) << "the successor's socket was removed";
  EXPECT_EQ(after.st_ino, mine.st_ino);
  close(successor);
}

// A local user who gets a socket onto the path (a directory they could
// write, a daemon not running) must not be talked to as dnsleakd:
// dnsleakctl asks the kernel who listens, and refuses anyone but root,
// the daemon's user, itself and the owner of a directory root gave it.
// Here `nobody` makes its own directory in a world-writable one, as in /tmp.
TEST_F(ServiceTest, ClientRefusesASocketServedByAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to listen as another user";
  const std::string open_dir = dir_ + "/open";
  ASSERT_EQ(mkdir(open_dir.c_str(), 0700), 0);
  ASSERT_EQ(chmod(open_dir.c_str(), 01777), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  const std::string theirs = open_dir + "/theirs";
  const std::string fake = theirs + "/dnsleakd.sock";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only system calls here: the test process may have threads.
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    if (mkdir(theirs.c_str(), 0755) != 0) _exit(4);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, fake.c_str(), fake.size() + 1);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0) _exit(3);
    chmod(fake.c_str(), 0666);
    [[maybe_unused]] auto n = write(ready[1], "x", 1);
    for (;;) pause();
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1) << "the impostor could not listen";
  close(ready[0]);
  auto r = run({DNSLEAKCTL_PATH, "--socket", fake, "--timeout", "3", "status"});
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("refusing " + fake + ": the process serving it runs as uid 65534"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("posing as dnsleakd"), std::string::npos) << r.err;
}

// A daemon run as another user in a directory root gave that user (as
// systemd's RuntimeDirectory= does for a unit's User=) is trusted.
TEST_F(ServiceTest, ClientTrustsTheOwnerOfADirectoryRootGaveIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run the daemon as another user";
  if (!haveProgram("setpriv")) GTEST_SKIP() << "needs setpriv (util-linux)";
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  const std::string given = dir_ + "/given";
  ASSERT_EQ(mkdir(given.c_str(), 0750), 0);
  ASSERT_EQ(chown(given.c_str(), 65534, 65534), 0);
  writeFile(dir_ + "/c.yaml", "");
  std::string replay = capture("basic_udp");
  ASSERT_EQ(chmod(replay.c_str(), 0644), 0);
  ASSERT_EQ(chmod((dir_ + "/c.yaml").c_str(), 0644), 0);
  daemon_ = std::make_unique<Background>(
      std::vector<std::string>{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DNSLEAKD_PATH,
                               "--config", dir_ + "/c.yaml", "--socket", given + "/dnsleakd.sock", "--user", "",
                               "--replay", replay},
      dir_, "dnsleakd");
  EXPECT_TRUE(waitUntil(
      [&] { return run({DNSLEAKCTL_PATH, "--socket", given + "/dnsleakd.sock", "status"}).exit_code == 0; },
      std::chrono::seconds(10)))
      << daemon_->err() << run({DNSLEAKCTL_PATH, "--socket", given + "/dnsleakd.sock", "status"}).err;
}

// Tools that start together (at boot, or a dashboard opening a stream per
// panel) connect at once, each without blocking, as gRPC does: a connect
// that finds the listen queue full fails at once (EAGAIN) and gRPC gives the
// call up as unavailable. The bench's 100 watchers met that with a queue of
// 64; the queue is the system's largest now.
TEST_F(ServiceTest, ManyClientsConnectingAtOnceAreAllQueued) {
  startDaemon("", capture("basic_udp"));
  constexpr int kClients = 200;
  std::vector<int> fds;
  int refused = 0;
  for (int i = 0; i < kClients; ++i) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ++refused;
  }
  for (int fd : fds) close(fd);
  EXPECT_EQ(refused, 0) << "of " << kClients << " connections made at once";
  EXPECT_EQ(ctl({"status"}).exit_code, 0);
}

// A member of the socket's group who opens connection after connection
// gets 32; the rest are closed at once, and root still gets in.
TEST_F(ServiceTest, OneUserCannotHoldMoreThan32Connections) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to connect as another user";
  const struct group* users = getgrnam("users");
  if (users == nullptr) GTEST_SKIP() << "needs the group 'users' (Debian's base-passwd has it)";
  const gid_t gid = users->gr_gid;
  startDaemon("api: {group: users}\n", capture("basic_udp"));
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  int result[2];
  ASSERT_EQ(pipe(result), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only system calls here: the test process may have threads.
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(4242) != 0) _exit(2);
    int fds[40];
    for (int& fd : fds) {
      fd = socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::memcpy(addr.sun_path, socket_.c_str(), socket_.size() + 1);
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(3);
      // One at a time: each accepted (or refused) before the next.
      usleep(20000);
    }
    char closed = 0;
    for (int fd : fds) {
      pollfd p{fd, POLLIN, 0};
      char byte;
      // gRPC speaks first on a connection it took (its SETTINGS); a refused
      // one reads end-of-file.
      if (poll(&p, 1, 2000) == 1 && recv(fd, &byte, 1, MSG_PEEK) == 0) ++closed;
    }
    [[maybe_unused]] auto n = write(result[1], &closed, 1);
    _exit(0);
  }
  close(result[1]);
  char closed = -1;
  ASSERT_EQ(read(result[0], &closed, 1), 1);
  close(result[0]);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(closed, 8) << "40 connections, 32 allowed";
  EXPECT_NE(daemon_->err().find("refused API connection from uid 4242"), std::string::npos) << daemon_->err();
  EXPECT_EQ(ctl({"status"}).exit_code, 0);
}

TEST_F(ServiceTest, ClientThatNeverReadsDoesNotStallCaptureOrOtherClients) {
  // Enough events to fill the stalled stream's flow-control window many
  // times over, and a ring too small to hold them: the stalled client
  // falls behind; capture and the other clients must not.
  std::string replay = capture("bench_mix", "60000");
  writeFile(dir_ + "/c.yaml", "store: {capacity: 1000, record_ok: true}\n");
  daemon_ = std::make_unique<Background>(
      std::vector<std::string>{DNSLEAKD_PATH, "--config", dir_ + "/c.yaml", "--socket", socket_, "--user", "", "--replay", replay,
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
  EXPECT_NE(r.err.find("accepts only root, its own user and members of group '"), std::string::npos) << r.err;
  EXPECT_TRUE(waitUntil([&] { return daemon_->err().find("refused API connection from uid 65534") != std::string::npos; },
                        std::chrono::seconds(5)))
      << daemon_->err();
}

// Reading is for the socket's group; reload is for root and the admin
// group. Run as root: the clients are other users, made with setpriv.
TEST_F(ServiceTest, ReloadIsForRootAndTheAdminGroupOnly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run the client as other users";
  if (!haveProgram("setpriv")) GTEST_SKIP() << "needs setpriv (util-linux)";
  // getgrnam's result is overwritten by the next call: each gid is copied.
  const struct group* readers = getgrnam("users");
  const std::string readers_gid = readers ? std::to_string(readers->gr_gid) : "";
  const struct group* admins = getgrnam("staff");
  const std::string admins_gid = admins ? std::to_string(admins->gr_gid) : "";
  if (readers_gid.empty() || admins_gid.empty()) {
    GTEST_SKIP() << "needs the groups 'users' and 'staff' (Debian's base-passwd has them)";
  }
  startDaemon("api: {group: users, admin_group: staff}\n", capture("basic_udp"));
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);  // the socket file's mode and group decide, as in /run/dnsleak
  auto as = [&](const std::string& groups, const std::string& command) {
    return run({"setpriv", "--reuid=4242", "--regid=" + readers_gid, "--groups=" + groups, DNSLEAKCTL_PATH,
                "--socket", socket_, "--timeout", "5", command});
  };
  auto status = as(readers_gid, "status");
  EXPECT_EQ(status.exit_code, 0) << status.err;
  auto refused = as(readers_gid, "reload");
  EXPECT_EQ(refused.exit_code, 4) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("reload is for root and members of group 'staff'"), std::string::npos) << refused.err;
  EXPECT_TRUE(waitUntil([&] { return daemon_->err().find("refused reload from uid 4242") != std::string::npos; },
                        std::chrono::seconds(5)))
      << daemon_->err();
  auto admin = as(readers_gid + "," + admins_gid, "reload");
  EXPECT_EQ(admin.exit_code, 0) << admin.err;
  EXPECT_NE(admin.out.find("reloaded: config generation 2"), std::string::npos) << admin.out;
  auto root = ctl({"reload"});
  EXPECT_EQ(root.exit_code, 0) << root.err;
  EXPECT_NE(root.out.find("generation 3"), std::string::npos) << root.out;
}

// The client names the socket's real group when it is refused.
TEST_F(ServiceTest, PermissionMessageNamesTheSocketsGroup) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run the client as another user";
  if (!haveProgram("setpriv")) GTEST_SKIP() << "needs setpriv (util-linux)";
  const struct group* readers = getgrnam("users");
  if (!readers) GTEST_SKIP() << "needs the group 'users'";
  startDaemon("api: {group: users}\n", capture("basic_udp"));
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  auto r = run({"setpriv", "--reuid=4242", "--regid=4242", "--clear-groups", DNSLEAKCTL_PATH, "--socket", socket_,
                "--timeout", "3", "status"});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("members of group 'users'"), std::string::npos) << r.err;
}

// One native journal datagram: KEY=value lines, or KEY\n<le64 size><value>\n
// for a value with a newline (systemd's native protocol).
std::map<std::string, std::string> journalFields(const std::string& datagram) {
  std::map<std::string, std::string> fields;
  std::size_t at = 0;
  while (at < datagram.size()) {
    std::size_t newline = datagram.find('\n', at);
    if (newline == std::string::npos) break;
    std::string line = datagram.substr(at, newline - at);
    auto eq = line.find('=');
    if (eq != std::string::npos) {
      fields[line.substr(0, eq)] = line.substr(eq + 1);
      at = newline + 1;
    } else {
      std::uint64_t size = 0;
      if (newline + 9 > datagram.size()) break;
      std::memcpy(&size, datagram.data() + newline + 1, 8);
      fields[line] = datagram.substr(newline + 9, size);
      at = newline + 9 + size + 1;
    }
  }
  return fields;
}

// Under systemd the daemon logs to the journal and writes each stored leak
// as one structured entry. The journal here is a datagram socket the test
// binds, put at /run/systemd/journal/socket in the daemon's own mount
// namespace.
TEST_F(ServiceTest, EveryLeakIsOneStructuredJournalEntryAndABurstIsOneEntryWithItsCount) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a private mount namespace over /run/systemd/journal";
  if (!haveProgram("unshare")) GTEST_SKIP() << "needs unshare (util-linux)";
  const std::string journal_path = dir_ + "/journal.sock";
  int fd = boundSocket(SOCK_DGRAM, journal_path);
  ASSERT_GE(fd, 0);
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);

  writeFile(dir_ + "/c.yaml", "logging: {journal: on}\nuser: \"\"\n");
  const std::string replay = capture("burst");
  const std::string script =
      "set -e; mount -t tmpfs tmpfs /run; mkdir -p /run/systemd/journal; touch /run/systemd/journal/socket;"
      " mount --bind '" + journal_path + "' /run/systemd/journal/socket; exec \"$@\"";
  daemon_ = std::make_unique<Background>(
      std::vector<std::string>{"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                               DNSLEAKD_PATH, "--config", dir_ + "/c.yaml", "--socket", socket_, "--replay", replay,
                               "--interface", "eth0"},
      dir_, "dnsleakd");

  std::vector<std::map<std::string, std::string>> entries;
  auto receive = [&](std::chrono::milliseconds wait) {
    pollfd p{fd, POLLIN, 0};
    std::string buffer(1 << 16, '\0');
    while (poll(&p, 1, static_cast<int>(wait.count())) > 0) {
      ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
      if (n > 0) entries.push_back(journalFields(buffer.substr(0, static_cast<std::size_t>(n))));
    }
  };
  auto leaks = [&] {
    std::vector<std::map<std::string, std::string>> out;
    for (const auto& e : entries) {
      auto it = e.find("MESSAGE_ID");
      if (it != e.end() && it->second == "6a1d2f0c8b4e4f3e9d7c5b3a1e0f9d2c") out.push_back(e);
    }
    return out;
  };
  ASSERT_TRUE(waitUntil(
      [&] {
        receive(std::chrono::milliseconds(200));
        return leaks().size() >= 2;
      },
      std::chrono::seconds(15)))
      << daemon_->err();
  receive(std::chrono::milliseconds(2500));  // nothing more comes for the burst
  // What the API stores for the burst, to set beside its entry.
  std::string stored_seq, stored_count;
  for (const auto& line : lines(ctl({"--json", "watch", "--from-seq", "1", "--duration", "1"}).out)) {
    v1::WatchResponse w;
    if (google::protobuf::util::JsonStringToMessage(line, &w).ok() && w.event().dns().qname() == "burst.example.com") {
      stored_seq = std::to_string(w.event().seq());
      stored_count = std::to_string(w.event().count());
    }
  }
  EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->err();
  receive(std::chrono::milliseconds(300));
  close(fd);

  auto found = leaks();
  ASSERT_EQ(found.size(), 2u);
  const auto& burst = found[0].at("DNSLEAK_QNAME") == "burst.example.com" ? found[0] : found[1];
  const auto& other = &burst == &found[0] ? found[1] : found[0];
  EXPECT_EQ(burst.at("DNSLEAK_COUNT"), "200");
  EXPECT_EQ(burst.at("PRIORITY"), "4");
  EXPECT_EQ(burst.at("SYSLOG_IDENTIFIER"), "dnsleakd");
  EXPECT_EQ(burst.at("DNSLEAK_LEAK_TYPE"), "Leak-A");
  EXPECT_FALSE(burst.at("DNSLEAK_RULE").empty());
  EXPECT_EQ(burst.at("DNSLEAK_TRANSPORT"), "dns-udp");
  EXPECT_EQ(burst.at("DNSLEAK_RESOLVER"), "198.51.100.53:53");
  EXPECT_EQ(burst.at("DNSLEAK_INTERFACE"), "eth0");
  EXPECT_TRUE(burst.count("DNSLEAK_PID") && burst.count("DNSLEAK_EXE"));
  EXPECT_NE(burst.at("MESSAGE").find("burst.example.com"), std::string::npos) << burst.at("MESSAGE");
  EXPECT_EQ(other.at("DNSLEAK_QNAME"), "other.example.com");
  EXPECT_EQ(other.at("DNSLEAK_COUNT"), "1");
  EXPECT_NE(burst.at("DNSLEAK_SEQ"), other.at("DNSLEAK_SEQ"));
  // The entry is the stored event, folded as the store folds.
  EXPECT_EQ(burst.at("DNSLEAK_SEQ"), stored_seq);
  EXPECT_EQ(stored_count, "200");
  // And the daemon's own messages went to the journal, not to stderr.
  bool ready_logged = false;
  for (const auto& e : entries) {
    auto m = e.find("MESSAGE");
    if (m != e.end() && m->second.find("ready") != std::string::npos && e.count("PRIORITY") &&
        e.at("PRIORITY") == "6") {
      ready_logged = true;
    }
  }
  EXPECT_TRUE(ready_logged);
  EXPECT_EQ(daemon_->err().find("ready"), std::string::npos) << daemon_->err();
}

}  // namespace
}  // namespace dnsleak::testing
