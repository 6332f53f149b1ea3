#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace dnsleak::core {

// Appends `bytes` as text that is always valid UTF-8 and never ambiguous:
// printable ASCII as itself, everything else, '\' and (when `escape_dots`,
// as inside a DNS label) '.' as \DDD, the DNS presentation form's escape.
inline void appendEscaped(std::string& out, std::span<const std::uint8_t> bytes, bool escape_dots) {
  auto plain = [escape_dots](std::uint8_t c) { return c > 0x20 && c < 0x7f && c != '\\' && !(escape_dots && c == '.'); };
  // Nearly every name is plain: it goes on in one piece.
  std::size_t run = 0;
  while (run < bytes.size() && plain(bytes[run])) ++run;
  out.append(reinterpret_cast<const char*>(bytes.data()), run);
  for (std::uint8_t c : bytes.subspan(run)) {
    if (plain(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      const char escaped[4] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + (c / 10) % 10),
                               static_cast<char>('0' + c % 10)};
      out.append(escaped, 4);
    }
  }
}

}  // namespace dnsleak::core
