#pragma once

// The Public Suffix List, behind one seam: libpsl where the build has it
// (suffix_list_psl.cc), none where it has not (suffix_list_none.cc, a
// cross-build without libpsl), and then registrableDomain() guesses the
// last two labels for every name. CMake chooses the file.

#include <optional>
#include <string>

namespace dnsleak::policy {

// Whether this build has a list.
bool suffixListAvailable();

// The registrable domain of `lower` (lower-case, no NUL) by the list; the
// name itself when it has none (a single label, a public suffix); nullopt
// when this build has no list.
std::optional<std::string> registrableByList(const std::string& lower);

}  // namespace dnsleak::policy
