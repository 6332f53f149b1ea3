#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "core/event.h"

namespace dnsleak::policy {

// The registrable domain of `name` by the Public Suffix List (libpsl):
// "www.example.co.uk" gives "example.co.uk". A name that has none (a single
// label, a public suffix itself) is given back lower-cased.
std::string registrableDomain(std::string_view name);

// Cuts an event down to what the privacy mode keeps. `redacted`: names
// (question, answers, server name) to their registrable domain, answer data
// other than addresses likewise or dropped, the command line dropped.
// `minimal`: no names and no answers; of the process, its pid and name.
void applyPrivacy(config::PrivacyMode mode, core::Event& event);

}  // namespace dnsleak::policy
