#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "attribution/flow_owner.h"
#include "attribution/procfs.h"
#include "attribution/sock_diag.h"

namespace dnsleak::attribution {
namespace {

namespace fs = std::filesystem;

// A /proc of three processes: dig (100), child of bash (50), child of
// systemd (1); dig holds socket 4242 on fd 3.
class ProcFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/dnsleak-proc-XXXXXX";
    root_ = mkdtemp(templ);
    process(1, "systemd", 0, 0, "0::/init.scope\n");
    process(50, "bash", 1, 1000, "0::/user.slice/user-1000.slice/session-2.scope\n");
    process(100, "dig", 50, 1000, "0::/user.slice/user-1000.slice/session-2.scope\n");
    write("100/cmdline", std::string("dig\0@198.51.100.1\0example.com\0", 31));
    fs::create_symlink("/usr/bin/dig", root_ + "/100/exe");
    fs::create_directories(root_ + "/100/fd");
    fs::create_symlink("socket:[4242]", root_ + "/100/fd/3");
    fs::create_symlink("/dev/null", root_ + "/100/fd/0");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& path, const std::string& text) { std::ofstream(root_ + "/" + path) << text; }
  void process(int pid, const char* name, int ppid, int uid, const char* cgroup) {
    fs::create_directories(root_ + "/" + std::to_string(pid));
    write(std::to_string(pid) + "/status", std::string("Name:\t") + name + "\nTgid:\t" + std::to_string(pid) +
                                               "\nPPid:\t" + std::to_string(ppid) + "\nUid:\t" + std::to_string(uid) +
                                               "\t" + std::to_string(uid) + "\t0\t0\n");
    write(std::to_string(pid) + "/cgroup", cgroup);
  }
  std::string root_;
};

TEST_F(ProcFixture, ProcessWithItsParentsUnitAndCommandLine) {
  ProcFs proc(root_);
  auto p = proc.process(100);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "dig");
  EXPECT_EQ(p->exe, "/usr/bin/dig");
  EXPECT_EQ(p->cmdline, "dig @198.51.100.1 example.com");
  EXPECT_EQ(p->uid, 1000u);
  EXPECT_EQ(p->unit, "session-2.scope");
  ASSERT_EQ(p->parents.size(), 2u);
  EXPECT_EQ(p->parents[0].pid, 50u);
  EXPECT_EQ(p->parents[0].name, "bash");
  EXPECT_EQ(p->parents[1].pid, 1u);
  EXPECT_EQ(p->parents[1].name, "systemd");
  EXPECT_FALSE(proc.process(4000));  // gone
}

TEST_F(ProcFixture, SocketOwnerByInodeAndAReusedInodeIsNotBelieved) {
  ProcFs proc(root_);
  EXPECT_EQ(proc.socketOwner(4242), 100u);
  EXPECT_FALSE(proc.socketOwner(9999));
  // dig closes the socket; its inode number now belongs to nobody here.
  fs::remove(root_ + "/100/fd/3");
  fs::create_symlink("socket:[5555]", root_ + "/100/fd/3");
  EXPECT_FALSE(proc.socketOwner(4242));
  EXPECT_EQ(proc.socketOwner(5555), 100u);
}

TEST(UnitOfCgroup, TheLastServiceOrScope) {
  EXPECT_EQ(ProcFs::unitOfCgroup("/system.slice/systemd-resolved.service"), "systemd-resolved.service");
  EXPECT_EQ(ProcFs::unitOfCgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-12.scope"),
            "app-firefox-12.scope");
  EXPECT_EQ(ProcFs::unitOfCgroup("/"), "");
  EXPECT_EQ(ProcFs::unitOfCgroup("/docker/0123abcd"), "");
}

core::Endpoint endpointOf(const sockaddr_in& a) {
  return {core::IpAddress::v4(reinterpret_cast<const std::uint8_t*>(&a.sin_addr)), ntohs(a.sin_port)};
}

