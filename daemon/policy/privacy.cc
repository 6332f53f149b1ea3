#include "policy/privacy.h"

#include <libpsl.h>

#include "core/names.h"

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

// DNS types whose data is a name: NS, CNAME, PTR, DNAME.
bool dataIsName(std::uint16_t type) { return type == 2 || type == 5 || type == 12 || type == 39; }

}  // namespace

std::string registrableDomain(std::string_view name) {
  std::string lower = core::lowerName(name);
  if (lower.empty()) return lower;
  // libpsl takes a C string: a name with a NUL in it (an SNI may carry
  // one) would be cut there, and the part before it, subdomains and all,
  // returned. Such a name gets the guess below, over all of it.
  const psl_ctx_t* list = lower.find('\0') == std::string::npos ? suffixList() : nullptr;
  if (list != nullptr) {
    if (const char* registrable = psl_registrable_domain(list, lower.c_str())) return registrable;
    return lower;
  }
  // No list at all: the last two labels are the best guess.
  auto last = lower.rfind('.');
  if (last == std::string::npos || last == 0) return lower;
  auto before = lower.rfind('.', last - 1);
  return before == std::string::npos ? lower : lower.substr(before + 1);
}

void applyPrivacy(config::PrivacyMode mode, core::Event& e) {
  switch (mode) {
    case config::PrivacyMode::kFull:
      return;
    case config::PrivacyMode::kRedacted:
      e.dns.qname = registrableDomain(e.dns.qname);
      for (auto& a : e.dns.answers) {
        a.name = registrableDomain(a.name);
        if (dataIsName(a.type)) {
          a.data = registrableDomain(a.data);
        } else if (a.type != 1 && a.type != 28) {  // addresses stay: they are not names
          a.data.clear();
        }
      }
      e.sni = registrableDomain(e.sni);
      e.process.cmdline.clear();
      return;
    case config::PrivacyMode::kMinimal: {
      e.dns.qname.clear();
      e.dns.answers.clear();
      e.sni.clear();
      core::ProcessInfo kept;
      kept.pid = e.process.pid;
      kept.tgid = e.process.tgid;
      kept.name = std::move(e.process.name);
      e.process = std::move(kept);
      return;
    }
  }
}

}  // namespace dnsleak::policy
