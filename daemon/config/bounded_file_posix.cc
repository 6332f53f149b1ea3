// readBoundedFile on POSIX: open(2) non-blocking, fstat(2), read(2).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/bounded_read.h"
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
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    close(fd);
    return tooLargeOutcome(max_bytes);
  }
  out.resize(static_cast<std::size_t>(st.st_size));
  int err = 0;
  ReadOutcome outcome = readGrowing(
      out, max_bytes,
      [&](char* data, std::size_t room) -> long long {
        ssize_t n;
        do n = read(fd, data, room);
        while (n < 0 && errno == EINTR);
        err = errno;
        return n;
      },
      [&] { return std::string(std::strerror(err)); });
  close(fd);
  return outcome;
}

}  // namespace dnsleak::config
