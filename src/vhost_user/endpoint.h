// Where a VF's vhost-user connection comes from. Server mode: softvf creates the socket
// and the front end (QEMU `-chardev socket,path=...,reconnect=1`, DPDK virtio-user) connects;
// one front end at a time, a second is refused until the first leaves. Client mode: QEMU
// created the socket (`server=on`) and softvf connects to it, retrying when refused.
#pragma once

#include <string>

#include "common/status.h"

namespace softvf::vhost_user {

enum class Mode { kServer, kClient };

class Endpoint {
 public:
  Endpoint(std::string path, Mode mode) : path_(std::move(path)), mode_(mode) {}
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  const std::string& path() const { return path_; }
  Mode mode() const { return mode_; }

  // Server: binds and listens (replacing a stale socket file, refusing a live one).
  // Client: nothing to open ahead.
  Status Open();
  // The fd to poll for a new connection (server), or -1 (client: call Connect).
  int listen_fd() const { return listen_fd_; }
  // Server: accepts one pending connection (non-blocking). Client: connects once.
  // Returns the connected socket, or a Status (EAGAIN: nothing yet / refused, try later).
  Result<int> Accept();
  Result<int> Connect();

 private:
  std::string path_;
  Mode mode_;
  int listen_fd_ = -1;
};

}  // namespace softvf::vhost_user
