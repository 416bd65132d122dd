// A frame as a bounded list of byte slices, for the single-copy path (ARCHITECTURE.md
// "Data path"): a TX chain's frame stays in the sender's guest memory and is copied once,
// straight into the receiver's RX buffers. A slice may also point at a small local buffer
// (a header the switch copied to classify, or rewrote to push/pop a VLAN tag) followed by
// the rest of the frame in guest memory.
//
// Slices point into memory the caller keeps alive (for guest memory: the pinned map).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "virtio/descriptor_chain.h"

namespace softvf::virtio {

// Trivially constructible on purpose: a FrameView lives on the hot path and only the
// first count_ slices are ever read, so its array is not zeroed per frame.
struct FrameSlice {
  const uint8_t* data;
  uint32_t len;
};

class FrameView {
 public:
  // Every segment of a chain, plus a rewritten header and one spare.
  static constexpr size_t kMaxSlices = DescriptorChain::kMaxSegments + 2;

  // Appends a slice; zero-length slices are ignored. False (view unchanged) when full or
  // when the frame would exceed 2^32 - 1 bytes.
  bool Append(const uint8_t* data, uint32_t len);
  // Appends the bytes of other from byte offset on (e.g. everything after the L2 header).
  bool AppendFrom(const FrameView& other, uint32_t offset);
  void Clear() {
    count_ = 0;
    length_ = 0;
  }

  uint32_t length() const { return length_; }
  std::span<const FrameSlice> slices() const { return {slices_.data(), count_}; }
  // Gathers up to len bytes from offset into dst; returns how many were copied.
  uint32_t CopyOut(uint32_t offset, void* dst, uint32_t len) const;

 private:
  std::array<FrameSlice, kMaxSlices> slices_;
  size_t count_ = 0;
  uint32_t length_ = 0;
};

// Reads a FrameView front to back, across calls: the RX writer pours one frame into
// several buffers.
class FrameCursor {
 public:
  explicit FrameCursor(const FrameView& frame) : frame_(frame), remaining_(frame.length()) {}
  uint32_t remaining() const { return remaining_; }
  // Copies up to cap bytes into dst; returns how many.
  uint32_t CopyTo(uint8_t* dst, uint32_t cap);

 private:
  const FrameView& frame_;
  size_t slice_ = 0;
  uint32_t offset_ = 0;  // inside slices()[slice_]
  uint32_t remaining_;
};

}  // namespace softvf::virtio
