#pragma once

#include <string>

#include "dnsleak/v1/dnsleak.pb.h"

namespace dnsleak::client {

std::string formatTime(const google::protobuf::Timestamp& t);
std::string formatDuration(const google::protobuf::Duration& d);
std::string formatEndpoint(const v1::Endpoint& ep);
std::string formatResponseTime(const google::protobuf::Duration& d);  // "0.4ms", "12ms"

// One line per event (and the reason under it for a leak), as `watch` prints.
std::string renderEvent(const v1::Event& event);
std::string renderStatus(const v1::GetStatusResponse& status);
std::string renderReport(const v1::GetReportResponse& report);
std::string renderInterfaces(const v1::ListInterfacesResponse& interfaces);
std::string renderReload(const v1::ReloadConfigResponse& reload);

// The protobuf JSON mapping on one line.
std::string toJson(const google::protobuf::Message& message);

}  // namespace dnsleak::client
