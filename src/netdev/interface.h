// A host network interface reached by name through the classic ioctls (SIOCGIFINDEX,
// SIOC[GS]IFHWADDR, SIOC[GS]IFMTU, SIOC[GS]IFFLAGS), as ifconfig(8) does. Control plane
// only: every call is a syscall and errors come back as a Status whose message reads
// like the tools' ("enp49s0f1v0: No such device").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/mac_address.h"
#include "common/status.h"

namespace softvf::netdev {

// "CONTEXT: <strerror(err)>" with errno err.
Status ErrnoStatus(int err, std::string_view context);

// A name the kernel accepts for a netdev (net/core/dev.c dev_valid_name): 1 to 15 bytes,
// not "." or "..", no '/', ':' or whitespace. EINVAL otherwise.
Status ValidateInterfaceName(std::string_view name);

// The interface's index in the caller's network namespace; ENODEV when there is none.
Result<int> InterfaceIndex(const std::string& name);

struct InterfaceInfo {
  int ifindex = 0;
  uint16_t hw_type = 0;  // ARPHRD_*, e.g. ARPHRD_ETHER
  MacAddress mac;
  uint32_t mtu = 0;
  uint32_t flags = 0;  // IFF_*
};
Result<InterfaceInfo> QueryInterface(const std::string& name);

// The kernel refuses multicast and all-zero addresses (EADDRNOTAVAIL).
Status SetInterfaceMac(const std::string& name, const MacAddress& mac);
Status SetInterfaceMtu(const std::string& name, uint32_t mtu);
// Sets or clears IFF_UP (`ip link set dev NAME up|down`).
Status SetInterfaceUp(const std::string& name, bool up);

}  // namespace softvf::netdev
