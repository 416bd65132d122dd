// HostPort: a port of a PF's embedded switch that is a host network object rather than a
// guest — the wire (the PF's uplink: a TAP, an AF_PACKET socket on a host or veth
// interface, a UDP tunnel to another softvf) or a VF handed to the host kernel as a
// netdev (a TAP named like the VF's netdev, `enp49s0f1v0`).
//
// The worker that runs the switch owns its host ports and calls them from its thread
// only. Everything it calls per burst is non-blocking and, once the port is open, never
// allocates, logs or throws: losses are counted in counters(), never reported otherwise.
//
// How a worker uses a port:
//   - Poll set: fd() for POLLIN (frames waiting; POLLERR when the socket holds an error,
//     which the next ReceiveBurst consumes and counts) and event_fd() for POLLIN (link
//     notifications), when it is >= 0.
//   - Receive: ReceiveBurst(slots) with up to kMaxBurst slots, each a buffer of at least
//     kRxBufferLen bytes. Frame i is slots[i].data(), slots[i].len, exactly as it was on
//     the wire (VLAN tags the kernel had stripped into metadata are put back).
//   - Send: SendBurst() a burst of frames, each an iovec list of up to kMaxTxSlices
//     slices (a judged and edited head copy, then the rest of the frame where it lies),
//     or SendV()/Send() one frame. The slices are read before the call returns.
//   - Link: link() is a cached copy, free to read per burst. When event_fd() is readable,
//     PollEvents() drains the notifications and returns true if link() changed. Once
//     link().present is false the interface is gone: stop polling the port and drop it.
//
// One virtual call per burst, not per frame: the per-frame work is inside the burst.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "netdev/link_monitor.h"
#include "netdev/unique_fd.h"

namespace softvf::netdev {

// Frames per ReceiveBurst/SendBurst call (the worker's burst, BESS's kMaxBurst).
inline constexpr size_t kMaxBurst = 32;
// The largest frame a port carries: a 9000-byte MTU with two VLAN tags is 9022 bytes; 9216
// is the jumbo frame size switches commonly accept.
inline constexpr uint32_t kMaxFrameLen = 9216;
// Room ReceiveBurst keeps at the front of each buffer to put a stripped VLAN tag back
// without moving the frame (only its 12 address bytes move).
inline constexpr uint32_t kRxHeadroom = 4;
inline constexpr uint32_t kRxBufferLen = kRxHeadroom + kMaxFrameLen;
// Slices of one frame on send: covers virtio::FrameView::kMaxSlices (66) with room.
inline constexpr int kMaxTxSlices = 72;

// One receive buffer. The caller sets buffer and capacity; ReceiveBurst sets offset and
// len. ReceiveBurst may exchange the buffers of two slots (to keep the frames it returns
// in slots [0, n) when it drops one), so the caller must treat the buffers as a pool.
struct RxSlot {
  uint8_t* buffer = nullptr;
  uint32_t capacity = 0;
  uint32_t offset = 0;  // the frame starts at buffer + offset (0 .. kRxHeadroom)
  uint32_t len = 0;
  const uint8_t* data() const { return buffer + offset; }
};

// One frame to send, gathered from iovcnt slices.
struct TxFrame {
  const iovec* iov = nullptr;
  int iovcnt = 0;
};

// Counters in the port's own direction (rx: from the host into the switch). One writer
// (the worker); read on the worker's thread between bursts.
struct PortCounters {
  uint64_t rx_frames = 0;  // handed to the caller
  uint64_t rx_bytes = 0;
  // Dropped by the kernel because the port's receive queue was full (the socket's drop
  // count, SO_RXQ_OVFL; it is learnt from the next frame that gets through).
  uint64_t rx_dropped = 0;
  // Received but not handed over: larger than the buffer, shorter than an Ethernet
  // header, or not a wire frame (see rx_oversize).
  uint64_t rx_errors = 0;
  // Of rx_errors: larger than the buffer, or a GSO super-frame that an AF_PACKET port
  // would have to segment (a sender on the same host with TSO/GSO on; see packet_port.h).
  uint64_t rx_oversize = 0;
  // Frames whose L4 checksum the port finished because the sender left it to hardware.
  uint64_t rx_csum_completed = 0;
  uint64_t tx_frames = 0;  // accepted by the kernel
  uint64_t tx_bytes = 0;
  uint64_t tx_dropped = 0;  // not sent: the device or socket queue was full
  uint64_t tx_errors = 0;   // not sent: refused (interface down, peer unreachable, bad length)
  // Errors the socket reported that belong to no frame (ENETDOWN when the interface went
  // down, ECONNREFUSED when a UDP peer's port is closed).
  uint64_t socket_errors = 0;

  // Visits every counter by the name `softvf stats` prints.
  template <typename F>
  void ForEach(F&& visit) const {
    visit("rx_frames", rx_frames);
    visit("rx_bytes", rx_bytes);
    visit("rx_dropped", rx_dropped);
    visit("rx_errors", rx_errors);
    visit("rx_oversize", rx_oversize);
    visit("rx_csum_completed", rx_csum_completed);
    visit("tx_frames", tx_frames);
    visit("tx_bytes", tx_bytes);
    visit("tx_dropped", tx_dropped);
    visit("tx_errors", tx_errors);
    visit("socket_errors", socket_errors);
  }
};

class HostPort {
 public:
  virtual ~HostPort();
  HostPort(const HostPort&) = delete;
  HostPort& operator=(const HostPort&) = delete;

  // "tap", "af_packet", "udp": the uplink types of the configuration.
  virtual std::string_view kind() const = 0;
  // The interface name, or "LOCAL->PEER" for a UDP tunnel.
  const std::string& name() const { return name_; }

  int fd() const { return fd_.get(); }
  // -1 when the port has no link events (a UDP tunnel's link is up while it is open).
  int event_fd() const { return monitor_ ? monitor_->fd() : -1; }
  const LinkState& link() const { return link_; }
  uint32_t mtu() const { return link_.mtu; }
  // Drains link notifications; true when link() changed.
  bool PollEvents();

  // Receives up to min(slots.size(), kMaxBurst) frames into slots [0, n); returns n.
  virtual size_t ReceiveBurst(std::span<RxSlot> slots) = 0;
  // Sends up to kMaxBurst frames (the rest are counted as tx_dropped); returns how many
  // the kernel took. A frame it refuses counts in tx_errors, a full queue in tx_dropped.
  virtual size_t SendBurst(std::span<const TxFrame> frames) = 0;
  bool SendV(const iovec* iov, int iovcnt);
  bool Send(const uint8_t* frame, size_t len);

  const PortCounters& counters() const { return counters_; }
  const LinkMonitor* monitor() const { return monitor_.get(); }

 protected:
  HostPort(std::string name, UniqueFd fd, std::unique_ptr<LinkMonitor> monitor);
  // For ports without a monitor: the link they report.
  void set_link(const LinkState& link) { link_ = link; }

  PortCounters counters_;

 private:
  std::string name_;
  UniqueFd fd_;
  std::unique_ptr<LinkMonitor> monitor_;
  LinkState link_;
};

}  // namespace softvf::netdev
