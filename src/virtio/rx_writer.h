// Delivers one frame into a virtio-net receive queue (virtio 1.x 5.1.6.3 "Setting Up
// Receive Buffers" and 5.1.6.4 "Processing of Incoming Packets").
//
// With VIRTIO_NET_F_MRG_RXBUF the frame may span several available buffers: the 12-byte
// header goes at the start of the first, num_buffers says how many were used, and their
// used elements are consecutive. Without it the header and frame must fit one buffer
// (num_buffers = 1, 5.1.6.3.2). If the buffers run out midway the frame is dropped and
// every chain taken for it is given back with SplitQueue::Rewind — the driver still owns
// them and nothing leaks; the bytes already written into them are invisible to it.
//
// Used elements are pushed but not published: the caller publishes once per burst
// (SplitQueue::PublishUsed) and then asks NeedsNotify. No allocation, no locks.
#pragma once

#include <array>
#include <cstdint>

#include "virtio/descriptor_chain.h"
#include "virtio/frame_view.h"
#include "virtio/guest_memory.h"
#include "virtio/net_header.h"
#include "virtio/split_queue.h"

namespace softvf::virtio {

struct RxConfig {
  bool mergeable = false;               // VIRTIO_NET_F_MRG_RXBUF negotiated
  uint32_t header_len = kNetHeaderLen;  // NetHeaderLength(); forced to 12 if mergeable
};

enum class RxResult : uint8_t {
  kDelivered,
  kNoBuffers,    // not enough available buffers now: dropped, buffers given back
  kTooBig,       // cannot fit one buffer (no MRG_RXBUF) or kMaxBuffers: dropped, given back
  kBadBuffer,    // first buffer shorter than the header (5.1.6.3.1): returned with len 0
  kQueueBroken,  // the ring is malformed; see SplitQueue::broken_reason()
};

struct RxCounters {
  uint64_t frames = 0;
  uint64_t bytes = 0;  // frame bytes, header excluded
  uint64_t no_buffers = 0;
  uint64_t too_big = 0;
  uint64_t bad_buffer = 0;
  uint64_t queue_broken = 0;
};

// A receive buffer taken for one frame ahead of the copy (RxWriter::Reserve): a single
// device-writable segment that holds the header and the whole frame.
struct RxBuffer {
  uint8_t* data;
  uint16_t head;
};

class RxWriter {
 public:
  // Enough for a 64 KiB GSO frame in 1 KiB buffers; num_buffers is 16-bit anyway.
  static constexpr uint16_t kMaxBuffers = 128;

  explicit RxWriter(RxConfig config);

  // header's num_buffers is overwritten; its offload fields are the caller's choice.
  RxResult Write(SplitQueue& queue, const GuestMemoryMap& mem, const FrameView& frame,
                 const VirtioNetHeader& header = {});

  // The same delivery in three steps, for a switch that delivers a burst: reserve every
  // frame's buffer, then fill them all, then commit them all, so the stores into the
  // guest's lines come together instead of between the ring and counter bookkeeping
  // (Worker::ForwardTxBurst). Reserve takes the next buffer if it alone holds the header
  // and frame_len bytes; otherwise it gives the buffer back and returns false, and Write
  // handles that frame as the spec asks. Fill writes the header (num_buffers 1) and the
  // frame: its first head_len bytes from `head`, the rest from `frame` past them. Commit
  // returns the buffer used. Buffers are committed in the order they were reserved.
  bool Reserve(SplitQueue& queue, const GuestMemoryMap& mem, uint32_t frame_len, RxBuffer* buf);
  void Fill(const RxBuffer& buf, const uint8_t* head, uint32_t head_len, const FrameView& frame,
            const VirtioNetHeader& header = {}) const;
  void Commit(SplitQueue& queue, const GuestMemoryMap& mem, const RxBuffer& buf,
              uint32_t frame_len);

  const RxCounters& counters() const { return counters_; }
  const RxConfig& config() const { return config_; }

 private:
  struct Used {
    uint16_t head;
    uint32_t len;
  };
  RxResult Drop(RxResult why);
  static uint32_t Pour(const DescriptorChain& chain, uint32_t offset, FrameCursor& cursor);
  static bool Fits(const DescriptorChain& chain, uint32_t hdr_len, uint32_t frame_len);

  RxConfig config_;
  RxCounters counters_;
  DescriptorChain first_;  // holds the header, written last once num_buffers is known
  DescriptorChain next_;   // each further buffer, filled and released in turn
  std::array<Used, kMaxBuffers> used_;
};

}  // namespace softvf::virtio
