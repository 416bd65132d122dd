// The device side of a split virtqueue (virtio 1.x 2.7), as a vhost-user back end runs it.
//
// The queue owns no memory: every operation takes the GuestMemoryMap it reads and writes
// through (rust-vmm virtio-queue style), so a memory table can be replaced between
// bursts. Ring host pointers are cached per map generation and re-resolved when the map
// changes.
//
// A malformed ring stops the queue: it becomes broken, counts the reason, and every later
// call is a no-op that reports "empty" until it is configured again. Nothing here
// allocates, throws, logs or locks after Configure(); one thread owns a queue.
//
// Memory ordering follows 2.7.13/2.7.14: an acquire fence after reading avail idx (the
// ring entries and descriptors are read after it), a release fence before publishing
// used idx (the used entries and buffer contents are visible before it), and a full fence
// between publishing and reading the other side's suppression fields.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "virtio/descriptor_chain.h"
#include "virtio/guest_memory.h"
#include "virtio/queue_error.h"

namespace softvf::virtio {

struct SplitQueueConfig {
  uint32_t size = 0;  // power of 2, 1..32768 (2.7)
  // Guest-physical ring addresses; the vhost-user layer translates its user addresses.
  GuestAddress desc;
  GuestAddress avail;
  GuestAddress used;
  uint16_t last_avail_idx = 0;  // vring base: next available entry to consume
  uint16_t used_idx = 0;        // next used entry to write (normally the ring's used->idx)
  bool event_idx = false;       // VIRTIO_F_EVENT_IDX negotiated
  bool indirect_desc = false;   // VIRTIO_F_INDIRECT_DESC negotiated
};

class SplitQueue {
 public:
  // EINVAL for a size that is 0, not a power of 2 or above 32768, or ring addresses
  // without the alignment 2.7 requires. Clears a broken state; keeps the error counters.
  Status Configure(const SplitQueueConfig& config);
  void Reset();  // unconfigured: every call is a no-op until Configure

  // Takes the next available chain into *chain. False when none is available, the queue
  // is broken (or breaks now), or it is not configured.
  bool Pop(const GuestMemoryMap& mem, DescriptorChain* chain);
  // Pops up to chains.size() chains; returns how many.
  size_t PopBurst(const GuestMemoryMap& mem, std::span<DescriptorChain> chains);
  // A hint: starts loading the descriptors of the next n available chains (the guest's
  // core wrote them; the misses overlap instead of coming one chain at a time).
  void PrefetchAvail(const GuestMemoryMap& mem, uint16_t n);
  // The same for chains already known to be available (up to the avail idx last read),
  // without reading avail idx again: that line is the one the driver writes most often.
  void PrefetchPosted(const GuestMemoryMap& mem, uint16_t n);
  // A hint for a receive queue: prefetches for write the first `bytes` of the buffers of
  // the next n available chains (direct, device-writable descriptors), so the lines are
  // ours by the time frames are copied in: the guest's core last touched them, and a
  // store that has to wait for such a line holds up every later store of the burst.
  // The first `header` bytes are the virtio-net header, mostly compared, not stored: a
  // line holding nothing else is loaded shared.
  void PrefetchWritable(const GuestMemoryMap& mem, uint16_t n, uint32_t header, uint32_t bytes);
  // A hint: prefetches for write the used-ring lines the next n PushUsed calls will
  // store to (the driver reads them, so they sit in its core's cache).
  void PrefetchUsed(const GuestMemoryMap& mem, uint16_t n);
  // Gives back the last n popped chains that were not pushed: they will be popped again.
  // Used when a frame needs more buffers than are available. n is clamped to the chains
  // popped and not pushed.
  void Rewind(uint16_t n);
  // Chains the driver has made available and we have not popped (re-reads avail idx).
  uint16_t Available(const GuestMemoryMap& mem);

  // Queues a used element {head, written_len}; the driver sees it after PublishUsed.
  // False if the queue is broken, head is out of range, or the used ring is full.
  bool PushUsed(const GuestMemoryMap& mem, uint16_t head, uint32_t written_len);
  // Publishes every pushed element with one used idx store (batched per burst).
  void PublishUsed(const GuestMemoryMap& mem);

  // After PublishUsed: should the driver get a used-buffer notification (call eventfd)?
  // EVENT_IDX: vring_need_event(used_event, new, last decision's idx) (2.7.10);
  // otherwise: something was published and VRING_AVAIL_F_NO_INTERRUPT is clear (2.7.7).
  bool NeedsNotify(const GuestMemoryMap& mem);
  // Available-buffer notifications (kicks), 2.7.10: without EVENT_IDX the used ring's
  // VRING_USED_F_NO_NOTIFY flag; with it, avail_event (disable leaves it stale, which
  // suppresses kicks). Enable returns true if buffers arrived meanwhile: the caller must
  // keep polling instead of sleeping, or it could miss that kick.
  void DisableNotifications(const GuestMemoryMap& mem);
  bool EnableNotifications(const GuestMemoryMap& mem);

  bool configured() const { return configured_; }
  uint32_t size() const { return config_.size; }
  uint16_t last_avail_idx() const { return last_avail_idx_; }  // GET_VRING_BASE
  uint16_t used_idx() const { return used_idx_; }              // last published
  uint16_t pending_used() const { return pending_used_; }
  bool broken() const { return broken_; }
  QueueError broken_reason() const { return broken_reason_; }
  uint64_t errors(QueueError e) const { return errors_[static_cast<size_t>(e)]; }

 private:
  // Configured, not broken, and its ring pointers resolved against this memory map
  // (inline: every call on the data path starts with it).
  bool Ready(const GuestMemoryMap& mem) {
    if (!configured_ || broken_) return false;
    return mem.generation() == ring_generation_ || ResolveRings(mem);
  }
  bool ResolveRings(const GuestMemoryMap& mem);
  bool Break(QueueError error);
  bool RefreshAvailIdx();
  bool PopSingle(const GuestMemoryMap& mem, uint16_t head, DescriptorChain* chain);
  bool WalkChain(const GuestMemoryMap& mem, uint16_t head, DescriptorChain* chain);
  bool AddBuffer(const GuestMemoryMap& mem, uint64_t addr, uint32_t len, bool writable,
                 DescriptorChain* chain);
  uint16_t NextEpoch();

  SplitQueueConfig config_;
  bool configured_ = false;
  uint16_t mask_ = 0;
  uint16_t last_avail_idx_ = 0;
  uint16_t shadow_avail_idx_ = 0;  // avail idx as last read; avoids a read per pop
  uint16_t used_idx_ = 0;
  uint16_t pending_used_ = 0;
  uint16_t signalled_used_ = 0;  // used idx at the last NeedsNotify decision

  bool broken_ = false;
  QueueError broken_reason_ = QueueError::kBadAddress;
  std::array<uint64_t, kQueueErrorCount> errors_{};

  uint64_t ring_generation_ = 0;  // map generation the pointers below belong to
  const uint8_t* desc_ = nullptr;
  const uint8_t* avail_ = nullptr;
  uint8_t* used_ = nullptr;

  // Loop detection: the chain epoch at which each descriptor was last visited;
  // [0, size) for the descriptor table, [size, 2 * size) for the current indirect table.
  std::vector<uint16_t> seen_;
  uint16_t epoch_ = 0;
};

}  // namespace softvf::virtio
