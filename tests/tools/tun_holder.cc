// Creates a tun device of the given name in the current network namespace
// and holds it open (reading and dropping what is routed into it) until
// killed: a tun device nobody holds has no carrier, so nothing is sent
// through it. For the live tests: `ip netns exec NS tun-holder corp0`.

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 2 || std::strlen(argv[1]) >= IFNAMSIZ) {
    std::fprintf(stderr, "usage: tun-holder NAME\n");
    return 2;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    std::perror("tun-holder: /dev/net/tun");
    return 1;
  }
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, argv[1], IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &request) != 0) {
    std::perror("tun-holder: TUNSETIFF");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  char buffer[65536];
  while (read(fd, buffer, sizeof buffer) >= 0) {
  }
  return 0;
}
