#include <windows.h>

#include <string>

#include "core/thread_name.h"

namespace dnsleak::core {

// SetThreadDescription (Windows 10 1607 and later; not in every SDK's
// headers, mingw-w64 10's among them) is looked up once; without it
// threads go unnamed.
void nameThisThread(const char* name) {
  using SetDescription = HRESULT(WINAPI*)(HANDLE, PCWSTR);
  static const auto set = reinterpret_cast<SetDescription>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "SetThreadDescription")));
  if (!set) return;
  std::wstring wide;  // names are ASCII
  for (const char* c = name; *c; ++c) wide += static_cast<wchar_t>(static_cast<unsigned char>(*c));
  set(GetCurrentThread(), wide.c_str());
}

}  // namespace dnsleak::core
