#include "netdev/udp_tunnel_port.h"

#include <netinet/in.h>

#include <cerrno>

#include "netdev/interface.h"
#include "netdev/socket_burst.h"

namespace softvf::netdev {
namespace {

constexpr uint32_t kEthHeaderLen = 14;

}  // namespace

UdpTunnelPort::UdpTunnelPort(UniqueFd fd, const SocketAddress& local, const SocketAddress& peer,
                             uint32_t mtu)
    : HostPort(local.ToString() + "->" + peer.ToString(), std::move(fd), nullptr),
      local_(local),
      peer_(peer) {
  set_link(LinkState{.present = true, .admin_up = true, .carrier = true, .mtu = mtu});
  for (size_t i = 0; i < kMaxBurst; ++i) {
    msghdr& rx = rx_msgs_[i].msg_hdr;
    rx.msg_iov = &rx_iov_[i];
    rx.msg_iovlen = 1;
    rx.msg_control = rx_control_[i].bytes;
  }
}

UdpTunnelPort::~UdpTunnelPort() = default;

Result<std::unique_ptr<UdpTunnelPort>> UdpTunnelPort::Open(const UdpTunnelConfig& config) {
  auto local = SocketAddress::Parse(config.local);
  if (!local.ok()) return local.status();
  auto peer = SocketAddress::Parse(config.peer);
  if (!peer.ok()) return peer.status();
  if (local->family() != peer->family())
    return Status::Errno(EAFNOSUPPORT, "udp tunnel " + config.local + " -> " + config.peer +
                                           ": local and peer addresses differ in family");
  if (config.mtu < 68 || config.mtu > kMaxTunnelMtu)
    return Status::Errno(EINVAL, "udp tunnel mtu " + std::to_string(config.mtu) +
                                     " is outside [68, " + std::to_string(kMaxTunnelMtu) + "]");

  UniqueFd fd(::socket(local->family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus(errno, "udp socket");
  const int s = fd.get();
  const int one = 1;
  if (::setsockopt(s, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0)
    return ErrnoStatus(errno, "SO_RXQ_OVFL");
  // Fragment on a smaller path rather than refuse (and never learn a PMTU that would).
  const int pmtu = local->family() == AF_INET ? IP_PMTUDISC_DONT : IPV6_PMTUDISC_DONT;
  const int level = local->family() == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
  const int option = local->family() == AF_INET ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER;
  if (::setsockopt(s, level, option, &pmtu, sizeof(pmtu)) < 0)
    return ErrnoStatus(errno, "path MTU discovery");
  SetSocketBuffers(s, config.socket_buffer);

  if (::bind(s, local->get(), local->len) < 0) return ErrnoStatus(errno, config.local);
  if (::connect(s, peer->get(), peer->len) < 0) return ErrnoStatus(errno, config.peer);
  SocketAddress bound;
  bound.len = sizeof(bound.storage);
  if (::getsockname(s, reinterpret_cast<sockaddr*>(&bound.storage), &bound.len) < 0)
    return ErrnoStatus(errno, "getsockname");
  return std::unique_ptr<UdpTunnelPort>(new UdpTunnelPort(std::move(fd), bound, *peer, config.mtu));
}

size_t UdpTunnelPort::ReceiveBurst(std::span<RxSlot> slots) {
  const size_t want = slots.size() < kMaxBurst ? slots.size() : kMaxBurst;
  for (size_t i = 0; i < want; ++i) {
    rx_iov_[i] = {slots[i].buffer, slots[i].capacity};
    msghdr& msg = rx_msgs_[i].msg_hdr;
    msg.msg_controllen = kControlLen;
    msg.msg_flags = 0;
  }
  const size_t got = ReceiveMessages(fd(), rx_msgs_.data(), want, counters_);
  size_t n = 0;
  for (size_t i = 0; i < got; ++i) {
    const msghdr& msg = rx_msgs_[i].msg_hdr;
    const int64_t drops = DropCount(msg);
    if (drops >= 0) counters_.rx_dropped = static_cast<uint64_t>(drops);
    if (msg.msg_flags & MSG_TRUNC) {
      ++counters_.rx_errors;
      ++counters_.rx_oversize;
      continue;
    }
    if (rx_msgs_[i].msg_len < kEthHeaderLen) {
      ++counters_.rx_errors;
      continue;
    }
    if (n != i) {  // keep frames in [0, n): the dropped frame's buffer moves back
      std::swap(slots[n].buffer, slots[i].buffer);
      std::swap(slots[n].capacity, slots[i].capacity);
    }
    slots[n].offset = 0;
    slots[n].len = rx_msgs_[i].msg_len;
    ++counters_.rx_frames;
    counters_.rx_bytes += slots[n].len;
    ++n;
  }
  return n;
}

size_t UdpTunnelPort::SendBurst(std::span<const TxFrame> frames) {
  size_t count = 0;
  for (const TxFrame& frame : frames) {
    if (count == kMaxBurst) {
      ++counters_.tx_dropped;
      continue;
    }
    const int64_t len = FrameLength(frame.iov, frame.iovcnt, kMaxFrameLen);
    if (len < kEthHeaderLen) {
      ++counters_.tx_errors;
      continue;
    }
    msghdr& msg = tx_msgs_[count].msg_hdr;
    msg.msg_iov = const_cast<iovec*>(frame.iov);  // sendmsg only reads it
    msg.msg_iovlen = static_cast<size_t>(frame.iovcnt);
    tx_len_[count] = static_cast<uint32_t>(len);
    ++count;
  }
  return SendMessages(fd(), tx_msgs_.data(), count, tx_len_.data(), counters_);
}

}  // namespace softvf::netdev
