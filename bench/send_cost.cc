// What sending costs a program: datagrams per second on one socket (the
// eBPF egress hook's per-packet cost) and new sockets per second, each
// sending one datagram (socket creation, sendmsg and a ring report each).
// bench/attribution.py runs it with and without dnsleakd's hooks loaded
// and prints the ratios.
//
//   send-cost ADDRESS [PACKETS] [SOCKETS]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: send-cost ADDRESS [PACKETS] [SOCKETS]\n");
    return 2;
  }
  const long packets = argc > 2 ? std::atol(argv[2]) : 200000;
  const long sockets = argc > 3 ? std::atol(argv[3]) : 20000;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);  // discard
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) return 2;
  char payload[64] = {};
  using Clock = std::chrono::steady_clock;

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  auto start = Clock::now();
  for (long i = 0; i < packets; ++i) {
    sendto(fd, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  double packet_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  close(fd);

  start = Clock::now();
  for (long i = 0; i < sockets; ++i) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(s, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    close(s);
  }
  double socket_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"packets_per_second\": %.0f, \"sockets_per_second\": %.0f}\n", packets / packet_seconds,
              sockets / socket_seconds);
  return 0;
}
