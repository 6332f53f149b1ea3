#pragma once

// Shell globs for interface names, as POSIX fnmatch(3) with no flags reads
// them, without the platform's fnmatch: `*` any run of characters, `?` any
// one, `[...]` one of a set (ranges `a-z`, `!` or `^` first to negate, `]`
// first as itself), `\` takes the next character as itself (a pattern
// ending in one matches nothing). A `[` with no closing `]` is itself.
// Character classes (`[:digit:]`) are not read.

#include <string_view>

namespace dnsleak::core {

bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace dnsleak::core
