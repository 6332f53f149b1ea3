#pragma once

// What dnsleakctl says when the daemon's socket cannot be used: the same
// sentences on every platform (platform_posix.cc, platform_windows.cc).

#include <string>

namespace dnsleak::client::messages {

inline std::string noSocket(const std::string& path) {
  return "dnsleakctl: no socket at " + path + ": dnsleakd is not running (or listens elsewhere; see --socket)\n";
}
inline std::string notASocket(const std::string& path) {
  return "dnsleakctl: " + path + " is not a socket: is --socket right?\n";
}
inline std::string pathTooLong(const std::string& path) {
  return "dnsleakctl: socket path " + path + " is too long\n";
}
inline std::string nothingListening(const std::string& path) {
  return "dnsleakctl: nothing is listening on " + path +
         ": dnsleakd is not running (the socket file is left from an earlier run)\n";
}
inline std::string cannotConnect(const std::string& path, const std::string& why) {
  return "dnsleakctl: cannot connect to " + path + ": " + why + "\n";
}
// `served` is who the daemon serves: "root and members of group 'dnsleak'".
inline std::string permissionDeniedReaching(const std::string& path, const std::string& served) {
  return "dnsleakctl: permission denied reaching " + path + ": dnsleakd serves " + served + "\n";
}
inline std::string permissionDeniedOn(const std::string& path, const std::string& served) {
  return "dnsleakctl: permission denied on " + path + ": dnsleakd serves " + served + "\n";
}

}  // namespace dnsleak::client::messages
