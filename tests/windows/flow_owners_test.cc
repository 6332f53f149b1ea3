// Flow owners from the IP helper tables (GetExtendedTcpTable and
// GetExtendedUdpTable with owning PIDs): a socket this process holds is
// found to be this process's.

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <gtest/gtest.h>

#include "attribution/flow_owner.h"

namespace dnsleak::attribution {
namespace {

// Wine's IP helper tables list sockets without their owners (PID 0, seen
// with Wine 8): there the rows are found and the owner cannot be.
bool underWine() { return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr; }

void expectOurs(const FlowOwner& owner) {
  if (owner.process.pid == 0 && underWine()) {
    EXPECT_EQ(owner.attribution.detail, "the socket's process could not be opened (exited, or not ours to read)");
    GTEST_SKIP() << "Wine's IP helper tables carry no owning process (PID 0); the row was found: "
                 << owner.attribution.detail;
  }
  EXPECT_EQ(owner.process.pid, GetCurrentProcessId()) << owner.attribution.detail;
  EXPECT_NE(owner.process.name.find("windows_tests"), std::string::npos) << owner.process.name;
}

struct Winsock {
  Winsock() { WSAStartup(MAKEWORD(2, 2), &data); }
  ~Winsock() { WSACleanup(); }
  WSADATA data;
};

// A bound socket's local port.
std::uint16_t portOf(SOCKET s) {
  sockaddr_in address{};
  int length = sizeof address;
  getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

TEST(WindowsFlowOwners, AUdpSocketOfThisProcessIsFoundAsOurs) {
  Winsock winsock;
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  ASSERT_NE(s, INVALID_SOCKET);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  FlowQuery query;
  query.ip_protocol = IPPROTO_UDP;
  query.local = {*core::IpAddress::parse("127.0.0.1"), portOf(s)};
  query.remote = {*core::IpAddress::parse("127.0.0.53"), 53};
  auto provider = makeFlowOwnerProvider();
  FlowOwner owner = provider->lookup(query);
  closesocket(s);
  expectOurs(owner);
}

TEST(WindowsFlowOwners, AConnectedTcpSocketIsFoundByBothEnds) {
  Winsock winsock;
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  local.sin_port = htons(portOf(listener));
  SOCKET client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  SOCKET accepted = accept(listener, nullptr, nullptr);
  FlowQuery query;
  query.ip_protocol = IPPROTO_TCP;
  query.local = {*core::IpAddress::parse("127.0.0.1"), portOf(client)};
  query.remote = {*core::IpAddress::parse("127.0.0.1"), portOf(listener)};
  auto provider = makeFlowOwnerProvider();
  FlowOwner owner = provider->lookup(query);
  closesocket(accepted);
  closesocket(client);
  closesocket(listener);
  expectOurs(owner);
}

}  // namespace
}  // namespace dnsleak::attribution
