#pragma once

// The adapters of this Windows host (GetAdaptersAddresses) and the
// interface-name seam over them. Windows builds only.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture/adapters.h"
#include "capture/interface_names.h"

namespace dnsleak::capture {

// Every adapter, ordered by index, Windows' own loopback left out and
// Npcap's loopback device added (adapters.h). A system call: control plane
// only. On failure, empty with `error` set.
std::vector<Adapter> windowsAdapters(std::string& error);

// Whether Npcap's wpcap.dll loads, from System32\Npcap where Npcap puts
// it (never WinPcap's, in System32 itself). True with `version` set to
// Npcap's pcap_lib_version(); false with `version` saying why, starting
// "Npcap is not installed" when the DLL is missing. Capture needs it; the
// rest of the daemon does not, so this is asked before capture starts and
// in diagnostics.
bool npcapPresent(std::string& version);

// wpcap.dll itself (an HMODULE), loaded once from System32\Npcap; null
// with `why` as npcapPresent() says it. Any thread.
void* npcapLibrary(std::string& why);

// InterfaceNames by adapter index: friendly names and kinds, looked up
// again when older than `refresh` (an index can be reused when an adapter
// comes back, as VPN adapters do).
class WindowsInterfaceNames : public InterfaceNames {
 public:
  explicit WindowsInterfaceNames(std::chrono::seconds refresh = std::chrono::seconds(10));
  const std::string& name(std::uint32_t ifindex) override;
  const std::string& kind(std::uint32_t ifindex) override;

 private:
  struct Entry {
    std::string name;
    std::string kind;
  };
  void refreshIfOld();
  std::chrono::seconds refresh_;
  std::chrono::steady_clock::time_point looked_up_{};
  bool ever_ = false;
  std::unordered_map<std::uint32_t, Entry> by_index_;
  std::string empty_;
};

}  // namespace dnsleak::capture
