#include "app/config_loader.h"

#include "app/data_files.h"
#include "capture/capture_source.h"

namespace dnsleak::app {
namespace {

// A filter is checked against Ethernet, the link type of most named
// interfaces; one that only another link type refuses fails when that
// interface is opened, with the same sentence.
constexpr int kLinkTypeEthernet = 1;

config::LoadResult withCaptureChecks(config::LoadResult loaded, const std::string& name) {
  if (!loaded.ok()) return loaded;
  for (const auto& [interface, own] : loaded.config->capture.per_interface) {
    if (own.filter.empty()) continue;
    auto error = capture::filterError(
        kLinkTypeEthernet,
        capture::combinedFilter(capture::liveFilter(kLinkTypeEthernet, loaded.config->capture.tunnels), own.filter));
    if (!error.empty()) {
      loaded.errors.push_back({name, 0, 0, "capture.per_interface." + interface + ".filter",
                               "libpcap cannot compile '" + own.filter + "': " + error});
    }
  }
  if (!loaded.errors.empty()) loaded.config.reset();
  return loaded;
}

}  // namespace

config::LoadResult loadConfig(const std::string& path) {
  return withCaptureChecks(config::loadConfigFile(path, configLoadOptions()), path);
}

config::LoadResult parseConfig(std::string_view text, const std::string& name) {
  return withCaptureChecks(config::parseConfig(text, name, configLoadOptions()), name);
}

}  // namespace dnsleak::app
