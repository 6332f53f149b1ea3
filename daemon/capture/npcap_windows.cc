#include "capture/npcap_windows.h"

#include <windows.h>

#include <mutex>

#include "capture/adapters_windows.h"

namespace dnsleak::capture {
namespace {

struct Loaded {
  Wpcap functions;
  bool ok = false;
  std::string why;
};

template <typename Function>
bool resolve(HMODULE dll, const char* name, Function& out, std::string& why) {
  out = reinterpret_cast<Function>(reinterpret_cast<void*>(GetProcAddress(dll, name)));
  if (!out) why = "Npcap's wpcap.dll has no " + std::string(name) + ": Npcap is too old (1.0 or later is needed)";
  return out != nullptr;
}

Loaded load() {
  Loaded l;
  auto* wpcap = static_cast<HMODULE>(npcapLibrary(l.why));
  if (!wpcap) return l;
  Wpcap& f = l.functions;
  l.ok = resolve(wpcap, "pcap_lib_version", f.lib_version, l.why) && resolve(wpcap, "pcap_create", f.create, l.why) &&
         resolve(wpcap, "pcap_set_snaplen", f.set_snaplen, l.why) &&
         resolve(wpcap, "pcap_set_promisc", f.set_promisc, l.why) &&
         resolve(wpcap, "pcap_set_timeout", f.set_timeout, l.why) &&
         resolve(wpcap, "pcap_set_buffer_size", f.set_buffer_size, l.why) &&
         resolve(wpcap, "pcap_set_immediate_mode", f.set_immediate_mode, l.why) &&
         resolve(wpcap, "pcap_activate", f.activate, l.why) && resolve(wpcap, "pcap_datalink", f.datalink, l.why) &&
         resolve(wpcap, "pcap_compile", f.compile, l.why) && resolve(wpcap, "pcap_setfilter", f.setfilter, l.why) &&
         resolve(wpcap, "pcap_freecode", f.freecode, l.why) && resolve(wpcap, "pcap_getevent", f.getevent, l.why) &&
         resolve(wpcap, "pcap_next_ex", f.next_ex, l.why) && resolve(wpcap, "pcap_stats", f.stats, l.why) &&
         resolve(wpcap, "pcap_geterr", f.geterr, l.why) && resolve(wpcap, "pcap_statustostr", f.statustostr, l.why) &&
         resolve(wpcap, "pcap_close", f.close, l.why);
  return l;
}

}  // namespace

const Wpcap* npcap(std::string& why) {
  static const Loaded loaded = load();
  if (!loaded.ok) {
    why = loaded.why;
    return nullptr;
  }
  return &loaded.functions;
}

}  // namespace dnsleak::capture
