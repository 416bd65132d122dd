#include "virtio/tx_reader.h"

namespace softvf::virtio {

bool ReadTxFrame(const DescriptorChain& chain, uint32_t header_len, VirtioNetHeader* header,
                 FrameView* frame) {
  if (header_len > sizeof(VirtioNetHeader) || chain.readable_bytes() < header_len) return false;
  if (header != nullptr) {
    *header = VirtioNetHeader{};
    chain.ReadAt(0, header, header_len);
  }
  frame->Clear();
  // Skip the header (which may end inside a segment), then take every readable byte.
  uint32_t skip = header_len;
  for (const Segment& s : chain.readable()) {
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    // Cannot fail: a chain has at most kMaxSegments readable segments and FrameView holds
    // more, and a chain's bytes fit in 32 bits.
    frame->Append(s.host + skip, s.len - skip);
    skip = 0;
  }
  return true;
}

}  // namespace softvf::virtio
