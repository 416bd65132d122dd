#include "virtio/rx_writer.h"

#include <cstring>

#include "virtio/guest_copy.h"

namespace softvf::virtio {

RxWriter::RxWriter(RxConfig config) : config_(config) {
  if (config_.mergeable) config_.header_len = kNetHeaderLen;
  if (config_.header_len != kLegacyNetHeaderLen) config_.header_len = kNetHeaderLen;
}

RxResult RxWriter::Drop(RxResult why) {
  switch (why) {
    case RxResult::kNoBuffers:
      ++counters_.no_buffers;
      break;
    case RxResult::kTooBig:
      ++counters_.too_big;
      break;
    case RxResult::kBadBuffer:
      ++counters_.bad_buffer;
      break;
    case RxResult::kQueueBroken:
      ++counters_.queue_broken;
      break;
    case RxResult::kDelivered:
      break;
  }
  return why;
}

// Writes the header only if the buffer does not hold it already, as DPDK's vhost and
// virtio PMD do (ASSIGN_UNLESS_EQUAL). A driver recycles its receive buffers, and the
// header of the last frame in one (or the one its own transmit path left there) is nearly
// always the same: comparing needs the line only shared, so it stays in the driver's core
// too, where storing would pull it over for ownership and make the driver miss on it when
// it reads the header. Reading a posted buffer is safe: it is the guest's, mapped and
// bounds-checked like the store; what a driver writes to it meanwhile is its own business.
namespace {
[[gnu::always_inline]] inline void StoreHeader(uint8_t* dst, const VirtioNetHeader& h,
                                               uint32_t len) {
  if (std::memcmp(dst, &h, len) != 0) std::memcpy(dst, &h, len);
}
}  // namespace

// Pours frame bytes into the chain's writable segments from offset on; returns how many.
uint32_t RxWriter::Pour(const DescriptorChain& chain, uint32_t offset, FrameCursor& cursor) {
  uint32_t written = 0;
  for (const Segment& s : chain.writable()) {
    if (cursor.remaining() == 0) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    written += cursor.CopyTo(s.host + offset, s.len - offset);
    offset = 0;
  }
  return written;
}

// The common case: one writable buffer that holds the header and the whole frame (a
// driver's 1.5 or 2 KiB buffers, or mergeable pages, for standard frames).
bool RxWriter::Fits(const DescriptorChain& chain, uint32_t hdr_len, uint32_t frame_len) {
  const std::span<const Segment> w = chain.writable();
  return w.size() == 1 && w[0].len >= hdr_len && w[0].len - hdr_len >= frame_len;
}

bool RxWriter::Reserve(SplitQueue& queue, const GuestMemoryMap& mem, uint32_t frame_len,
                       RxBuffer* buf) {
  if (!queue.Pop(mem, &first_)) return false;  // Write will say why (none, or broken)
  if (!Fits(first_, config_.header_len, frame_len)) {
    queue.Rewind(1);
    return false;
  }
  *buf = RxBuffer{first_.writable()[0].host, first_.head()};
  return true;
}

// Straight into the one buffer: no cursor, no walk.
void RxWriter::Fill(const RxBuffer& buf, const uint8_t* head, uint32_t head_len,
                    const FrameView& frame, const VirtioNetHeader& header) const {
  VirtioNetHeader h = header;
  SetNumBuffers(h, 1);
  if (config_.header_len == kNetHeaderLen)  // fixed sizes the compiler inlines
    StoreHeader(buf.data, h, kNetHeaderLen);
  else
    StoreHeader(buf.data, h, kLegacyNetHeaderLen);
  uint8_t* p = buf.data + config_.header_len;
  CopyIntoGuest(p, head, head_len);
  p += head_len;
  uint32_t skip = head_len;
  for (const FrameSlice& sl : frame.slices()) {
    if (skip >= sl.len) {
      skip -= sl.len;
      continue;
    }
    CopyIntoGuest(p, sl.data + skip, sl.len - skip);
    p += sl.len - skip;
    skip = 0;
  }
}

void RxWriter::Commit(SplitQueue& queue, const GuestMemoryMap& mem, const RxBuffer& buf,
                      uint32_t frame_len) {
  queue.PushUsed(mem, buf.head, config_.header_len + frame_len);
  ++counters_.frames;
  counters_.bytes += frame_len;
}

RxResult RxWriter::Write(SplitQueue& queue, const GuestMemoryMap& mem, const FrameView& frame,
                         const VirtioNetHeader& header) {
  const uint32_t hdr_len = config_.header_len;
  if (!queue.Pop(mem, &first_)) {
    return Drop(queue.broken() ? RxResult::kQueueBroken : RxResult::kNoBuffers);
  }
  if (first_.writable_bytes() < hdr_len) {
    // A driver bug (5.1.6.3.1). Giving it back would stall the queue on it forever;
    // returning it empty lets the driver count an error and recycle it.
    queue.PushUsed(mem, first_.head(), 0);
    return Drop(RxResult::kBadBuffer);
  }
  if (!config_.mergeable && first_.writable_bytes() - hdr_len < frame.length()) {
    queue.Rewind(1);  // a later, smaller frame may fit
    return Drop(RxResult::kTooBig);
  }

  if (Fits(first_, hdr_len, frame.length())) {
    const RxBuffer buf{first_.writable()[0].host, first_.head()};
    Fill(buf, nullptr, 0, frame, header);
    Commit(queue, mem, buf, frame.length());
    return RxResult::kDelivered;
  }

  FrameCursor cursor(frame);
  const uint32_t first_len = hdr_len + Pour(first_, hdr_len, cursor);
  uint16_t taken = 1;
  while (cursor.remaining() > 0) {  // only with MRG_RXBUF
    if (taken == kMaxBuffers) {
      queue.Rewind(taken);
      return Drop(RxResult::kTooBig);
    }
    if (!queue.Pop(mem, &next_)) {
      if (queue.broken()) return Drop(RxResult::kQueueBroken);
      queue.Rewind(taken);
      return Drop(RxResult::kNoBuffers);
    }
    used_[taken++] = Used{next_.head(), Pour(next_, 0, cursor)};
  }

  VirtioNetHeader h = header;
  SetNumBuffers(h, taken);  // 1 without MRG_RXBUF, as 5.1.6.3.2 requires for VERSION_1
  first_.WriteAt(0, &h, hdr_len);
  queue.PushUsed(mem, first_.head(), first_len);
  for (uint16_t i = 1; i < taken; ++i) queue.PushUsed(mem, used_[i].head, used_[i].len);
  ++counters_.frames;
  counters_.bytes += frame.length();
  return RxResult::kDelivered;
}

}  // namespace softvf::virtio
