#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace grpc {
class Server;
}

namespace dnsleak::api {

class EndpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Who is calling: the credentials read from a connection when it was
// accepted. uid -1 when unknown.
struct CallerIdentity {
  long uid = -1;
  long pid = -1;
  unsigned gid = 0;
  std::vector<unsigned> groups;
  bool inGroup(long gid) const;
};

// Where clients reach the API. The endpoint accepts connections itself so
// that it can check who is calling before gRPC sees a byte, and hands
// accepted connections to the server.
class ApiEndpoint {
 public:
  virtual ~ApiEndpoint() = default;
  // Starts accepting for `server`, which must outlive stop().
  virtual void start(grpc::Server& server) = 0;
  // Stops accepting; a socket file the endpoint made is removed.
  virtual void stop() = 0;
  // Cuts every accepted connection still open, under gRPC: for calls that
  // cannot end by themselves at shutdown. Returns how many were cut.
  virtual std::size_t disconnectAll() = 0;
  virtual std::string describe() const = 0;
  // The caller behind gRPC's ServerContext::peer() of a call on one of this
  // endpoint's connections. Any thread.
  virtual CallerIdentity identify(const std::string& peer) const = 0;
};

// A Unix stream socket at `path`, mode 0660, group `group` when that group
// exists. Its directory is created (0750), or must be a directory, not a
// symlink, owned by root or the daemon's user and writable by no one else.
// The socket is remade if it is deleted while the daemon runs; at the end
// only the socket the endpoint made is removed. A user other than root and
// the daemon's own may hold 32 connections at once. Callers are let in when they are root, the daemon's own user, or
// in `group` (primary or supplementary, by SO_PEERCRED/SO_PEERGROUPS).
// `owner_uid` (>= 0) is the user the daemon is about to become: the socket,
// and its directory when the endpoint creates it, are given to that user
// so that it can remove them at exit. Throws EndpointError with one
// sentence when the socket cannot be made.
std::unique_ptr<ApiEndpoint> makeUnixSocketEndpoint(const std::string& path, const std::string& group,
                                                    long owner_uid = -1);


// The rule above, separate so it can be tested.
struct PeerCredentials {
  unsigned uid = 0;
  unsigned gid = 0;
  std::vector<unsigned> groups;
};
bool peerAllowed(const PeerCredentials& peer, unsigned daemon_uid, long allowed_gid /* -1: none */);

}  // namespace dnsleak::api
