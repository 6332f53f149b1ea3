#pragma once

// Text at the Windows API's edge: the project speaks UTF-8, Windows' wide
// functions UTF-16. Windows builds only (cmake/windows.cmake).

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

}  // namespace dnsleak::platform
