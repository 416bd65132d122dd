// PacketPort: an existing host interface (a veth end, a physical NIC, a bridge port)
// used as a switch port through an AF_PACKET socket (packet(7)): SOCK_RAW, ETH_P_ALL,
// bound to the interface, promiscuous (PACKET_MR_PROMISC) so frames for the VFs' MACs
// reach it, and deaf to its own sends (PACKET_IGNORE_OUTGOING; this also hides frames
// the host's own stack sends out of that interface, which a NIC's switch does not see
// either).
//
// Frames are returned as they were on the wire. The kernel hands packet sockets the
// outer VLAN tag as metadata for every tagged frame (software untagging in
// __netif_receive_skb_core, whatever the device's rx-vlan-offload says); PACKET_AUXDATA
// reports it (TP_STATUS_VLAN_VALID, tp_vlan_tci, and tp_vlan_tpid when
// TP_STATUS_VLAN_TPID_VALID — 802.1Q otherwise) and the port writes it back in front of
// the EtherType. An inner tag of a QinQ frame stays in the frame.
//
// Frames a sender on the same host left unfinished are completed or refused, which a
// packet socket learns through PACKET_VNET_HDR (a virtio_net_hdr per frame):
//   - VIRTIO_NET_HDR_F_NEEDS_CSUM: the L4 checksum is computed here, as the NIC would
//     (rx_csum_completed); veth peers have tx-checksumming on by default;
//   - a GSO super-frame (gso_type != NONE; TSO/GSO of a stack behind a veth peer, or GRO
//     on a physical NIC): it is not a wire frame and is dropped (rx_oversize). The remedy
//     is on the host: `ethtool -K PEER tso off gso off` on the sending side, `ethtool -K
//     DEV gro off lro off` on a physical interface. Segmenting in software is left for
//     later.
// Frames larger than the caller's buffer are dropped as rx_oversize too.
//
// Bursts use recvmmsg/sendmmsg: one syscall per burst, the kernel copying straight into
// the caller's buffers. A PACKET_MMAP ring (TPACKET_V3) would save the syscall per burst
// under load, but its frames live in the ring: with caller buffers it adds a copy, and
// its block timeout adds latency at low rates. A ring-backed port wants a borrow/release
// receive interface; this one keeps the simpler contract.
//
// Sending refuses what the kernel refuses (packet_snd): frames longer than MTU + 14, or
// MTU + 18 for an 802.1Q-tagged frame only — a full-size 802.1ad-tagged frame needs an
// MTU 4 bytes larger (EMSGSIZE, counted in tx_errors).
#pragma once

#include <linux/if_packet.h>
#include <sys/socket.h>

#include <array>
#include <memory>
#include <string>

#include "common/status.h"
#include "netdev/host_port.h"

namespace softvf::netdev {

struct PacketPortConfig {
  std::string interface;  // an existing Ethernet interface in the caller's network namespace
  bool promiscuous = true;
  int socket_buffer = 4 << 20;  // bytes, each way
};

// struct virtio_net_hdr as PACKET_VNET_HDR reads and writes it (native byte order on a
// packet socket, net/packet/af_packet.c vio_le()). <linux/virtio_net.h> is not valid C++.
struct PacketVnetHeader {
  static constexpr uint8_t kNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr uint8_t kGsoNone = 0;    // VIRTIO_NET_HDR_GSO_NONE
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(PacketVnetHeader) == 10);

class PacketPort final : public HostPort {
 public:
  // ENODEV ("veth9: No such device") when the interface does not exist, EINVAL when it
  // is not Ethernet, EPERM without CAP_NET_RAW.
  static Result<std::unique_ptr<PacketPort>> Open(const PacketPortConfig& config);
  ~PacketPort() override;

  std::string_view kind() const override { return "af_packet"; }
  int ifindex() const { return ifindex_; }

  size_t ReceiveBurst(std::span<RxSlot> slots) override;
  size_t SendBurst(std::span<const TxFrame> frames) override;

 private:
  PacketPort(std::string name, UniqueFd fd, std::unique_ptr<LinkMonitor> monitor, int ifindex);
  // Turns message i (received into slot's buffer) into its wire form; false to drop it.
  bool Restore(size_t i, RxSlot& slot);

  int ifindex_;
  // Per-burst scratch, set up once; the kernel rewrites lengths and flags every call.
  static constexpr size_t kControlLen =
      CMSG_SPACE(sizeof(tpacket_auxdata)) + CMSG_SPACE(sizeof(uint32_t));
  std::array<mmsghdr, kMaxBurst> rx_msgs_{};
  std::array<std::array<iovec, 2>, kMaxBurst> rx_iov_{};
  std::array<PacketVnetHeader, kMaxBurst> rx_vnet_{};
  struct alignas(cmsghdr) Control {
    uint8_t bytes[kControlLen];
  };
  std::array<Control, kMaxBurst> rx_control_{};
  std::array<mmsghdr, kMaxBurst> tx_msgs_{};
  std::array<std::array<iovec, kMaxTxSlices + 1>, kMaxBurst> tx_iov_{};
  std::array<uint32_t, kMaxBurst> tx_len_{};
  const PacketVnetHeader tx_vnet_{};  // all zero: no offload asked of the kernel
};

}  // namespace softvf::netdev
