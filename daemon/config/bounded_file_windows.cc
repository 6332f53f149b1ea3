// readBoundedFile on Windows: CreateFileW shared for reading, the file's
// type and attributes checked before a byte is read, ReadFile.

#include <windows.h>

#include <algorithm>
#include <string>

#include "config/config.h"
#include "platform/windows_text.h"

namespace dnsleak::config {

using platform::systemMessage;
using platform::widen;

ReadOutcome readBoundedFile(const std::string& path, std::size_t max_bytes, std::string& out) {
  out.clear();
  std::wstring wide = widen(path);
  if (wide.empty()) return {false, "the path is not valid UTF-8"};
  // FILE_FLAG_BACKUP_SEMANTICS opens a directory too, so that it can be named as one.
  HANDLE file = CreateFileW(wide.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                            OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (file == INVALID_HANDLE_VALUE) return {false, systemMessage(GetLastError())};
  auto fail = [&](std::string why) {
    CloseHandle(file);
    out.clear();
    return ReadOutcome{false, std::move(why)};
  };
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(file, &info)) return fail(systemMessage(GetLastError()));
  if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) return fail("it is a directory, not a file");
  // A pipe or a console is not a disk file, whatever its name says.
  if (GetFileType(file) != FILE_TYPE_DISK) return fail("it is not a regular file");
  auto tooLarge = [&] { return fail("larger than the " + std::to_string(max_bytes >> 20) + " MiB allowed"); };
  std::uint64_t size = (std::uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
  if (size > max_bytes) return tooLarge();
  out.resize(static_cast<std::size_t>(size));
  std::size_t got = 0;
  // The file may grow while it is read: one byte past the limit is enough to know.
  for (;;) {
    if (got == out.size()) {
      if (out.size() > max_bytes) break;
      out.resize(std::min(max_bytes + 1, std::max<std::size_t>(out.size() * 2, 4096)));
    }
    DWORD n = 0;
    DWORD want = static_cast<DWORD>(std::min<std::size_t>(out.size() - got, 1u << 30));
    if (!ReadFile(file, out.data() + got, want, &n, nullptr)) return fail(systemMessage(GetLastError()));
    if (n == 0) break;
    got += n;
  }
  CloseHandle(file);
  if (got > max_bytes) {
    out.clear();
    return tooLarge();
  }
  out.resize(got);
  return {true, {}};
}

}  // namespace dnsleak::config
