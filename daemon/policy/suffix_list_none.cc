// No Public Suffix List in this build: suffix_list.h says what follows.

#include "policy/suffix_list.h"

namespace dnsleak::policy {

bool suffixListAvailable() { return false; }

std::optional<std::string> registrableByList(const std::string&) { return std::nullopt; }

}  // namespace dnsleak::policy
