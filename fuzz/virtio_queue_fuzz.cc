// Descriptor chains over guest memory: the fuzz input is the queue's configuration, the
// descriptor table, the available ring and then a sequence of device and driver actions
// (pop, burst, push, publish, rewind, notifications, the driver rewriting memory or
// moving avail idx, reconfiguring). Every popped chain is checked to lie inside the map
// and is read and written through, as the TX reader and RX writer would.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdlib>
#include <vector>

#include "fuzz_guest_memory.h"
#include "virtio/frame_view.h"
#include "virtio/net_header.h"
#include "virtio/ring_layout.h"
#include "virtio/split_queue.h"
#include "virtio/tx_reader.h"

namespace softvf::virtio {
namespace {

using fuzz::FuzzGuestMemory;

constexpr uint64_t kDesc = 0x0;  // up to 256 descriptors: 4 KiB
constexpr uint64_t kAvail = 0x1000;
constexpr uint64_t kUsed = 0x1400;

void Check(bool ok) {
  if (!ok) abort();
}

// A ring address: mostly the normal layout, sometimes anywhere in (or out of) the map.
uint64_t RingAddress(FuzzedDataProvider& in, uint64_t normal) {
  uint8_t mode = in.ConsumeIntegral<uint8_t>();
  if (mode < 224) return normal;
  if (mode < 248) return FuzzGuestMemory::Gpa(mode, in.ConsumeIntegral<uint32_t>());
  return in.ConsumeIntegral<uint64_t>();
}

// A buffer address: inside a region (possibly near its end), or any 64-bit value.
uint64_t BufferAddress(FuzzedDataProvider& in) {
  uint8_t mode = in.ConsumeIntegral<uint8_t>();
  if (mode < 240) return FuzzGuestMemory::Gpa(mode, in.ConsumeIntegral<uint16_t>());
  return in.ConsumeIntegral<uint64_t>();
}

uint32_t BufferLength(FuzzedDataProvider& in) {
  uint8_t mode = in.ConsumeIntegral<uint8_t>();
  if (mode < 200) return in.ConsumeIntegral<uint16_t>() % 2048;
  if (mode < 250) return in.ConsumeIntegral<uint16_t>();
  return in.ConsumeIntegral<uint32_t>();
}

void WriteDesc(const FuzzGuestMemory& mem, uint64_t table, uint16_t i, uint64_t addr,
               uint32_t len, uint16_t flags, uint16_t next) {
  ring::Descriptor d{Le64(addr), Le32(len), Le16(flags), Le16(next)};
  uint8_t raw[16];
  std::memcpy(raw, &d.addr, 8);
  std::memcpy(raw + 8, &d.len, 4);
  std::memcpy(raw + 12, &d.flags, 2);
  std::memcpy(raw + 14, &d.next, 2);
  mem.Write(table + 16ull * i, raw, sizeof raw);
}

SplitQueueConfig ReadConfig(FuzzedDataProvider& in) {
  SplitQueueConfig c;
  uint8_t size = in.ConsumeIntegral<uint8_t>();
  c.size = size < 240 ? 1u << (size % 9) : in.ConsumeIntegral<uint32_t>();
  c.desc = GuestAddress(RingAddress(in, kDesc));
  c.avail = GuestAddress(RingAddress(in, kAvail));
  c.used = GuestAddress(RingAddress(in, kUsed));
  c.last_avail_idx = in.ConsumeIntegral<uint16_t>();
  c.used_idx = in.ConsumeIntegral<uint16_t>();
  c.event_idx = in.ConsumeBool();
  c.indirect_desc = in.ConsumeBool();
  return c;
}

// What a device does with a chain: the checks any user of it relies on, then reads and
// writes through every segment.
void UseChain(const GuestMemoryMap& map, const DescriptorChain& chain, FuzzedDataProvider& in) {
  uint64_t readable = 0, writable = 0;
  Check(chain.size() <= DescriptorChain::kMaxSegments);
  for (size_t i = 0; i < chain.size(); ++i) {
    const Segment& s = chain[i];
    Check(map.ContainsHost(s.host, s.len));
    Check(s.writable == (i >= chain.readable().size()));
    (s.writable ? writable : readable) += s.len;
  }
  Check(readable == chain.readable_bytes() && writable == chain.writable_bytes());

  static uint8_t scratch[1 << 17];
  uint32_t offset = in.ConsumeIntegral<uint16_t>();
  uint32_t len = in.ConsumeIntegral<uint16_t>();
  uint32_t got = chain.ReadAt(offset, scratch, len);
  Check(got <= len);
  got = chain.WriteAt(in.ConsumeIntegral<uint16_t>(), scratch, len);
  Check(got <= len);

  VirtioNetHeader header;
  FrameView frame;
  uint32_t header_len = in.ConsumeBool() ? kNetHeaderLen : kLegacyNetHeaderLen;
  if (ReadTxFrame(chain, header_len, &header, &frame)) {
    Check(frame.length() + header_len == chain.readable_bytes());
    uint32_t n = frame.CopyOut(0, scratch, sizeof scratch);
    Check(n == std::min<uint32_t>(frame.length(), sizeof scratch));
    FrameView rest;
    if (rest.AppendFrom(frame, in.ConsumeIntegral<uint16_t>())) rest.CopyOut(0, scratch, 64);
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

  SplitQueueConfig config = ReadConfig(in);
  // The driver's side: descriptors (direct, chained or indirect tables anywhere).
  const uint32_t size_for_fill = std::min<uint32_t>(config.size ? config.size : 1, 256);
  uint32_t descs = in.ConsumeIntegralInRange<uint32_t>(0, size_for_fill);
  for (uint32_t i = 0; i < descs; ++i) {
    uint64_t table = in.ConsumeBool() ? config.desc.value() : BufferAddress(in);
    uint16_t index = in.ConsumeIntegral<uint8_t>();
    uint64_t addr = BufferAddress(in);
    uint32_t len = BufferLength(in);
    uint16_t flags = in.ConsumeIntegral<uint8_t>() & 0x7;
    if (in.ConsumeIntegral<uint8_t>() == 0xff) flags = in.ConsumeIntegral<uint16_t>();
    uint16_t next = in.ConsumeIntegral<uint16_t>() % (2 * size_for_fill);
    WriteDesc(mem, table, index, addr, len, flags, next);
  }
  // The available ring: flags, entries, idx.
  const uint64_t avail = config.avail.value();
  mem.Write16(avail + ring::kAvailFlags, in.ConsumeIntegral<uint8_t>() & 1);
  uint32_t entries = in.ConsumeIntegralInRange<uint32_t>(0, size_for_fill);
  for (uint32_t i = 0; i < entries; ++i) {
    uint16_t head = in.ConsumeIntegral<uint16_t>();
    if (in.ConsumeBool()) head %= size_for_fill;
    mem.Write16(avail + ring::AvailRingEntry((config.last_avail_idx + i) % size_for_fill), head);
  }
  mem.Write16(avail + ring::kAvailIdx,
              in.ConsumeBool() ? static_cast<uint16_t>(config.last_avail_idx + entries)
                               : in.ConsumeIntegral<uint16_t>());

  SplitQueue queue;
  queue.Configure(config);  // an invalid config leaves it unconfigured: calls are no-ops
  static std::array<DescriptorChain, 16> chains;
  uint16_t heads[16] = {};
  size_t popped = 0;
  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegral<uint8_t>() % 14) {
      case 0: {
        DescriptorChain& c = chains[0];
        if (queue.Pop(map, &c)) {
          UseChain(map, c, in);
          heads[popped++ % 16] = c.head();
        }
        break;
      }
      case 1: {
        size_t n = queue.PopBurst(map, std::span(chains.data(), in.ConsumeIntegralInRange<size_t>(0, 16)));
        for (size_t i = 0; i < n; ++i) {
          UseChain(map, chains[i], in);
          heads[popped++ % 16] = chains[i].head();
        }
        break;
      }
      case 2: {
        uint16_t head = in.ConsumeBool() ? heads[in.ConsumeIntegral<uint8_t>() % 16]
                                         : in.ConsumeIntegral<uint16_t>();
        queue.PushUsed(map, head, in.ConsumeIntegral<uint32_t>());
        break;
      }
      case 3:
        queue.PublishUsed(map);
        break;
      case 4:
        queue.Rewind(in.ConsumeIntegral<uint16_t>());
        break;
      case 5:
        queue.Available(map);
        break;
      case 6:
        queue.NeedsNotify(map);
        break;
      case 7:
        queue.DisableNotifications(map);
        break;
      case 8:
        queue.EnableNotifications(map);
        break;
      case 9:
        queue.PrefetchAvail(map, in.ConsumeIntegral<uint16_t>());
        break;
      case 10: {  // the driver rewrites guest memory while the device runs
        uint64_t gpa = FuzzGuestMemory::Gpa(in.ConsumeIntegral<uint8_t>(),
                                            in.ConsumeIntegral<uint16_t>());
        std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(in.ConsumeIntegral<uint8_t>());
        mem.Write(gpa, bytes.data(), bytes.size());
        break;
      }
      case 11:  // the driver publishes (or corrupts) avail idx
        mem.Write16(avail + ring::kAvailIdx, in.ConsumeIntegral<uint16_t>());
        break;
      case 12:
        queue.Configure(ReadConfig(in));
        break;
      case 13:
        queue.Reset();
        break;
    }
  }
  return 0;
}
