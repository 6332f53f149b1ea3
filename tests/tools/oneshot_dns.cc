// A DNS client that lives for one packet: sends one A query for NAME to
// SERVER (port 53 or PORT) over UDP and exits at once, without waiting for
// the answer. The hardest sender to attribute after the fact: its socket is
// gone before anyone can look it up.
//
//   oneshot-dns SERVER NAME [PORT]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: oneshot-dns SERVER NAME [PORT]\n");
    return 2;
  }
  std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(getpid() >> 8), static_cast<std::uint8_t>(getpid()),
                                 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  std::string name = argv[2];
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    if (dot > start) {
      q.push_back(static_cast<std::uint8_t>(dot - start));
      q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start), name.begin() + static_cast<std::ptrdiff_t>(dot));
    }
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});
  sockaddr_storage to{};
  socklen_t to_len = 0;
  const int port = argc > 3 ? std::atoi(argv[3]) : 53;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&to);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&to);
  if (inet_pton(AF_INET, argv[1], &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    to_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, argv[1], &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    to_len = sizeof *v6;
  } else {
    std::fprintf(stderr, "oneshot-dns: not an address: %s\n", argv[1]);
    return 2;
  }
  int fd = socket(to.ss_family, SOCK_DGRAM, 0);
  if (fd < 0 || sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), to_len) < 0) {
    std::perror("oneshot-dns");
    return 1;
  }
  return 0;  // exit closes the socket
}
