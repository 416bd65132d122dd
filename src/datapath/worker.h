// Worker: the thread that runs one PF's embedded switch. It owns the VEB and every
// attached VF's VfPort; the control plane talks to it only through Post(), whose commands
// run between bursts, so the data path takes no locks and sees one consistent state.
//
// It polls while frames flow and sleeps when idle: after a run of empty bursts it
// re-enables the guests' TX notifications and blocks in poll() on the kick eventfds,
// the vhost-user sockets and its command eventfd — about 0% CPU on a quiet card.
#pragma once

#include <poll.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "datapath/vf_port.h"
#include "eswitch/policy.h"
#include "eswitch/veb.h"
#include "netdev/host_port.h"
#include "virtio/descriptor_chain.h"

namespace softvf {

struct WorkerStats {
  uint64_t bursts = 0;
  uint64_t frames = 0;
  uint64_t sleeps = 0;  // times the worker went idle and blocked
};

class Worker {
 public:
  static constexpr size_t kBurst = 32;

  Worker(std::shared_ptr<const eswitch::PolicyTable> policies,
         const eswitch::Veb::Options& options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Start();
  void Stop();
  // Runs `fn` on the worker thread between bursts and waits for it to finish.
  void Call(const std::function<void(Worker&)>& fn);

  // On the worker thread (inside Call):
  Status Attach(uint16_t vf, std::unique_ptr<VfPort> port);
  void Detach(uint16_t vf);
  VfPort* port(uint16_t vf) { return vf < ports_.size() ? ports_[vf].get() : nullptr; }
  // The VF behind switch port `out` if a front end is connected to it; else null (a host
  // port, a VF with nothing attached, or one whose front end is gone).
  VfPort* ConnectedVf(eswitch::PortId out);
  // A host network object as a switch port: the uplink (the wire), the PF's host netdev,
  // or a VF given to the host kernel as a TAP netdev. EBUSY if the port has one already.
  Status AttachHost(eswitch::PortId id, std::unique_ptr<netdev::HostPort> port);
  void DetachHost(eswitch::PortId id);
  netdev::HostPort* host_port(eswitch::PortId id) {
    return id.value() < host_ports_.size() ? host_ports_[id.value()].get() : nullptr;
  }
  // The VF settings the switch enforces. The worker builds the policy table from them and
  // the uplink's link state, and builds it again whenever that link changes (link-state
  // auto follows the wire). Without an uplink the card has no wire to lose: auto is up.
  void SetVfPolicies(std::vector<VfConfig> vfs, size_t num_enabled,
                     eswitch::VlanId pf_vlan = eswitch::VlanId::Untagged());
  bool uplink_up() const;
  eswitch::Veb& veb() { return veb_; }
  const WorkerStats& stats() const { return stats_; }

  // One pass over every TX ring (exposed for tests and benchmarks; the thread loops it).
  bool Burst(uint64_t now_ns);
  // Handles pending control events; waits up to timeout_ms (-1: until something happens).
  void PollEvents(int timeout_ms, bool with_kicks);

 private:
  void Run();
  // Per VF transmit queue: the receive queue its last burst went to (the first, if it
  // went to several). A sender's next burst nearly always goes there too, so that
  // queue's posted descriptors start loading while the sender's chains are walked.
  struct RxHint {
    uint16_t vf = UINT16_MAX;  // none yet
    uint16_t qp = 0;
  };
  struct PollSource {
    enum { kWake, kListen, kConn, kKick, kHostRx, kHostLink } kind;
    uint16_t vf;  // VF index, or the host port's PortId value
  };
  std::vector<pollfd> poll_fds_;
  std::vector<PollSource> poll_sources_;
  // Forwards the n chains just popped from a VF's transmit queue pair in four passes, so
  // that the misses on lines the guest's core wrote overlap instead of coming one frame
  // at a time: locate every frame and start loading its head; judge each in order (the
  // VF's max_tx_rate may hold the rest in the ring); warm each receiver's next buffers;
  // deliver in order. Then the chains are returned used.
  void ForwardTxBurst(uint16_t in_vf, int qp, size_t n, uint64_t now_ns);
  // Takes frame i's receive buffer now, for FillReserved, if it is a VF-to-VF unicast
  // frame the switch passes on unchanged and one buffer holds it; false: Deliver it.
  bool Reserve(int qp, size_t i);
  // Copies every reserved frame into its buffer, then returns them all used.
  void FillReserved();
  // Copies frame i's head out of guest memory and decides where it goes.
  void Judge(eswitch::PortId in, int qp, size_t i, uint64_t now_ns);
  // Remembers that a frame of `bytes` goes to `out` in this burst (for PrefetchReceivers).
  void NoteReceiver(eswitch::PortId out, int qp, uint32_t bytes);
  void PrefetchReceivers(RxHint& hint);
  void PrefetchHinted(const RxHint& hint, uint16_t n);
  // Copies the head of the frame `view` shows and decides where it goes; false: a runt.
  bool Classify(eswitch::PortId in, const virtio::FrameView& view, uint8_t* head, uint32_t& copied,
                eswitch::Decision& d, uint64_t now_ns);
  // Delivers a judged frame to every port its decision names.
  void DeliverAll(int qp, const eswitch::Decision& d, const uint8_t* head, uint32_t copied,
                  const virtio::FrameView& view);
  // Judges and delivers one frame entering the switch on `in`; `view` is where it lies.
  void ForwardView(eswitch::PortId in, int qp, const virtio::FrameView& view, uint64_t now_ns);
  bool HostBurst(uint64_t now_ns);
  bool SendHost(netdev::HostPort& host, const virtio::FrameView& frame);
  void RebuildPolicies();
  void Deliver(eswitch::PortId out, int qp, const eswitch::Decision& d, const uint8_t* head,
               uint32_t copied, const virtio::FrameView& rest);
  void RunCommands();
  bool ArmAll();
  void DisarmAll();

  eswitch::Veb veb_;
  std::vector<std::unique_ptr<VfPort>> ports_;                 // by VF index; null = not attached
  std::vector<std::unique_ptr<netdev::HostPort>> host_ports_;  // by PortId value
  std::vector<eswitch::PortId> active_hosts_;                  // the non-null ones
  std::vector<uint8_t> host_rx_pool_;  // kBurst receive buffers, once a host port exists
  std::array<netdev::RxSlot, kBurst> host_rx_;
  std::vector<VfConfig> vf_configs_;
  size_t vfs_enabled_ = 0;
  eswitch::VlanId pf_vlan_ = eswitch::VlanId::Untagged();
  bool policies_from_configs_ = false;  // SetVfPolicies was called
  std::array<virtio::DescriptorChain, kBurst> chains_;
  // Per-burst and per-frame scratch, reused so no frame pays for constructing them.
  // Bytes of each frame copied out of the sender's memory before judging it: the switch
  // decides and delivers from this copy, so a guest rewriting its buffer meanwhile cannot
  // slip past the spoof check (virtio/tx_reader.h). Covers Ethernet + two tags.
  static constexpr uint32_t kHeadCopy = 64;
  struct BurstFrame {
    alignas(64) uint8_t head[kHeadCopy];
    uint32_t copied = 0;  // bytes of head[] that hold the frame
    bool valid = false;   // the chain held at least a virtio-net header (ReadTxFrame)
  };
  std::array<BurstFrame, kBurst> frames_;
  std::array<virtio::FrameView, kBurst> tx_views_;
  std::array<eswitch::Decision, kBurst> decisions_;
  // The receivers of the burst being forwarded, for warming their buffers.
  struct Receiver {
    VfPort* port;
    uint16_t vf;
    int qp;
    uint16_t frames;
    uint32_t bytes;  // the longest frame, virtio-net header included
  };
  // Frames of the burst whose receive buffers are reserved and not yet filled.
  struct Reserved {
    VfPort* port;
    int qp;  // the receiver's
    virtio::RxBuffer buf;
    size_t frame;  // index into the burst
  };
  std::array<Reserved, kBurst> reserved_;
  size_t num_reserved_ = 0;
  static constexpr size_t kMaxWarmReceivers = 8;
  std::array<Receiver, kMaxWarmReceivers> receivers_;
  size_t num_receivers_ = 0;
  std::vector<std::array<RxHint, vhost_user::kMaxQueuePairs>> rx_hints_;  // by sending VF
  eswitch::Decision decision_;  // a host port's frame, judged and delivered one at a time
  eswitch::FrameInfo frame_info_;
  virtio::FrameView tx_view_;
  virtio::FrameView out_view_;
  WorkerStats stats_;

  std::thread thread_;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;  // eventfd: a command is waiting
  std::mutex mu_;
  std::vector<std::function<void(Worker&)>> commands_;
  uint64_t posted_ = 0, done_ = 0;
  std::condition_variable done_cv_;
};

uint64_t MonotonicNs();

}  // namespace softvf
