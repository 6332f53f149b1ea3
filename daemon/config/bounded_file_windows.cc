// readBoundedFile on Windows: CreateFileW shared for reading, the file's
// type and attributes checked before a byte is read, ReadFile.

#include <windows.h>

#include <algorithm>
#include <string>

#include "config/bounded_read.h"
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
  std::uint64_t size = (std::uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
  if (size > max_bytes) {
    CloseHandle(file);
    return tooLargeOutcome(max_bytes);
  }
  out.resize(static_cast<std::size_t>(size));
  DWORD err = 0;
  ReadOutcome outcome = readGrowing(
      out, max_bytes,
      [&](char* data, std::size_t room) -> long long {
        DWORD n = 0;
        if (!ReadFile(file, data, static_cast<DWORD>(std::min<std::size_t>(room, 1u << 30)), &n, nullptr)) {
          err = GetLastError();
          return -1;
        }
        return n;
      },
      [&] { return systemMessage(err); });
  CloseHandle(file);
  return outcome;
}

}  // namespace dnsleak::config
