#include "virtio/split_queue.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "common/prefetch.h"
#include "virtio/event_idx.h"
#include "virtio/ring_layout.h"

namespace softvf::virtio {
namespace {

bool Aligned(uint64_t value, uint64_t alignment) {
  return (value & (alignment - 1)) == 0;
}
bool HostAligned(const void* p, uint64_t alignment) {
  return Aligned(reinterpret_cast<uintptr_t>(p), alignment);
}

Status Misaligned(const char* part, GuestAddress addr, uint64_t alignment) {
  char buf[128];
  std::snprintf(buf, sizeof(buf),
                "virtqueue %s address 0x%" PRIx64 " is not %" PRIu64 "-byte aligned", part,
                addr.value(), alignment);
  return Status::Errno(EINVAL, buf);
}

}  // namespace

Status SplitQueue::Configure(const SplitQueueConfig& config) {
  if (config.size == 0 || config.size > ring::kMaxQueueSize ||
      (config.size & (config.size - 1)) != 0) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "virtqueue size %u is not a power of 2 in 1..32768",
                  config.size);
    return Status::Errno(EINVAL, buf);
  }
  if (!Aligned(config.desc.value(), ring::kDescAlign)) {
    return Misaligned("descriptor table", config.desc, ring::kDescAlign);
  }
  if (!Aligned(config.avail.value(), ring::kAvailAlign)) {
    return Misaligned("available ring", config.avail, ring::kAvailAlign);
  }
  if (!Aligned(config.used.value(), ring::kUsedAlign)) {
    return Misaligned("used ring", config.used, ring::kUsedAlign);
  }
  config_ = config;
  configured_ = true;
  mask_ = static_cast<uint16_t>(config.size - 1);
  last_avail_idx_ = config.last_avail_idx;
  shadow_avail_idx_ = config.last_avail_idx;
  used_idx_ = config.used_idx;
  pending_used_ = 0;
  signalled_used_ = config.used_idx;
  broken_ = false;
  ring_generation_ = 0;
  seen_.assign(2 * static_cast<size_t>(config.size), 0);  // control path: may allocate
  epoch_ = 0;
  return Status::Ok();
}

void SplitQueue::Reset() {
  configured_ = false;
  broken_ = false;
  ring_generation_ = 0;
  desc_ = avail_ = nullptr;
  used_ = nullptr;
}

bool SplitQueue::Break(QueueError error) {
  if (!broken_) {
    broken_ = true;
    broken_reason_ = error;
    ++errors_[static_cast<size_t>(error)];
  }
  return false;
}

bool SplitQueue::ResolveRings(const GuestMemoryMap& mem) {
  const uint32_t n = config_.size;
  const uint8_t* desc = mem.Translate(config_.desc, ring::DescTableBytes(n));
  const uint8_t* avail = mem.Translate(config_.avail, ring::AvailRingBytes(n, config_.event_idx));
  uint8_t* used = mem.Translate(config_.used, ring::UsedRingBytes(n, config_.event_idx));
  // Shared fields are accessed as aligned 16-bit atomics; a host mapping that breaks the
  // guest's alignment (odd mmap_offset) cannot be used safely.
  if (desc == nullptr || avail == nullptr || used == nullptr ||
      !HostAligned(avail, ring::kAvailAlign) || !HostAligned(used, ring::kUsedAlign)) {
    return Break(QueueError::kBadRingAddress);
  }
  desc_ = desc;
  avail_ = avail;
  used_ = used;
  ring_generation_ = mem.generation();
  return true;
}

bool SplitQueue::RefreshAvailIdx() {
  const uint16_t idx = ring::LoadShared16(avail_ + ring::kAvailIdx);
  // The driver can never have more than size chains outstanding (2.7.13: the ring is as
  // big as the descriptor table), and never decrements idx (2.7.6.1).
  if (static_cast<uint16_t>(idx - last_avail_idx_) > config_.size) {
    return Break(QueueError::kBadIndex);
  }
  shadow_avail_idx_ = idx;
  // Ring entries and descriptors are read after this: see the driver's writes before idx.
  std::atomic_thread_fence(std::memory_order_acquire);
  return true;
}

