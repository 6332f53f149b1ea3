#pragma once

// Npcap's libpcap (wpcap.dll), loaded at run time from System32\Npcap
// where Npcap installs it, never WinPcap's from System32: the daemon starts
// and says clearly what is missing when Npcap is not installed, and builds
// without Npcap's SDK libraries (only libpcap's headers). Windows only.

#include <pcap/pcap.h>

#include <string>

namespace dnsleak::capture {

// The libpcap functions capture uses, from wpcap.dll.
struct Wpcap {
  decltype(&::pcap_lib_version) lib_version = nullptr;
  decltype(&::pcap_create) create = nullptr;
  decltype(&::pcap_set_snaplen) set_snaplen = nullptr;
  decltype(&::pcap_set_promisc) set_promisc = nullptr;
  decltype(&::pcap_set_timeout) set_timeout = nullptr;
  decltype(&::pcap_set_buffer_size) set_buffer_size = nullptr;
  decltype(&::pcap_set_immediate_mode) set_immediate_mode = nullptr;
  decltype(&::pcap_activate) activate = nullptr;
  decltype(&::pcap_datalink) datalink = nullptr;
  decltype(&::pcap_compile) compile = nullptr;
  decltype(&::pcap_setfilter) setfilter = nullptr;
  decltype(&::pcap_freecode) freecode = nullptr;
  decltype(&::pcap_getevent) getevent = nullptr;
  decltype(&::pcap_next_ex) next_ex = nullptr;
  decltype(&::pcap_stats) stats = nullptr;
  decltype(&::pcap_geterr) geterr = nullptr;
  decltype(&::pcap_statustostr) statustostr = nullptr;
  decltype(&::pcap_close) close = nullptr;
};

// Npcap's functions, loaded once; nullptr with `why` when they cannot be
// ("Npcap is not installed (https://npcap.com): ..." when the DLL is
// missing). Any thread.
const Wpcap* npcap(std::string& why);

}  // namespace dnsleak::capture
