#include <windows.h>

#include <string>

#include "core/thread_name.h"

namespace dnsleak::core {

namespace {

// Set/GetThreadDescription (Windows 10 1607 and later; not in every SDK's
// headers, mingw-w64 10's among them) are looked up once; without them
// threads go unnamed.
template <typename Function>
Function kernel32(const char* name) {
  return reinterpret_cast<Function>(reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"kernel32.dll"), name)));
}

}  // namespace

void nameThisThread(const char* name) {
  using SetDescription = HRESULT(WINAPI*)(HANDLE, PCWSTR);
  static const auto set = kernel32<SetDescription>("SetThreadDescription");
  if (!set) return;
  std::wstring wide;  // names are ASCII
  for (const char* c = name; *c; ++c) wide += static_cast<wchar_t>(static_cast<unsigned char>(*c));
  set(GetCurrentThread(), wide.c_str());
}

std::string thisThreadName() {
  using GetDescription = HRESULT(WINAPI*)(HANDLE, PWSTR*);
  static const auto get = kernel32<GetDescription>("GetThreadDescription");
  PWSTR wide = nullptr;
  if (!get || FAILED(get(GetCurrentThread(), &wide)) || !wide) return {};
  std::string out;
  for (PWSTR c = wide; *c; ++c) out += *c < 0x80 ? static_cast<char>(*c) : '?';
  LocalFree(wide);
  return out;
}

}  // namespace dnsleak::core
