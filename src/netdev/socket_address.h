// An IPv4 or IPv6 address and UDP port written the way users write them:
// "192.0.2.1:4789", "[2001:db8::1]:4789". Numeric only (no name lookup: configuration
// must not depend on DNS at start-up).
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace softvf::netdev {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  // The same notation Parse reads.
  std::string ToString() const;

  // EINVAL with the offending text when it is not ADDR:PORT.
  static Result<SocketAddress> Parse(std::string_view text);
};

}  // namespace softvf::netdev
