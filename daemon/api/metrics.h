#pragma once

#include <string>

#include "dnsleak/v1/dnsleak.pb.h"

namespace dnsleak::api {

// The counters of a status answer in the Prometheus text exposition format
// (0.0.4): every family with its HELP and TYPE, counters ending in _total,
// label values escaped. Names start with dnsleak_.
std::string prometheusText(const v1::GetStatusResponse& status);

// Writes `text` to `path` atomically: a temporary file beside it, then a
// rename, so a collector never reads half of it. "" on success, else why.
std::string writeFileAtomically(const std::string& path, const std::string& text);

}  // namespace dnsleak::api
