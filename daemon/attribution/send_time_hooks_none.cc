// Builds without eBPF (no libbpf, clang or bpftool found): the hooks are
// never there, and attribution starts at socket diagnostics.

#include "attribution/send_time_owners.h"

namespace dnsleak::attribution {

std::unique_ptr<SendTimeHooks> openSendTimeHooks(std::string& why_not) {
  why_not = "not built in (libbpf, clang or bpftool was missing at build time)";
  return nullptr;
}

}  // namespace dnsleak::attribution
