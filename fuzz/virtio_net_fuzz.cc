// The virtio-net header and RX delivery: the input lays out a transmit queue (frames with
// their virtio-net headers, split across descriptors at any byte) and a receive queue
// (buffers of any size, direct or indirect), then moves frames the way the worker does:
// ReadTxFrame on each TX chain, RxWriter::Write of that frame (or of a frame made of
// arbitrary slices) into the RX queue, with and without mergeable buffers and with the
// 10- or 12-byte header. Whatever RxWriter reports is checked against the used ring:
// a delivered frame must read back byte for byte from the buffers it names, with
// num_buffers equal to the buffers used; a dropped one must leave no used element.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <map>
#include <vector>

#include "fuzz_guest_memory.h"
#include "virtio/frame_view.h"
#include "virtio/net_header.h"
#include "virtio/ring_layout.h"
#include "virtio/rx_writer.h"
#include "virtio/split_queue.h"
#include "virtio/tx_reader.h"

namespace softvf::virtio {
namespace {

using fuzz::FuzzGuestMemory;

void Check(bool ok) {
  if (!ok) abort();
}

struct Buf {
  uint64_t gpa;
  uint32_t len;
};

// The driver's side of one split queue, with every buffer it offered recorded by head.
class Driver {
 public:
  Driver(FuzzGuestMemory& mem, uint64_t base, uint32_t size) : mem_(mem), size_(size) {
    config_.size = size;
    config_.desc = GuestAddress(base);
    config_.avail = GuestAddress(base + 0x400);
    config_.used = GuestAddress(base + 0x600);
  }
  SplitQueueConfig& config() { return config_; }
  bool has_slots(uint32_t n) const { return next_desc_ + n <= size_; }

  // A chain of bufs (writable ones after readable ones), direct or through an indirect
  // table at `table`. Offers it.
  void Offer(const std::vector<Buf>& bufs, bool writable, uint64_t table, uint16_t extra_flags) {
    const uint16_t head = static_cast<uint16_t>(next_desc_);
    const uint16_t w = writable ? ring::kDescFWrite : 0;
    if (table) {
      for (size_t k = 0; k < bufs.size(); ++k) {
        bool last = k + 1 == bufs.size();
        Desc(table, static_cast<uint16_t>(k), bufs[k], w | (last ? 0 : ring::kDescFNext) | extra_flags,
             static_cast<uint16_t>(last ? 0 : k + 1));
      }
      Desc(config_.desc.value(), head, Buf{table, static_cast<uint32_t>(16 * bufs.size())},
           ring::kDescFIndirect, 0);
      next_desc_ += 1;
    } else {
      for (size_t k = 0; k < bufs.size(); ++k) {
        bool last = k + 1 == bufs.size();
        Desc(config_.desc.value(), static_cast<uint16_t>(head + k), bufs[k],
             w | (last ? 0 : ring::kDescFNext) | extra_flags, static_cast<uint16_t>(last ? 0 : head + k + 1));
      }
      next_desc_ += static_cast<uint32_t>(bufs.size());
    }
    chains_[head] = bufs;
    const uint64_t avail = config_.avail.value();
    mem_.Write16(avail + ring::AvailRingEntry(avail_idx_ % size_), head);
    ++avail_idx_;
    mem_.Write16(avail + ring::kAvailIdx, avail_idx_);
  }

  uint16_t used_idx() const { return mem_.Read16(config_.used.value() + ring::kUsedIdx); }
  std::pair<uint32_t, uint32_t> used(uint16_t idx) const {
    uint32_t e[2] = {};
    if (const uint8_t* p = mem_.Host(config_.used.value() + ring::UsedRingEntry(idx % size_), 8))
      std::memcpy(e, p, 8);
    return {e[0], e[1]};
  }
  // The first len bytes of the buffers of chain `head`, appended to out.
  void Gather(uint32_t head, uint32_t len, std::vector<uint8_t>& out) const {
    auto it = chains_.find(head);
    Check(it != chains_.end());
    for (const Buf& b : it->second) {
      uint32_t n = std::min(len, b.len);
      for (uint32_t i = 0; i < n; ++i) out.push_back(*mem_.Host(b.gpa + i, 1));
      len -= n;
    }
    Check(len == 0);  // the device cannot have written more than the chain holds
  }

