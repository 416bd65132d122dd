#include "virtio/descriptor_chain.h"

#include <algorithm>
#include <cstring>

namespace softvf::virtio {
namespace {

// Walks segs as one byte stream starting at offset, handing each piece to copy.
template <typename Copy>
uint32_t Walk(std::span<const Segment> segs, uint32_t offset, uint32_t len, Copy copy) {
  uint32_t done = 0;
  for (const Segment& s : segs) {
    if (done == len) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    const uint32_t n = std::min(s.len - offset, len - done);
    copy(s.host + offset, done, n);
    done += n;
    offset = 0;
  }
  return done;
}

}  // namespace

uint32_t DescriptorChain::ReadAt(uint32_t offset, void* dst, uint32_t len) const {
  auto* out = static_cast<uint8_t*>(dst);
  return Walk(readable(), offset, len,
              [out](const uint8_t* p, uint32_t at, uint32_t n) { std::memcpy(out + at, p, n); });
}

uint32_t DescriptorChain::WriteAt(uint32_t offset, const void* src, uint32_t len) const {
  const auto* in = static_cast<const uint8_t*>(src);
  return Walk(writable(), offset, len,
              [in](uint8_t* p, uint32_t at, uint32_t n) { std::memcpy(p, in + at, n); });
}

}  // namespace softvf::virtio
