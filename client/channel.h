#pragma once

// The gRPC channel over a connection platform.h checked: one file per
// platform (channel_posix.cc, channel_windows.cc), chosen in CMake.

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>

namespace dnsleak::client {

// A channel to the daemon at `path` that takes over `handle`.
std::shared_ptr<grpc::Channel> channelOver(const std::string& path, std::intptr_t handle);

// A report of a large store is larger than gRPC's 4 MiB default.
inline grpc::ChannelArguments channelArguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(512 * 1024 * 1024);
  return args;
}

}  // namespace dnsleak::client
