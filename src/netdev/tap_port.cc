#include "netdev/tap_port.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "netdev/interface.h"
#include "netdev/socket_burst.h"

namespace softvf::netdev {
namespace {

constexpr uint32_t kEthHeaderLen = 14;

}  // namespace

TapPort::TapPort(std::string name, UniqueFd fd, std::unique_ptr<LinkMonitor> monitor, int ifindex,
                 bool persistent)
    : HostPort(std::move(name), std::move(fd), std::move(monitor)),
      ifindex_(ifindex),
      persistent_(persistent) {}

TapPort::~TapPort() = default;

Result<std::unique_ptr<TapPort>> TapPort::Open(const TapConfig& config) {
  if (!config.name.empty()) SOFTVF_RETURN_IF_ERROR(ValidateInterfaceName(config.name));
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "/dev/net/tun");

  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, config.name.data(), config.name.size());
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) {
    const int err = errno;
    const std::string who = config.name.empty() ? std::string("tap") : config.name;
    if (err == EINVAL && !config.name.empty() && InterfaceIndex(config.name).ok())
      return Status::Errno(err, who + ": exists and is not a TAP interface");
    return ErrnoStatus(err, who);
  }
  std::string name(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  if (::ioctl(fd.get(), TUNGETIFF, &ifr) < 0) return ErrnoStatus(errno, name + ": TUNGETIFF");
  const bool persistent = (ifr.ifr_flags & IFF_PERSIST) != 0;

  // Failing from here on closes fd, which removes a TAP we created: Open is all or nothing.
  if (config.mac) SOFTVF_RETURN_IF_ERROR(SetInterfaceMac(name, *config.mac));
  if (config.mtu != 0) SOFTVF_RETURN_IF_ERROR(SetInterfaceMtu(name, config.mtu));
  if (config.up) SOFTVF_RETURN_IF_ERROR(SetInterfaceUp(name, true));
  auto ifindex = InterfaceIndex(name);
  if (!ifindex.ok()) return ifindex.status();
  auto monitor = LinkMonitor::Open(*ifindex);
  if (!monitor.ok()) return monitor.status();
  return std::unique_ptr<TapPort>(new TapPort(std::move(name), std::move(fd),
                                              std::move(monitor).value(), *ifindex, persistent));
}

Status TapPort::SetCarrier(bool on) {
  int value = on ? 1 : 0;
  if (::ioctl(fd(), TUNSETCARRIER, &value) < 0) return ErrnoStatus(errno, name());
  return Status::Ok();
}

size_t TapPort::ReceiveBurst(std::span<RxSlot> slots) {
  const size_t want = slots.size() < kMaxBurst ? slots.size() : kMaxBurst;
  size_t n = 0;
  // Bounded even if every frame is refused, so one call never reads forever.
  for (size_t reads = 0; n < want && reads < 2 * kMaxBurst; ++reads) {
    RxSlot& slot = slots[n];
    // A byte past the buffer tells a frame that did not fit: tun returns the length it
    // copied, not the frame's.
    iovec iov[2] = {{slot.buffer, slot.capacity}, {&overflow_, 1}};
    const ssize_t r = ::readv(fd(), iov, 2);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.socket_errors;
      break;
    }
    if (static_cast<size_t>(r) > slot.capacity) {
      ++counters_.rx_errors;
      ++counters_.rx_oversize;
      continue;
    }
    if (static_cast<size_t>(r) < kEthHeaderLen) {
      ++counters_.rx_errors;
      continue;
    }
    slot.offset = 0;
    slot.len = static_cast<uint32_t>(r);
    ++counters_.rx_frames;
    counters_.rx_bytes += slot.len;
    ++n;
  }
  return n;
}

size_t TapPort::SendBurst(std::span<const TxFrame> frames) {
  size_t sent = 0;
  size_t tried = 0;
  for (const TxFrame& frame : frames) {
    if (tried++ == kMaxBurst) {
      counters_.tx_dropped += frames.size() - kMaxBurst;
      break;
    }
    const int64_t len = FrameLength(frame.iov, frame.iovcnt, kMaxFrameLen);
    if (len < kEthHeaderLen) {
      ++counters_.tx_errors;
      continue;
    }
    ssize_t w;
    do {
      w = ::writev(fd(), frame.iov, frame.iovcnt);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
      // EIO: the TAP is down (tun_get_user refuses frames while !IFF_UP).
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
        ++counters_.tx_dropped;
      else
        ++counters_.tx_errors;
      continue;
    }
    ++counters_.tx_frames;
    counters_.tx_bytes += static_cast<uint64_t>(w);
    ++sent;
  }
  return sent;
}

}  // namespace softvf::netdev
