// The channel on Windows: gRPC has no channel from a socket there
// (CreateCustomInsecureChannelFromFd is POSIX only), so the checked socket
// is closed and gRPC connects to the same path. The directory's DACL
// (api/socket_directory_windows.h) keeps anyone but SYSTEM and
// Administrators from putting another socket there in between.

#include <winsock2.h>

#include "channel.h"
#include "platform.h"

namespace dnsleak::client {

std::shared_ptr<grpc::Channel> channelOver(const std::string& path, std::intptr_t handle) {
  closeDaemonSocket(handle);
  return grpc::CreateCustomChannel("unix:" + path, grpc::InsecureChannelCredentials(), channelArguments());
}

}  // namespace dnsleak::client