uint16_t SplitQueue::Available(const GuestMemoryMap& mem) {
  if (!Ready(mem) || !RefreshAvailIdx()) return 0;
  return static_cast<uint16_t>(shadow_avail_idx_ - last_avail_idx_);
}

bool SplitQueue::Pop(const GuestMemoryMap& mem, DescriptorChain* chain) {
  if (!Ready(mem)) return false;
  if (last_avail_idx_ == shadow_avail_idx_) {
    if (!RefreshAvailIdx() || last_avail_idx_ == shadow_avail_idx_) return false;
  }
  const uint16_t head = ring::LoadShared16(avail_ + ring::AvailRingEntry(last_avail_idx_ & mask_));
  if (head >= config_.size) return Break(QueueError::kBadHead);
  if (!PopSingle(mem, head, chain) && !WalkChain(mem, head, chain)) return false;
  ++last_avail_idx_;
  return true;
}

// The common chain, one direct descriptor inside one memory region: it cannot loop or run
// too long, so it needs none of the walk's stamps and counters. The descriptor is read
// once into a local; any other chain (and a zero-length or unmapped one, whose errors the
// walk reports) goes to WalkChain, which reads and checks everything itself.
bool SplitQueue::PopSingle(const GuestMemoryMap& mem, uint16_t head, DescriptorChain* chain) {
  const ring::Descriptor d = ring::LoadDescriptor(desc_ + ring::kDescSize * head);
  if ((d.flags & (ring::kDescFNext | ring::kDescFIndirect)) != 0 || d.len == 0) return false;
  uint8_t* host = mem.Translate(GuestAddress(d.addr), d.len);
  if (host == nullptr) return false;
  const bool writable = (d.flags & ring::kDescFWrite) != 0;
  chain->Reset(head);
  chain->segments_[0] = Segment{host, d.len, writable};
  chain->count_ = 1;
  if (writable) {
    chain->writable_bytes_ = d.len;
  } else {
    chain->readable_bytes_ = d.len;
    chain->num_readable_ = 1;
  }
  return true;
}

void SplitQueue::PrefetchAvail(const GuestMemoryMap& mem, uint16_t n) {
  if (!Ready(mem)) return;
  if (last_avail_idx_ == shadow_avail_idx_) RefreshAvailIdx();
  PrefetchPosted(mem, n);
}

void SplitQueue::PrefetchPosted(const GuestMemoryMap& mem, uint16_t n) {
  if (!Ready(mem)) return;
  uint16_t avail = static_cast<uint16_t>(shadow_avail_idx_ - last_avail_idx_);
  if (avail > n) avail = n;
  // Only a hint: a head out of range is not followed (Pop will refuse it properly).
  for (uint16_t k = 0; k < avail; ++k) {
    uint16_t head =
        ring::LoadShared16(avail_ + ring::AvailRingEntry((last_avail_idx_ + k) & mask_));
    if (head < config_.size) __builtin_prefetch(desc_ + ring::kDescSize * head);
  }
}

void SplitQueue::PrefetchWritable(const GuestMemoryMap& mem, uint16_t n, uint32_t header,
                                  uint32_t bytes) {
  if (!Ready(mem) || bytes == 0) return;
  if (last_avail_idx_ == shadow_avail_idx_ && !RefreshAvailIdx()) return;
  uint16_t avail = static_cast<uint16_t>(shadow_avail_idx_ - last_avail_idx_);
  if (avail > n) avail = n;
  // Only a hint, read from guest-owned memory that Pop will read and check again: an
  // odd entry (out-of-range head, indirect table, address outside memory) is skipped.
  for (uint16_t k = 0; k < avail; ++k) {
    const uint16_t head =
        ring::LoadShared16(avail_ + ring::AvailRingEntry((last_avail_idx_ + k) & mask_));
    if (head >= config_.size) continue;
    const ring::Descriptor d = ring::LoadDescriptor(desc_ + ring::kDescSize * head);
    if ((d.flags & ring::kDescFIndirect) || !(d.flags & ring::kDescFWrite) || d.len == 0) continue;
    const uint32_t len = d.len < bytes ? d.len : bytes;
    const uint8_t* p = mem.Translate(GuestAddress(d.addr), len);
    if (p == nullptr) continue;
    // Every line the first `len` bytes touch, the last one included; a line that holds
    // only header bytes is read (RxWriter compares before it stores the header).
    const auto start = reinterpret_cast<uintptr_t>(p);
    auto first = start & ~uintptr_t{63};
    const auto last = (start + len - 1) & ~uintptr_t{63};
    if (header < len && first != ((start + header) & ~uintptr_t{63})) {
      PrefetchForRead(reinterpret_cast<const void*>(first));
      first += 64;
    }
    for (uintptr_t line = first; line <= last; line += 64)
      PrefetchForWrite(reinterpret_cast<const void*>(line));
  }
}

