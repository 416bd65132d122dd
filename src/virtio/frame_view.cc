#include "virtio/frame_view.h"

#include <algorithm>
#include <cstring>

#include "virtio/guest_copy.h"

namespace softvf::virtio {

bool FrameView::Append(const uint8_t* data, uint32_t len) {
  if (len == 0) return true;
  if (count_ == kMaxSlices || len > UINT32_MAX - length_) return false;
  slices_[count_++] = FrameSlice{data, len};
  length_ += len;
  return true;
}

bool FrameView::AppendFrom(const FrameView& other, uint32_t offset) {
  // Check capacity first so a failed append leaves this view as it was.
  size_t needed = 0;
  uint64_t bytes = 0;
  uint32_t skip = offset;
  for (const FrameSlice& s : other.slices()) {
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    ++needed;
    bytes += s.len - skip;
    skip = 0;
  }
  if (needed > kMaxSlices - count_ || bytes > UINT32_MAX - length_) return false;
  skip = offset;
  for (const FrameSlice& s : other.slices()) {
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    slices_[count_++] = FrameSlice{s.data + skip, s.len - skip};
    length_ += s.len - skip;
    skip = 0;
  }
  return true;
}

uint32_t FrameView::CopyOut(uint32_t offset, void* dst, uint32_t len) const {
  auto* out = static_cast<uint8_t*>(dst);
  uint32_t done = 0;
  for (const FrameSlice& s : slices()) {
    if (done == len) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    const uint32_t n = std::min(s.len - offset, len - done);
    std::memcpy(out + done, s.data + offset, n);
    done += n;
    offset = 0;
  }
  return done;
}

uint32_t FrameCursor::CopyTo(uint8_t* dst, uint32_t cap) {
  const std::span<const FrameSlice> slices = frame_.slices();
  uint32_t done = 0;
  while (done < cap && slice_ < slices.size()) {
    const FrameSlice& s = slices[slice_];
    const uint32_t n = std::min(s.len - offset_, cap - done);
    CopyIntoGuest(dst + done, s.data + offset_, n);
    done += n;
    offset_ += n;
    if (offset_ == s.len) {
      ++slice_;
      offset_ = 0;
    }
  }
  remaining_ -= done;
  return done;
}

}  // namespace softvf::virtio
