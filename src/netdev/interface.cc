#include "netdev/interface.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "netdev/unique_fd.h"

namespace softvf::netdev {
namespace {

// Any socket carries the interface ioctls; AF_INET is what ifconfig uses.
Result<UniqueFd> IoctlSocket() {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus(errno, "socket");
  return fd;
}

Result<ifreq> Request(const std::string& name) {
  SOFTVF_RETURN_IF_ERROR(ValidateInterfaceName(name));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  return ifr;
}

// Runs one ioctl on name; on failure the message is "NAME: <strerror>".
Status Ioctl(const std::string& name, unsigned long request, ifreq& ifr) {
  auto fd = IoctlSocket();
  if (!fd.ok()) return fd.status();
  if (::ioctl(fd->get(), request, &ifr) < 0) return ErrnoStatus(errno, name);
  return Status::Ok();
}

}  // namespace

Status ErrnoStatus(int err, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += std::strerror(err);
  return Status::Errno(err, std::move(message));
}

Status ValidateInterfaceName(std::string_view name) {
  bool ok = !name.empty() && name.size() < IFNAMSIZ && name != "." && name != "..";
  for (char c : name) ok = ok && c != '/' && c != ':' && c > ' ' && c != 0x7f;
  if (ok) return Status::Ok();
  return Status::Errno(EINVAL, "\"" + std::string(name) + "\" is not a valid interface name");
}

Result<int> InterfaceIndex(const std::string& name) {
  auto ifr = Request(name);
  if (!ifr.ok()) return ifr.status();
  SOFTVF_RETURN_IF_ERROR(Ioctl(name, SIOCGIFINDEX, ifr.value()));
  return ifr.value().ifr_ifindex;
}

Result<InterfaceInfo> QueryInterface(const std::string& name) {
  auto req = Request(name);
  if (!req.ok()) return req.status();
  ifreq ifr = *req;
  InterfaceInfo info;
  SOFTVF_RETURN_IF_ERROR(Ioctl(name, SIOCGIFINDEX, ifr));
  info.ifindex = ifr.ifr_ifindex;
  SOFTVF_RETURN_IF_ERROR(Ioctl(name, SIOCGIFHWADDR, ifr));
  info.hw_type = ifr.ifr_hwaddr.sa_family;
  std::array<uint8_t, 6> mac;
  std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
  info.mac = MacAddress(mac);
  SOFTVF_RETURN_IF_ERROR(Ioctl(name, SIOCGIFMTU, ifr));
  info.mtu = static_cast<uint32_t>(ifr.ifr_mtu);
  SOFTVF_RETURN_IF_ERROR(Ioctl(name, SIOCGIFFLAGS, ifr));
  info.flags = static_cast<uint16_t>(ifr.ifr_flags);
  return info;
}

Status SetInterfaceMac(const std::string& name, const MacAddress& mac) {
  auto req = Request(name);
  if (!req.ok()) return req.status();
  ifreq ifr = *req;
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  std::memcpy(ifr.ifr_hwaddr.sa_data, mac.bytes().data(), mac.bytes().size());
  return Ioctl(name, SIOCSIFHWADDR, ifr);
}

Status SetInterfaceMtu(const std::string& name, uint32_t mtu) {
  auto req = Request(name);
  if (!req.ok()) return req.status();
  ifreq ifr = *req;
  ifr.ifr_mtu = static_cast<int>(mtu);
  return Ioctl(name, SIOCSIFMTU, ifr);
}

Status SetInterfaceUp(const std::string& name, bool up) {
  auto req = Request(name);
  if (!req.ok()) return req.status();
  ifreq ifr = *req;
  SOFTVF_RETURN_IF_ERROR(Ioctl(name, SIOCGIFFLAGS, ifr));
  if (up)
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  else
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
  return Ioctl(name, SIOCSIFFLAGS, ifr);
}

}  // namespace softvf::netdev
