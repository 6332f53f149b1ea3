#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/control_plane.h"
#include "api/endpoint.h"
#include "store/event_store.h"

namespace dnsleak::api {

// The dnsleak.v1 gRPC service, plus the standard health and reflection
// services, served on an ApiEndpoint. Start and stop from one thread.
class ApiServer {
 public:
  ApiServer(store::EventStore& store, ControlPlane& control);
  ~ApiServer();

  // Builds the server and starts accepting on the endpoint. Throws
  // std::runtime_error when the server cannot be built.
  void start(std::unique_ptr<ApiEndpoint> endpoint);
  // Stops accepting, ends every open stream, and waits for the handlers.
  void stop();

  // Called when the first Watch stream opens (true) and when the last one
  // ends (false), from gRPC's threads: capture reads promptly only while
  // someone watches. Set before start().
  void onWatching(std::function<void(bool)> watching);

  std::string describe() const;
  // The counters GetStatus answers, as Prometheus text (GetMetrics says the same).
  std::string metricsText() const;

  class Impl;  // the service; public so its reactors (in server.cc) can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnsleak::api
