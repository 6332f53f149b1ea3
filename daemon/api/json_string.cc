#include "api/json_string.h"

#include <array>
#include <cstdint>

namespace dnsleak::api {
namespace {

// Reads the UTF-8 sequence at text[i] as protobuf 3.21's JSON printer does:
// a lead byte claims its length (2 to 4) and those bytes (or the rest of the
// text, when shorter) are taken together; the code point is -1 when they
// are not a sequence (a lone continuation byte or one past 0xf7, a byte
// that does not continue, too few bytes, a surrogate, past U+10FFFF).
// Overlong forms are decoded, not refused, as protobuf decodes them.
struct CodePoint {
  std::int32_t value;
  std::size_t length;
};
CodePoint readUtf8(std::string_view text, std::size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  std::size_t length;
  std::int32_t value;
  if (c >= 0xc0 && c <= 0xdf) {
    length = 2;
    value = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    value = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf7) {
    length = 4;
    value = c & 0x07;
  } else {
    return {-1, 1};
  }
  if (i + length > text.size()) return {-1, text.size() - i};
  bool valid = true;
  for (std::size_t k = 1; k < length; ++k) {
    auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) valid = false;
    value = (value << 6) | (next & 0x3f);
  }
  if (!valid || (value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) return {-1, length};
  return {value, length};
}

// Bytes copied as they are: printable ASCII but the quote, the backslash and
// the angle brackets.
constexpr auto kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\' && c != '<' && c != '>';
  return plain;
}();

// One character below 0x80, escaped where protobuf escapes it.
void appendEscaped(unsigned char c, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c >= 0x20 && c < 0x7f && c != '<' && c != '>') {
        out += static_cast<char>(c);
      } else {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
  }
}

// The code points past ASCII that protobuf 3.21 writes as \\u escapes
// (C1 controls, invisible format characters, bidirectional controls, tags):
// found by printing every code point with MessageToJsonString.
bool escapedAbove7f(std::int32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || (cp >= 0x600 && cp <= 0x603) || cp == 0x6dd || cp == 0x70f ||
         (cp >= 0x17b4 && cp <= 0x17b5) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
         (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f) || cp == 0xfeff ||
         (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0x1d173 && cp <= 0x1d17a) || cp == 0xe0001 ||
         (cp >= 0xe0020 && cp <= 0xe007f);
}

// \\uXXXX, or a surrogate pair past the Basic Multilingual Plane.
void appendCodePoint(std::int32_t cp, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto unit = [&](std::uint32_t u) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(u >> shift) & 0xf];
  };
  if (cp < 0x10000) {
    unit(static_cast<std::uint32_t>(cp));
  } else {
    const auto v = static_cast<std::uint32_t>(cp) - 0x10000;
    unit(0xd800 + (v >> 10));
    unit(0xdc00 + (v & 0x3ff));
  }
}

}  // namespace

void appendJsonString(std::string_view text, std::string& out) {
  out += '"';
  std::size_t i = 0;
  while (i < text.size()) {
    // Printable ASCII that needs no escape goes in whole runs.
    std::size_t run = i;
    while (run < text.size() && kPlain[static_cast<unsigned char>(text[run])]) ++run;
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // A sequence passes as its bytes, unless its code point is one that
      // is escaped; what is not a sequence is left out (as protobuf does).
      auto [value, length] = readUtf8(text, i);
      if (value >= 0 && (value < 0x20 || value == 0x7f || value == '"' || value == '\\' || value == '<' ||
                         value == '>')) {
        appendEscaped(static_cast<unsigned char>(value), out);
      } else if (value >= 0 && escapedAbove7f(value)) {
        appendCodePoint(value, out);
      } else if (value >= 0) {
        out.append(text.substr(i, length));
      }
      i += length;
      continue;
    }
    appendEscaped(c, out);
    ++i;
  }
  out += '"';
}

}  // namespace dnsleak::api
