#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace dnsleak::core {

// DNS names and protocol tokens compare case-insensitively in ASCII only
// (RFC 4343); these never depend on the locale.
inline char asciiLower(char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; }

inline bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return asciiLower(x) == asciiLower(y); });
}

// A name in the form names are compared in: lower case, no trailing dot.
// Into `out`, whose capacity is reused.
inline const std::string& lowerName(std::string_view name, std::string& out) {
  out.assign(name);
  while (!out.empty() && out.back() == '.') out.pop_back();
  for (char& ch : out) ch = asciiLower(ch);
  return out;
}

inline std::string lowerName(std::string_view name) {
  std::string out;
  lowerName(name, out);
  return out;
}

// Whether `name` is `domain` or a name under it; `domain` in lowerName form.
inline bool isSameOrUnder(std::string_view name, std::string_view domain) {
  if (domain.empty() || name.size() < domain.size()) return false;
  std::string_view tail = name.substr(name.size() - domain.size());
  if (!equalsIgnoringCase(tail, domain)) return false;
  return name.size() == domain.size() || name[name.size() - domain.size() - 1] == '.';
}

}  // namespace dnsleak::core