void SplitQueue::PrefetchUsed(const GuestMemoryMap& mem, uint16_t n) {
  if (!Ready(mem) || n == 0) return;
  const uint16_t first = static_cast<uint16_t>(used_idx_ + pending_used_);
  // A used element is 8 bytes: one line holds 8 of them; the ring wraps at size.
  for (uint16_t k = 0; k < n; k += 8)
    PrefetchForWrite(used_ + ring::UsedRingEntry((first + k) & mask_));
  PrefetchForWrite(used_ + ring::UsedRingEntry((first + n - 1) & mask_));
}

size_t SplitQueue::PopBurst(const GuestMemoryMap& mem, std::span<DescriptorChain> chains) {
  // Start every descriptor miss of the burst before walking the first chain.
  PrefetchAvail(mem, static_cast<uint16_t>(chains.size() < 0xffff ? chains.size() : 0xffff));
  size_t n = 0;
  while (n < chains.size() && Pop(mem, &chains[n])) ++n;
  return n;
}

void SplitQueue::Rewind(uint16_t n) {
  if (!configured_ || broken_) return;
  const auto in_flight = static_cast<uint16_t>(last_avail_idx_ - used_idx_ - pending_used_);
  last_avail_idx_ = static_cast<uint16_t>(last_avail_idx_ - std::min(n, in_flight));
}

uint16_t SplitQueue::NextEpoch() {
  if (++epoch_ == 0) {
    // Every 65535 chains the stamps could alias an old epoch: start over.
    std::fill(seen_.begin(), seen_.end(), 0);
    epoch_ = 1;
  }
  return epoch_;
}

bool SplitQueue::WalkChain(const GuestMemoryMap& mem, uint16_t head, DescriptorChain* chain) {
  const uint32_t size = config_.size;
  const uint16_t epoch = NextEpoch();
  const uint8_t* table = desc_;
  uint32_t entries = size;
  uint16_t* seen = seen_.data();
  bool in_indirect = false;
  uint32_t walked = 0;
  uint32_t idx = head;
  chain->Reset(head);

  for (;;) {
    if (idx >= entries) return Break(QueueError::kBadNext);
    if (seen[idx] == epoch) return Break(QueueError::kLoop);
    seen[idx] = epoch;

    const ring::Descriptor d = ring::LoadDescriptor(table + ring::kDescSize * idx);
    if (d.flags & ring::kDescFIndirect) {
      // 2.7.5.3.1: only when negotiated, only one table per chain, never with NEXT; its
      // WRITE flag is ignored (2.7.5.3.2).
      if (!config_.indirect_desc || in_indirect || (d.flags & ring::kDescFNext) || d.len == 0 ||
          d.len % ring::kDescSize != 0 || d.len / ring::kDescSize > size) {
        return Break(QueueError::kBadIndirect);
      }
      table = mem.Translate(GuestAddress(d.addr), d.len);
      if (table == nullptr) return Break(QueueError::kBadAddress);
      entries = d.len / ring::kDescSize;
      seen = seen_.data() + size;
      in_indirect = true;
      idx = 0;  // the first indirect descriptor is entry 0
      continue;
    }
    // 2.7.5.3.1: a chain is at most queue size descriptors long, the indirect table's
    // entries included (the descriptor pointing at the table is not counted).
    if (++walked > size) return Break(QueueError::kTooLong);
    if (!AddBuffer(mem, d.addr, d.len, (d.flags & ring::kDescFWrite) != 0, chain)) return false;
    if (!(d.flags & ring::kDescFNext)) return true;
    idx = d.next;
  }
}

