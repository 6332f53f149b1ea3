#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace dnsleak::core {

namespace detail {
// Which bytes go on as themselves: [0] outside a label, [1] inside one
// (where '.' is escaped too).
struct PlainBytes {
  bool plain[2][256] = {};
  constexpr PlainBytes() {
    for (int c = 0x21; c < 0x7f; ++c) {
      plain[0][c] = plain[1][c] = c != '\\';
    }
    plain[1]['.'] = false;
  }
};
inline constexpr PlainBytes kPlainBytes;
}  // namespace detail

// Appends `bytes` as text that is always valid UTF-8 and never ambiguous:
// printable ASCII as itself, everything else, '\' and (when `escape_dots`,
// as inside a DNS label) '.' as \DDD, the DNS presentation form's escape.
inline void appendEscaped(std::string& out, std::span<const std::uint8_t> bytes, bool escape_dots) {
  const bool* plain = detail::kPlainBytes.plain[escape_dots ? 1 : 0];
  // Nearly every name is plain: it goes on in one piece.
  std::size_t run = 0;
  while (run < bytes.size() && plain[bytes[run]]) ++run;
  out.append(reinterpret_cast<const char*>(bytes.data()), run);
  for (std::uint8_t c : bytes.subspan(run)) {
    if (plain[c]) {
      out.push_back(static_cast<char>(c));
    } else {
      const char escaped[4] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + (c / 10) % 10),
                               static_cast<char>('0' + c % 10)};
      out.append(escaped, 4);
    }
  }
}

}  // namespace dnsleak::core
