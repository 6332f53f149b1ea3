#pragma once

// What the API's requests ask, apart from gRPC: checking each request's
// fields, the filter a watch applies, and a report built from the store.
// Every field comes from a client and is checked here before use.

#include <functional>
#include <string>

#include "core/event.h"
#include "dnsleak/v1/dnsleak.pb.h"
#include "store/event_store.h"

namespace dnsleak::api {

// Limits on a request's lists: a filter is applied to every stored event
// a watcher looks at, so its size is the daemon's cost, not the client's.
inline constexpr int kMaxFilterEntries = 256;
inline constexpr std::size_t kMaxFilterTextBytes = 1024;

// Empty when the request may be served; otherwise why not, one sentence
// for the client (INVALID_ARGUMENT).
std::string checkReportRequest(const v1::GetReportRequest& request);
std::string checkWatchRequest(const v1::WatchRequest& request);

// Which events a watch sends; empty (no function) when it sends all.
using EventFilter = std::function<bool(const core::Event&)>;
EventFilter makeWatchFilter(const v1::WatchRequest& request);

// The report over what `store` holds. The request must have passed
// checkReportRequest.
void buildReport(const store::EventStore& store, const v1::GetReportRequest& request, v1::GetReportResponse* response);

}  // namespace dnsleak::api
