#include "platform/windows_text.h"

#include <windows.h>
#include <sddl.h>

namespace dnsleak::platform {

std::wstring widen(const std::string& utf8) {
  if (utf8.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return {};
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string narrow(const std::wstring& wide) {
  if (wide.empty()) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0, nullptr, nullptr);
  if (n <= 0) return {};
  std::string out(static_cast<std::size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), out.data(), n, nullptr, nullptr);
  return out;
}

std::string narrow(const wchar_t* wide) { return wide ? narrow(std::wstring(wide)) : std::string(); }

std::string systemMessage(std::uint32_t code) {
  wchar_t* text = nullptr;
  DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, code, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), reinterpret_cast<wchar_t*>(&text),
                           0, nullptr);
  std::string out = n && text ? narrow(std::wstring(text, n)) : "error " + std::to_string(code);
  if (text) LocalFree(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

std::string sidText(void* sid) {
  wchar_t* text = nullptr;
  if (!sid || !ConvertSidToStringSidW(static_cast<PSID>(sid), &text)) return {};
  std::string out = narrow(text);
  LocalFree(text);
  return out;
}

std::string tokenUserSid(void* token) {
  BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  DWORD size = 0;
  if (!GetTokenInformation(static_cast<HANDLE>(token), TokenUser, buffer, sizeof buffer, &size)) return {};
  return sidText(reinterpret_cast<TOKEN_USER*>(buffer)->User.Sid);
}

std::string processUserSid() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return {};
  std::string out = tokenUserSid(token);
  CloseHandle(token);
  return out;
}

}  // namespace dnsleak::platform
