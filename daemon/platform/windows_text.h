#pragma once

// Text at the Windows API's edge: the project speaks UTF-8, Windows' wide
// functions UTF-16; error codes and SIDs as text. Windows builds only
// (cmake/windows.cmake).

#include <cstdint>
#include <string>

namespace dnsleak::platform {

// UTF-8 to UTF-16; empty when `utf8` is not valid UTF-8.
std::wstring widen(const std::string& utf8);
// UTF-16 to UTF-8, unpaired surrogates replaced.
std::string narrow(const std::wstring& wide);
std::string narrow(const wchar_t* wide);
// The system's sentence for a Win32 error code, without the trailing period
// and line break ("Access is denied"), or "error N" when it has none.
std::string systemMessage(std::uint32_t code);

// A SID (a PSID) as text, "S-1-5-18"; "" when it cannot be written.
std::string sidText(void* sid);
// The SID of the user a token (a HANDLE) belongs to, as text; "" when it
// cannot be read.
std::string tokenUserSid(void* token);
// The SID of the user this process runs as, as text.
std::string processUserSid();

}  // namespace dnsleak::platform
