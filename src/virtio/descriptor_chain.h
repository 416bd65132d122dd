// One available buffer as the device sees it (virtio 1.x 2.7.5 and 2.7.13.1): the head
// index that goes back in the used ring, and the chain flattened into host segments —
// device-readable ones first, then device-writable ones (the queue enforces that order).
//
// A fixed-capacity value type, filled by SplitQueue::Pop without allocating. The host
// pointers are valid while the GuestMemoryMap the chain was popped with stays pinned.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace softvf::virtio {

struct Segment {
  uint8_t* host = nullptr;
  uint32_t len = 0;
  bool writable = false;
};

class DescriptorChain {
 public:
  // Linux virtio-net uses at most MAX_SKB_FRAGS + 2 descriptors per packet; a chain
  // that needs more segments than this stops the queue (QueueError::kTooLong).
  static constexpr size_t kMaxSegments = 64;

  uint16_t head() const { return head_; }
  size_t size() const { return count_; }
  const Segment& operator[](size_t i) const { return segments_[i]; }
  std::span<const Segment> segments() const { return {segments_.data(), count_}; }
  std::span<const Segment> readable() const { return {segments_.data(), num_readable_}; }
  std::span<const Segment> writable() const {
    return {segments_.data() + num_readable_, static_cast<size_t>(count_ - num_readable_)};
  }
  uint32_t readable_bytes() const { return readable_bytes_; }
  uint32_t writable_bytes() const { return writable_bytes_; }

  // Gathers len readable bytes starting offset bytes into the readable part. Returns the
  // number copied (less than len only if the readable part is shorter).
  uint32_t ReadAt(uint32_t offset, void* dst, uint32_t len) const;
  // Scatters len bytes into the writable part starting at offset. Returns the number
  // written (less than len only if the writable part is shorter).
  uint32_t WriteAt(uint32_t offset, const void* src, uint32_t len) const;

 private:
  friend class SplitQueue;
  void Reset(uint16_t head) {
    head_ = head;
    count_ = 0;
    num_readable_ = 0;
    readable_bytes_ = 0;
    writable_bytes_ = 0;
  }

  std::array<Segment, kMaxSegments> segments_;
  uint16_t head_ = 0;
  uint16_t count_ = 0;
  uint16_t num_readable_ = 0;
  uint32_t readable_bytes_ = 0;
  uint32_t writable_bytes_ = 0;
};

}  // namespace softvf::virtio
