#include "api/json_string.h"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)
// How many of the bytes at `at` (up to `end`) are plain, sixteen at a time:
// a whole multiple of sixteen, stopping before the first block that holds
// a byte that is not (which the byte loop then takes). Copied to `to`.
std::size_t copyPlainBlocks(const unsigned char* at, const unsigned char* end, char* to) {
  std::size_t done = 0;
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f), quote = _mm_set1_epi8('"'),
                backslash = _mm_set1_epi8('\\'), less = _mm_set1_epi8('<'), greater = _mm_set1_epi8('>');
  while (end - at - static_cast<std::ptrdiff_t>(done) >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + done));
    // Signed: bytes of 0x80 and above are below 0x20 too.
    __m128i odd = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del));
    odd = _mm_or_si128(odd, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    odd = _mm_or_si128(odd, _mm_or_si128(_mm_cmpeq_epi8(v, less), _mm_cmpeq_epi8(v, greater)));
    if (_mm_movemask_epi8(odd) != 0) break;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + done), v);
    done += 16;
  }
  return done;
}
#else
std::size_t copyPlainBlocks(const unsigned char*, const unsigned char*, char*) { return 0; }
#endif

// One character below 0x80, escaped where protobuf escapes it: at most six
// bytes at `to`.
char* writeEscaped(unsigned char c, char* to) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto two = [&](char second) {
    to[0] = '\\';
    to[1] = second;
    return to + 2;
  };
  switch (c) {
    case '"': return two('"');
    case '\\': return two('\\');
    case '\b': return two('b');
    case '\f': return two('f');
    case '\n': return two('n');
    case '\r': return two('r');
    case '\t': return two('t');
    default:
      if (c >= 0x20 && c < 0x7f && c != '<' && c != '>') {
        *to = static_cast<char>(c);
        return to + 1;
      }
      std::memcpy(to, "\\u00", 4);
      to[4] = kHex[c >> 4];
      to[5] = kHex[c & 0xf];
      return to + 6;
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

// \\uXXXX, or a surrogate pair past the Basic Multilingual Plane: at most
// twelve bytes at `to`, from a sequence of two bytes or more.
char* writeCodePoint(std::int32_t cp, char* to) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto unit = [&](std::uint32_t u) {
    to[0] = '\\';
    to[1] = 'u';
    for (int k = 0; k < 4; ++k) to[2 + k] = kHex[(u >> (12 - 4 * k)) & 0xf];
    to += 6;
  };
  if (cp < 0x10000) {
    unit(static_cast<std::uint32_t>(cp));
  } else {
    const auto v = static_cast<std::uint32_t>(cp) - 0x10000;
    unit(0xd800 + (v >> 10));
    unit(0xdc00 + (v & 0x3ff));
  }
  return to;
}

}  // namespace

char* writeJsonString(std::string_view text, char* to) {
  *to++ = '"';
  const auto* at = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = at + text.size();
  while (at < end) {
    // Printable ASCII that needs no escape is copied as it is scanned:
    // sixteen bytes at a time where the processor can, then by the byte.
    const std::size_t blocks = copyPlainBlocks(at, end, to);
    at += blocks;
    to += blocks;
    while (at < end && kPlain[*at]) *to++ = static_cast<char>(*at++);
    if (at == end) break;
    const unsigned char c = *at;
    if (c >= 0x80) {
      // A sequence passes as its bytes, unless its code point is one that
      // is escaped; what is not a sequence is left out (as protobuf does).
      const auto i = static_cast<std::size_t>(at - reinterpret_cast<const unsigned char*>(text.data()));
      auto [value, length] = readUtf8(text, i);
      if (value >= 0 && (value < 0x20 || value == 0x7f || value == '"' || value == '\\' || value == '<' ||
                         value == '>')) {
        to = writeEscaped(static_cast<unsigned char>(value), to);
      } else if (value >= 0 && escapedAbove7f(value)) {
        to = writeCodePoint(value, to);
      } else if (value >= 0) {
        std::memcpy(to, at, length);
        to += length;
      }
      at += length;
      continue;
    }
    to = writeEscaped(c, to);
    ++at;
  }
  *to++ = '"';
  return to;
}

void appendJsonString(std::string_view text, std::string& out) {
  const std::size_t used = out.size();
  out.resize(used + maxJsonStringBytes(text.size()));
  char* end = writeJsonString(text, out.data() + used);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

}  // namespace dnsleak::api
