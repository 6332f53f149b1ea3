#pragma once

#include <string>
#include <string_view>

#include "api/control_plane.h"
#include "core/event.h"
#include "dnsleak/v1/dnsleak.pb.h"
#include "store/event_store.h"

namespace dnsleak::api {

void toProto(const core::Event& event, v1::Event* out);
// "tcp", "udp" or "": an event's ip_protocol as the API names it.
std::string_view ipProtocolName(std::uint8_t ip_protocol);
void toProto(const StatusSnapshot& status, const store::StoreStats& store, std::uint64_t watchers,
             v1::GetStatusResponse* out);
void toProto(const config::ConfigError& error, v1::ConfigError* out);

// The protobuf JSON mapping on one line, every field present.
std::string toJson(const google::protobuf::Message& message);

}  // namespace dnsleak::api
