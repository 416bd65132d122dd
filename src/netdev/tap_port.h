// TapPort: a TAP interface (drivers/net/tun.c) as a switch port. The host kernel sees a
// netdev; the switch reads what the host sends out of it and writes what the host
// receives. Two uses:
//   - a VF given to the host as a kernel netdev (`softvf attach PF vf N tap [IFNAME]`),
//     named like Linux names VF netdevs (`enp49s0f1v0`) and carrying the VF's MAC, so
//     the host sees the VF's address;
//   - a PF uplink of type tap (the wire is the host's stack or a bridge it joins).
//
// Opened with IFF_TAP | IFF_NO_PI: one read or write is one Ethernet frame, nothing in
// front. Not IFF_VNET_HDR: without it the TAP offers the stack no TSO, GSO or checksum
// offload, so the kernel segments and checksums before the frame reaches us — every
// frame read is a finished wire frame of at most MTU + 14 (+ tags), which is what the
// switch and the other ports (virtio VFs, AF_PACKET, UDP) expect. A virtio-net header
// would cost 10-12 bytes per frame and buy nothing until the switch carries GSO frames
// end to end (a VF's TSO straight into the host stack); that is when it pays. The TAP
// puts VLAN tags the stack kept as metadata into the frame it hands us (tun_put_user),
// so reads need no AUXDATA-style repair.
//
// A TAP that Open creates is not persistent: it disappears when the port is destroyed
// (the last fd closes). A persistent TAP of that name (`ip tuntap add NAME mode tap`)
// is attached to instead, and outlives the port. A TAP is single-queue: a second Open of
// the same name fails with EBUSY.
//
// No burst syscall exists for a TAP fd: ReceiveBurst reads frame by frame until the
// queue is empty, SendBurst writes frame by frame (writev, so a frame's slices are
// gathered by the kernel).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/mac_address.h"
#include "common/status.h"
#include "netdev/host_port.h"

namespace softvf::netdev {

struct TapConfig {
  std::string name;               // e.g. "enp49s0f1v0"; empty: the kernel picks "tapN"
  std::optional<MacAddress> mac;  // none: keep the random address the kernel chose
  uint32_t mtu = 0;               // 0: keep the TAP's (1500)
  bool up = false;                // set IFF_UP, as `ip link set dev NAME up`
};

class TapPort final : public HostPort {
 public:
  // Errors name the interface and read like the kernel's: EBUSY when another process has
  // the TAP open, EINVAL when NAME exists and is not a TAP, EADDRNOTAVAIL for a multicast
  // or zero MAC, EINVAL for an MTU outside [68, 65535], EPERM without CAP_NET_ADMIN.
  static Result<std::unique_ptr<TapPort>> Open(const TapConfig& config);
  ~TapPort() override;

  std::string_view kind() const override { return "tap"; }
  int ifindex() const { return ifindex_; }
  // The TAP existed before (persistent) and stays after the port is destroyed.
  bool persistent() const { return persistent_; }

  // The carrier the host sees (TUNSETCARRIER): off shows NO-CARRIER and stops the host
  // from sending, as a VF with `state disable` does on a real card. On after Open.
  Status SetCarrier(bool on);

  size_t ReceiveBurst(std::span<RxSlot> slots) override;
  size_t SendBurst(std::span<const TxFrame> frames) override;

 private:
  TapPort(std::string name, UniqueFd fd, std::unique_ptr<LinkMonitor> monitor, int ifindex,
          bool persistent);

  int ifindex_;
  bool persistent_;
  uint8_t overflow_ = 0;  // catches the first byte of a frame longer than the buffer
};

}  // namespace softvf::netdev
