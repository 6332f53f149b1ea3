// The Public Suffix List from libpsl.

#include <libpsl.h>

#include "policy/suffix_list.h"

namespace dnsleak::policy {
namespace {

// The list Debian ships (package publicsuffix), else the one built into
// libpsl; loaded once, read-only after, so any thread may use it.
const psl_ctx_t* suffixList() {
  static const psl_ctx_t* list = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest ? latest : psl_builtin();
  }();
  return list;
}

}  // namespace

bool suffixListAvailable() { return suffixList() != nullptr; }

std::optional<std::string> registrableByList(const std::string& lower) {
  const psl_ctx_t* list = suffixList();
  if (list == nullptr) return std::nullopt;
  if (const char* registrable = psl_registrable_domain(list, lower.c_str())) return std::string(registrable);
  return lower;
}

}  // namespace dnsleak::policy
