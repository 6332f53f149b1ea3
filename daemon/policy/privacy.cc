#include "policy/privacy.h"

#include "core/names.h"
#include "policy/suffix_list.h"

namespace dnsleak::policy {
namespace {

// DNS types whose data is a name: NS, CNAME, PTR, DNAME.
bool dataIsName(std::uint16_t type) { return type == 2 || type == 5 || type == 12 || type == 39; }

}  // namespace

std::string registrableDomain(std::string_view name) {
  std::string lower = core::lowerName(name);
  if (lower.empty()) return lower;
  // libpsl takes a C string: a name with a NUL in it (an SNI may carry
  // one) would be cut there, and the part before it, subdomains and all,
  // returned. Such a name gets the guess below, over all of it.
  if (lower.find('\0') == std::string::npos) {
    if (auto registrable = registrableByList(lower)) return *std::move(registrable);
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