// The real thing: this test's own sockets, found through the kernel and /proc.
TEST(FlowOwnerProvider, FindsThisProcessForItsUdpAndTcpSockets) {
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(udp, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(udp, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  socklen_t length = sizeof local;
  getsockname(udp, reinterpret_cast<sockaddr*>(&local), &length);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(53);
  inet_pton(AF_INET, "127.0.0.53", &remote.sin_addr);

  // Socket diagnostics and /proc; the eBPF hooks are the live tests' (they
  // attach to the whole host's root cgroup).
  auto provider = makeFlowOwnerProvider({.ebpf = false});
  // Unconnected, as a stub resolver's socket usually is.
  FlowOwner owner = provider->lookup({IPPROTO_UDP, endpointOf(local), endpointOf(remote)});
  EXPECT_EQ(owner.attribution.failure, core::AttributionFailure::kNone) << owner.attribution.detail;
  EXPECT_EQ(owner.process.pid, static_cast<std::uint32_t>(getpid()));
  EXPECT_EQ(owner.process.exe, fs::read_symlink("/proc/self/exe").string());
  EXPECT_EQ(owner.attribution.confidence, core::Confidence::kMedium);
  EXPECT_EQ(owner.attribution.method, "sock_diag+procfs");

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&server), sizeof server), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  length = sizeof server;
  getsockname(listener, reinterpret_cast<sockaddr*>(&server), &length);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&server), sizeof server), 0);
  sockaddr_in client_local{};
  length = sizeof client_local;
  getsockname(client, reinterpret_cast<sockaddr*>(&client_local), &length);
  FlowOwner tcp = provider->lookup({IPPROTO_TCP, endpointOf(client_local), endpointOf(server)});
  EXPECT_EQ(tcp.process.pid, static_cast<std::uint32_t>(getpid())) << tcp.attribution.detail;

  close(client);
  close(listener);
  close(udp);
  // Closed: nobody holds the flow now.
  FlowOwner gone = provider->lookup({IPPROTO_UDP, endpointOf(local), endpointOf(remote)});
  EXPECT_EQ(gone.attribution.failure, core::AttributionFailure::kNotFound);
  EXPECT_EQ(gone.process.pid, 0u);
}

}  // namespace
}  // namespace dnsleak::attribution

namespace dnsleak::attribution {
namespace {

TEST_F(ProcFixture, NewProcessesAreScannedFirstAndKnownOnesOnlyWhenThatFails) {
  ProcFs proc(root_);
  EXPECT_EQ(proc.socketOwner(4242), 100u);
  const auto after_first = proc.fdDirectoriesRead();
  // A new process with a new socket: found among the new pids alone.
  process(200, "curl", 50, 1000, "0::/user.slice\n");
  fs::create_directories(root_ + "/200/fd");
  fs::create_symlink("socket:[7777]", root_ + "/200/fd/5");
  EXPECT_EQ(proc.socketOwner(7777), 200u);
  EXPECT_EQ(proc.fdDirectoriesRead() - after_first, 1u);
  // A new socket in a process already known: the full scan finds it, but
  // only while the socket is still open.
  fs::create_symlink("socket:[8888]", root_ + "/100/fd/4");
  const auto before_closed = proc.fdDirectoriesRead();
  EXPECT_FALSE(proc.socketOwner(8888, [] { return false; }));
  EXPECT_EQ(proc.fdDirectoriesRead(), before_closed);  // no process was read: none was new
  EXPECT_EQ(proc.socketOwner(8888), 100u);
}

TEST_F(ProcFixture, AChildHoldingItsParentsSocketDoesNotTakeItOver) {
  ProcFs proc(root_);
  proc.socketOwner(1);  // a first scan: dig (100) is known from here on
  // dig forks a helper that has not exec'd yet: it holds dig's socket too,
  // and as the newest process it is read first.
  process(300, "dig", 100, 1000, "0::/user.slice\n");
  fs::create_directories(root_ + "/300/fd");
  fs::create_symlink("socket:[4242]", root_ + "/300/fd/3");
  fs::create_symlink("socket:[6000]", root_ + "/100/fd/6");  // dig's new socket, shared
  fs::create_symlink("socket:[6000]", root_ + "/300/fd/6");
  EXPECT_EQ(proc.socketOwner(6000), 100u);
  EXPECT_EQ(proc.socketOwner(4242), 100u);
  // One the child made itself is the child's.
  fs::create_symlink("socket:[7000]", root_ + "/300/fd/7");
  EXPECT_EQ(proc.socketOwner(7000), 300u);
}

TEST(ContainerOfCgroup, TheSixtyFourHexDigitIdOfEachRuntime) {
  const std::string id = "3f2a9c0d1e4b5a6978812345abcdef0123456789abcdef0123456789abcdef01";
  EXPECT_EQ(ProcFs::containerOfCgroup("/system.slice/docker-" + id + ".scope"), id);
  EXPECT_EQ(ProcFs::containerOfCgroup("/docker/" + id), id);
  EXPECT_EQ(ProcFs::containerOfCgroup("/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id + ".scope"), id);
  EXPECT_EQ(ProcFs::containerOfCgroup("/machine.slice/libpod-" + id + ".scope/container"), id);
  EXPECT_EQ(ProcFs::containerOfCgroup("/user.slice/user-1000.slice/session-2.scope"), "");
  EXPECT_EQ(ProcFs::containerOfCgroup("/x/" + id + "0"), "");  // 65 digits: something else
}

}  // namespace
}  // namespace dnsleak::attribution
