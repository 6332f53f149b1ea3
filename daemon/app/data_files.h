#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace dnsleak::app {

// Where dnsleakd looks for the data it ships (the resolver list), first
// match wins: $DNSLEAK_DATA_DIR; share/dnsleak beside the executable (a
// build tree); ../share/dnsleak from it (any install prefix); the data
// directory the build was configured for (/usr/share/dnsleak).
std::vector<std::string> dataDirectories();

// The first existing `name` in dataDirectories(), or "" when none has it.
std::string findDataFile(const std::string& name);

// The shipped list of public encrypted-DNS resolvers, as findDataFile.
inline constexpr const char* kResolverListName = "public-resolvers.txt";

// How every config is read in this process (start-up, reload,
// --check-config, --read): with the shipped resolver list as its default.
// When no directory has the list, the configured location is named, so
// that loading fails with that path rather than detecting no DoH.
config::LoadOptions configLoadOptions();

}  // namespace dnsleak::app
