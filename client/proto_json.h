#pragma once

// Protocol Buffers messages as JSON, written the way protobuf's own
// MessageToJsonString writes them with always_print_primitive_fields, byte
// for byte, at a small fraction of its cost: `dnsleakctl --json watch`
// spent most of its time in protobuf's generic converter and fell behind
// the daemon at a few thousand events a second.

#include <google/protobuf/message.h>

#include <string>

namespace dnsleak::client {

// Appends `message` as JSON to `out`. Messages it does not write the same
// way as protobuf (a map, a well-known type other than Timestamp and
// Duration, a time outside protobuf's range) are handed to protobuf whole.
void appendJson(const google::protobuf::Message& message, std::string& out);

// The writer alone: false, with nothing appended, for a message it leaves
// to protobuf.
bool writeJson(const google::protobuf::Message& message, std::string& out);

// protobuf's own writer with the same options: the reference the tests hold
// appendJson to. "{}" if it fails.
std::string protobufJson(const google::protobuf::Message& message);

}  // namespace dnsleak::client