 private:
  void Desc(uint64_t table, uint16_t i, const Buf& b, uint16_t flags, uint16_t next) {
    uint8_t raw[16];
    uint64_t a = Le64(b.gpa);
    uint32_t l = Le32(b.len);
    uint16_t f = Le16(flags), n = Le16(next);
    std::memcpy(raw, &a, 8);
    std::memcpy(raw + 8, &l, 4);
    std::memcpy(raw + 12, &f, 2);
    std::memcpy(raw + 14, &n, 2);
    mem_.Write(table + 16ull * i, raw, sizeof raw);
  }
  FuzzGuestMemory& mem_;
  uint32_t size_;
  SplitQueueConfig config_;
  uint32_t next_desc_ = 0;
  uint16_t avail_idx_ = 0;
  std::map<uint32_t, std::vector<Buf>> chains_;
};

// Buffer space: 0x2000 up to the end of region B (crossing from A into B at 0x8000),
// then region C.
class Allocator {
 public:
  bool Take(uint32_t len, uint64_t* gpa) {
    if (next_ + len <= 0xc000) {
      *gpa = next_;
      next_ += len;
      return true;
    }
    if (c_ + len <= 0x102000) {
      *gpa = c_;
      c_ += len;
      return true;
    }
    return false;
  }

 private:
  uint64_t next_ = 0x2000;
  uint64_t c_ = 0x100000;
};

// Delivers `frame` and checks the outcome against the RX used ring.
void Deliver(RxWriter& writer, SplitQueue& rxq, Driver& rx, const GuestMemoryMap& map,
             const FrameView& frame, const VirtioNetHeader& header, bool verify) {
  std::vector<uint8_t> expect(frame.length());
  Check(frame.CopyOut(0, expect.data(), frame.length()) == frame.length());
  rxq.PublishUsed(map);
  const uint16_t before = rx.used_idx();
  RxResult r = writer.Write(rxq, map, frame, header);
  rxq.PublishUsed(map);
  const uint16_t after = rx.used_idx();
  const uint16_t n = static_cast<uint16_t>(after - before);
  if (!verify || rxq.broken()) return;
  const uint32_t hdr_len = writer.config().header_len;
  switch (r) {
    case RxResult::kDelivered: {
      Check(n >= 1 && (writer.config().mergeable || n == 1));
      std::vector<uint8_t> got;
      for (uint16_t i = 0; i < n; ++i) {
        auto [id, len] = rx.used(static_cast<uint16_t>(before + i));
        rx.Gather(id, len, got);
      }
      Check(got.size() == hdr_len + expect.size());
      VirtioNetHeader h;
      std::memcpy(&h, got.data(), hdr_len);
      if (hdr_len == kNetHeaderLen) Check(NumBuffers(h) == n);
      Check(std::equal(expect.begin(), expect.end(), got.begin() + hdr_len));
      break;
    }
    case RxResult::kBadBuffer:
      Check(n == 1 && rx.used(before).second == 0);
      break;
    case RxResult::kNoBuffers:
    case RxResult::kTooBig:
      Check(n == 0);
      break;
    case RxResult::kQueueBroken:
      break;
  }
}

}  // namespace
}  // namespace softvf::virtio

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace softvf::virtio;
  using softvf::fuzz::FuzzGuestMemory;
  FuzzedDataProvider in(data, size);
  FuzzGuestMemory& mem = FuzzGuestMemory::Get();
  mem.Clear();
  const GuestMemoryMap& map = mem.map();

  const bool mergeable = in.ConsumeBool();
  const uint32_t hdr_len = mergeable || in.ConsumeBool() ? kNetHeaderLen : kLegacyNetHeaderLen;
  const bool indirect = in.ConsumeBool(), event_idx = in.ConsumeBool();
  Driver rx(mem, 0x0, 1u << in.ConsumeIntegralInRange(0, 6));
  Driver tx(mem, 0x1000, 1u << in.ConsumeIntegralInRange(0, 6));
  Allocator alloc;
  bool verify = true;  // false once the driver breaks a rule on purpose

  // RX buffers: 1-3 pieces of any length, writable.
  for (int n = in.ConsumeIntegral<uint8_t>(); n > 0; --n) {
    uint32_t pieces = in.ConsumeIntegralInRange<uint32_t>(1, 3);
    bool use_indirect = indirect && in.ConsumeBool();
    if (!rx.has_slots(use_indirect ? 1 : pieces)) break;
    std::vector<Buf> bufs;
    for (uint32_t k = 0; k < pieces; ++k) {
      Buf b{0, in.ConsumeIntegralInRange<uint32_t>(0, 1600)};
      if (!alloc.Take(b.len, &b.gpa)) break;
      bufs.push_back(b);
    }
    uint64_t table = 0;
    if (bufs.empty() || (use_indirect && !alloc.Take(16 * bufs.size(), &table))) break;
    bool flip = in.ConsumeIntegral<uint8_t>() == 0xff;  // a readable RX buffer
    verify &= !flip;
    rx.Offer(bufs, !flip, table, 0);
  }
  // TX frames: header + frame, cut into 1-3 pieces at any byte.
  for (int n = in.ConsumeIntegral<uint8_t>(); n > 0; --n) {
    std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 1600));
    uint32_t pieces = in.ConsumeIntegralInRange<uint32_t>(1, 3);
    bool use_indirect = indirect && in.ConsumeBool();
    if (!tx.has_slots(use_indirect ? 1 : pieces)) break;
    std::vector<Buf> bufs;
    size_t at = 0;
    for (uint32_t k = 0; k < pieces; ++k) {
      size_t len = k + 1 == pieces ? bytes.size() - at
                                   : in.ConsumeIntegralInRange<size_t>(0, bytes.size() - at);
      Buf b{0, static_cast<uint32_t>(len)};
      if (!alloc.Take(b.len, &b.gpa)) break;
      mem.Write(b.gpa, bytes.data() + at, len);
      at += len;
      bufs.push_back(b);
    }
    uint64_t table = 0;
    if (bufs.empty() || (use_indirect && !alloc.Take(16 * bufs.size(), &table))) break;
    tx.Offer(bufs, false, table, 0);
  }

  rx.config().event_idx = tx.config().event_idx = event_idx;
  rx.config().indirect_desc = tx.config().indirect_desc = indirect;
  SplitQueue rxq, txq;
  Check(rxq.Configure(rx.config()).ok() && txq.Configure(tx.config()).ok());
  RxWriter writer(RxConfig{mergeable, hdr_len});
  Check(writer.config().header_len == hdr_len);

  std::vector<uint8_t> local;
  while (in.remaining_bytes() > 0) {
    uint8_t op = in.ConsumeIntegral<uint8_t>();
    if (op < 160) {  // forward one TX frame
      DescriptorChain chain;
      if (!txq.Pop(map, &chain)) continue;
      VirtioNetHeader header;
      FrameView frame;
      if (ReadTxFrame(chain, hdr_len, &header, &frame)) {
        Check(frame.length() + hdr_len == chain.readable_bytes());
        if (hdr_len == kLegacyNetHeaderLen) Check(header.num_buffers == 0);
        Deliver(writer, rxq, rx, map, frame, header, verify);
      }
      txq.PushUsed(map, chain.head(), 0);
      if (op & 1) txq.PublishUsed(map);
    } else if (op < 240) {  // a frame made of arbitrary slices (a rewritten header + the rest)
      local = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 4096));
      FrameView frame;
      size_t at = 0;
      while (at < local.size()) {
        size_t len = in.ConsumeIntegralInRange<size_t>(1, local.size() - at);
        if (!frame.Append(local.data() + at, static_cast<uint32_t>(len))) break;
        at += len;
      }
      VirtioNetHeader header;
      std::vector<uint8_t> h = in.ConsumeBytes<uint8_t>(sizeof header);
      if (!h.empty()) std::memcpy(&header, h.data(), h.size());
      Deliver(writer, rxq, rx, map, frame, header, verify);
    } else {
      rxq.NeedsNotify(map);
      txq.PublishUsed(map);
      txq.NeedsNotify(map);
      rxq.EnableNotifications(map);
    }
  }
  return 0;
}