bool SplitQueue::AddBuffer(const GuestMemoryMap& mem, uint64_t addr, uint32_t len, bool writable,
                           DescriptorChain* chain) {
  // A zero-length descriptor carries no bytes and is never dereferenced: skip it rather
  // than stop a driver over it.
  if (len == 0) return true;
  if (!writable && chain->writable_bytes_ > 0) return Break(QueueError::kBadOrder);
  if (addr + len < addr) return Break(QueueError::kBadLength);
  const uint64_t total = uint64_t{chain->readable_bytes_} + chain->writable_bytes_ + len;
  if (total > UINT32_MAX) return Break(QueueError::kBadLength);

  // A buffer may cross from one region into a GPA-adjacent one whose host memory is
  // elsewhere: it becomes one segment per region.
  while (len > 0) {
    uint64_t n;
    uint8_t* host = mem.TranslatePrefix(GuestAddress(addr), len, &n);
    if (host == nullptr) return Break(QueueError::kBadAddress);
    if (chain->count_ == DescriptorChain::kMaxSegments) return Break(QueueError::kTooLong);
    chain->segments_[chain->count_++] = Segment{host, static_cast<uint32_t>(n), writable};
    if (writable) {
      chain->writable_bytes_ += static_cast<uint32_t>(n);
    } else {
      chain->readable_bytes_ += static_cast<uint32_t>(n);
      ++chain->num_readable_;
    }
    addr += n;
    len -= static_cast<uint32_t>(n);
  }
  return true;
}

bool SplitQueue::PushUsed(const GuestMemoryMap& mem, uint16_t head, uint32_t written_len) {
  if (!Ready(mem) || head >= config_.size || pending_used_ >= config_.size) return false;
  const uint16_t slot = static_cast<uint16_t>(used_idx_ + pending_used_) & mask_;
  ring::StoreUsedElem(used_ + ring::UsedRingEntry(slot), head, written_len);
  ++pending_used_;
  return true;
}

void SplitQueue::PublishUsed(const GuestMemoryMap& mem) {
  if (pending_used_ == 0 || !Ready(mem)) return;
  // 2.7.8.2: len and buffer contents are visible before the idx that exposes them.
  std::atomic_thread_fence(std::memory_order_release);
  used_idx_ = static_cast<uint16_t>(used_idx_ + pending_used_);
  pending_used_ = 0;
  ring::StoreShared16(used_ + ring::kUsedIdx, used_idx_);
}

bool SplitQueue::NeedsNotify(const GuestMemoryMap& mem) {
  if (!Ready(mem)) return false;
  // The used idx store must be visible before we read the driver's suppression state,
  // or driver and device can both decide the other will act (a lost wakeup).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const uint16_t old_idx = signalled_used_;
  const uint16_t new_idx = used_idx_;
  signalled_used_ = new_idx;
  if (config_.event_idx) {
    // If 2^15 or more entries went by undecided, the 16-bit window is ambiguous: notify.
    if (static_cast<uint16_t>(new_idx - old_idx) >= 0x8000) return true;
    const uint16_t used_event = ring::LoadShared16(avail_ + ring::UsedEventOffset(config_.size));
    return VringNeedEvent(used_event, new_idx, old_idx);
  }
  if (new_idx == old_idx) return false;
  return !(ring::LoadShared16(avail_ + ring::kAvailFlags) & ring::kAvailFNoInterrupt);
}

void SplitQueue::DisableNotifications(const GuestMemoryMap& mem) {
  if (!Ready(mem) || config_.event_idx) return;
  ring::StoreShared16(used_ + ring::kUsedFlags, ring::kUsedFNoNotify);
}

bool SplitQueue::EnableNotifications(const GuestMemoryMap& mem) {
  if (!Ready(mem)) return false;
  if (config_.event_idx) {
    // Kick me when you write the entry at the index I consume next.
    ring::StoreShared16(used_ + ring::AvailEventOffset(config_.size), last_avail_idx_);
  } else {
    ring::StoreShared16(used_ + ring::kUsedFlags, 0);
  }
  // The enable must be visible before we look at avail idx again (2.7.10 note).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!RefreshAvailIdx()) return false;
  return shadow_avail_idx_ != last_avail_idx_;
}

}  // namespace softvf::virtio
