#pragma once

// JSON string literals as protobuf's JSON printer writes them, shared by
// the daemon's `--read --json` writer and dnsleakctl's: the same bytes as
// MessageToJsonString for any string, valid UTF-8 or not.

#include <cstddef>
#include <string>
#include <string_view>

namespace dnsleak::api {

// Appends `text` as a JSON string literal, quotes included: printable ASCII
// as it is but for the quote, the backslash and the angle brackets; other
// ASCII escaped as protobuf escapes it; UTF-8 sequences as their bytes but
// for U+2028/U+2029 and escaped code points; bytes that are not UTF-8
// left out, as protobuf leaves them.
void appendJsonString(std::string_view text, std::string& out);

// The most bytes a string of `size` bytes takes as a literal: six per byte
// (\u00XX; a UTF-8 sequence takes at most three per byte) and the quotes.
constexpr std::size_t maxJsonStringBytes(std::size_t size) { return size * 6 + 2; }

// The same literal written at `to`, which has room for
// maxJsonStringBytes(text.size()); returns where it ends. For writers that
// keep their own cursor (no capacity check per byte).
char* writeJsonString(std::string_view text, char* to);

}  // namespace dnsleak::api
