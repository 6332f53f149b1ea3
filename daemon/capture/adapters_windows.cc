// Windows adapters from GetAdaptersAddresses.

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <algorithm>

#include "capture/adapters_windows.h"
#include "core/ip_address.h"
#include "platform/windows_text.h"

namespace dnsleak::capture {
namespace {

// Formatted by the project's own code: Winsock's would need WSAStartup.
std::string addressText(const SOCKET_ADDRESS& address, unsigned prefix) {
  char text[core::kMaxAddressText];
  std::size_t length = 0;
  if (address.lpSockaddr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address.lpSockaddr);
    length = core::formatIpv4(reinterpret_cast<const std::uint8_t*>(&in->sin_addr), text);
  } else if (address.lpSockaddr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.lpSockaddr);
    length = core::formatIpv6(reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr), text);
  } else {
    return {};
  }
  return std::string(text, length) + "/" + std::to_string(prefix);
}

}  // namespace

std::vector<Adapter> windowsAdapters(std::string& error) {
  std::vector<Adapter> out;
  ULONG size = 16 * 1024;
  std::vector<unsigned char> buffer;
  ULONG result = ERROR_BUFFER_OVERFLOW;
  // The list may grow between the call that sizes it and the one that fills it.
  for (int attempt = 0; attempt < 4 && result == ERROR_BUFFER_OVERFLOW; ++attempt) {
    buffer.resize(size);
    result = GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER,
                                  nullptr, reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()), &size);
  }
  if (result != NO_ERROR) {
    error = "cannot list the network adapters: " + platform::systemMessage(result);
    return out;
  }
  for (auto* a = reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()); a; a = a->Next) {
    if (a->IfType == IF_TYPE_SOFTWARE_LOOPBACK) continue;  // Npcap's own device stands for it
    Adapter adapter;
    adapter.guid = a->AdapterName ? a->AdapterName : "";
    adapter.friendly_name = platform::narrow(a->FriendlyName);
    adapter.description = platform::narrow(a->Description);
    adapter.index = a->IfIndex ? a->IfIndex : a->Ipv6IfIndex;
    adapter.if_type = a->IfType;
    adapter.up = a->OperStatus == IfOperStatusUp;
    for (auto* u = a->FirstUnicastAddress; u; u = u->Next) {
      std::string text = addressText(u->Address, u->OnLinkPrefixLength);
      if (!text.empty()) adapter.addresses.push_back(std::move(text));
    }
    out.push_back(std::move(adapter));
  }
  out.push_back(npcapLoopbackAdapter());
  std::sort(out.begin(), out.end(), [](const Adapter& x, const Adapter& y) { return x.index < y.index; });
  return out;
}

void* npcapLibrary(std::string& why) {
  struct Loaded {
    HMODULE dll = nullptr;
    std::string why;
  };
  static const Loaded loaded = [] {
    Loaded l;
    wchar_t system[MAX_PATH];
    UINT n = GetSystemDirectoryW(system, MAX_PATH);
    if (n == 0 || n >= MAX_PATH) {
      l.why = "cannot find the system directory: " + platform::systemMessage(GetLastError());
      return l;
    }
    const std::wstring dll = std::wstring(system, n) + L"\\Npcap\\wpcap.dll";
    // Packet.dll, which wpcap.dll needs, is beside it: searched from there.
    l.dll = LoadLibraryExW(dll.c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (!l.dll) {
      DWORD code = GetLastError();
      l.why = (code == ERROR_MOD_NOT_FOUND ? "Npcap is not installed (https://npcap.com): "
                                           : "Npcap's wpcap.dll does not load: ") +
              platform::narrow(dll) + ": " + platform::systemMessage(code);
    }
    return l;
  }();
  if (!loaded.dll) why = loaded.why;
  return loaded.dll;
}

bool npcapPresent(std::string& version) {
  auto* dll = static_cast<HMODULE>(npcapLibrary(version));
  if (!dll) return false;
  using LibVersion = const char* (*)();
  auto lib_version = reinterpret_cast<LibVersion>(reinterpret_cast<void*>(GetProcAddress(dll, "pcap_lib_version")));
  version = lib_version ? lib_version() : "Npcap (version unknown)";
  return true;
}

WindowsInterfaceNames::WindowsInterfaceNames(std::chrono::seconds refresh) : refresh_(refresh) {}

void WindowsInterfaceNames::refreshIfOld() {
  auto now = std::chrono::steady_clock::now();
  if (ever_ && now - looked_up_ < refresh_) return;
  ever_ = true;
  looked_up_ = now;
  std::string error;
  auto adapters = windowsAdapters(error);
  if (!error.empty()) return;  // keep what was known
  by_index_.clear();
  for (const auto& a : adapters) by_index_[a.index] = {a.friendly_name, adapterKind(a)};
}

const std::string& WindowsInterfaceNames::name(std::uint32_t ifindex) {
  refreshIfOld();
  auto it = by_index_.find(ifindex);
  return it == by_index_.end() ? empty_ : it->second.name;
}

const std::string& WindowsInterfaceNames::kind(std::uint32_t ifindex) {
  refreshIfOld();
  auto it = by_index_.find(ifindex);
  return it == by_index_.end() ? empty_ : it->second.kind;
}

}  // namespace dnsleak::capture
