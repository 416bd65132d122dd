// UdpTunnelPort: the wire as a UDP tunnel to another softvf (the multi-host provider
// network: several hosts' PF uplinks joined by tunnels). One datagram carries one
// Ethernet frame, byte for byte, VLAN tags included; nothing is added in front (a VXLAN
// header would be one more slice in front of each frame, for later).
//
// The socket is bound to the local ADDR:PORT and connected to the peer's, so the kernel
// takes datagrams from the peer only. Frames up to kMaxFrameLen: a 9000-byte MTU frame is
// a ~9.05 KB datagram; path MTU discovery is off (IP_PMTUDISC_DONT), so a path with a
// smaller MTU fragments it rather than refusing it.
//
// Link semantics: a tunnel has no carrier to sense, so link() is up from Open on, like a
// cable plugged into a port whose far end cannot be seen. "Down until the peer speaks"
// was rejected: a switch does not send to a port whose link is down, so two softvfs that
// each waited for the other would never come up without keepalives. What is observable is
// counted instead: ICMP port unreachable from the peer host (its softvf is not running)
// surfaces as ECONNREFUSED, in socket_errors when a receive reports it and in tx_errors
// when it costs a frame; rx_frames tells whether the peer has been heard at all.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "netdev/host_port.h"
#include "netdev/socket_address.h"

namespace softvf::netdev {

// The largest MTU a tunnel carries: kMaxFrameLen less an Ethernet header and two tags.
inline constexpr uint32_t kMaxTunnelMtu = kMaxFrameLen - 14 - 8;

struct UdpTunnelConfig {
  std::string local;            // "ADDR:PORT" to bind; port 0 lets the kernel choose
  std::string peer;             // "ADDR:PORT" of the other softvf, same address family
  uint32_t mtu = 1500;          // what mtu() reports, [68, kMaxTunnelMtu]
  int socket_buffer = 4 << 20;  // bytes, each way
};

class UdpTunnelPort final : public HostPort {
 public:
  // EINVAL for a malformed address or an MTU out of range, EAFNOSUPPORT when local and
  // peer differ in family, EADDRINUSE / EADDRNOTAVAIL from bind as the kernel says them.
  static Result<std::unique_ptr<UdpTunnelPort>> Open(const UdpTunnelConfig& config);
  ~UdpTunnelPort() override;

  std::string_view kind() const override { return "udp"; }
  const SocketAddress& local() const { return local_; }  // as bound (port resolved)
  const SocketAddress& peer() const { return peer_; }

  size_t ReceiveBurst(std::span<RxSlot> slots) override;
  size_t SendBurst(std::span<const TxFrame> frames) override;

 private:
  UdpTunnelPort(UniqueFd fd, const SocketAddress& local, const SocketAddress& peer, uint32_t mtu);

  SocketAddress local_;
  SocketAddress peer_;
  static constexpr size_t kControlLen = CMSG_SPACE(sizeof(uint32_t));
  std::array<mmsghdr, kMaxBurst> rx_msgs_{};
  std::array<iovec, kMaxBurst> rx_iov_{};
  struct alignas(cmsghdr) Control {
    uint8_t bytes[kControlLen];
  };
  std::array<Control, kMaxBurst> rx_control_{};
  std::array<mmsghdr, kMaxBurst> tx_msgs_{};
  std::array<uint32_t, kMaxBurst> tx_len_{};
};

}  // namespace softvf::netdev
