// readBoundedFile on POSIX: open(2) non-blocking, fstat(2), read(2).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config/config.h"

namespace dnsleak::config {

ReadOutcome readBoundedFile(const std::string& path, std::size_t max_bytes, std::string& out) {
  out.clear();
  // Non-blocking, so that a FIFO cannot hold a reload; never a terminal.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return {false, std::strerror(errno)};
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return {false, std::strerror(err)};
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return {false, S_ISDIR(st.st_mode) ? "it is a directory, not a file" : "it is not a regular file"};
  }
  auto tooLarge = [&] {
    return ReadOutcome{false, "larger than the " + std::to_string(max_bytes >> 20) + " MiB allowed"};
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    close(fd);
    return tooLarge();
  }
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  // The file may grow while it is read: one byte past the limit is enough to know.
  for (;;) {
    if (got == out.size()) {
      if (out.size() > max_bytes) break;
      out.resize(std::min(max_bytes + 1, std::max<std::size_t>(out.size() * 2, 4096)));
    }
    ssize_t n = read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      out.clear();
      return {false, std::strerror(err)};
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  if (got > max_bytes) {
    out.clear();
    return tooLarge();
  }
  out.resize(got);
  return {true, {}};
}

}  // namespace dnsleak::config
