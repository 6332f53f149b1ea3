#pragma once

#include <string>
#include <string_view>

#include "api/json_string.h"
#include "core/event.h"

namespace dnsleak::api {

// Appends the event as protobuf's JSON mapping of dnsleak.v1.Event would
// print it (toJson(toProto(event)): camelCase names, 64-bit integers as
// strings, enums by name, every primitive field present, unset messages
// left out, Timestamp and Duration fields last as protobuf 3.21 orders
// them), byte for byte, but written directly: about a hundred times faster
// than going through protobuf's reflection, which is what `--read --json`
// prints for every event. tests/unit/api/event_json_test.cc holds it to
// protobuf's output.
void appendEventJson(const core::Event& event, std::string& out);

// The same bytes, in a buffer of the calling thread's that its next call
// overwrites: for a writer that copies them straight out.
std::string_view eventJson(const core::Event& event);

}  // namespace dnsleak::api
