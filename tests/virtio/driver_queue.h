// Test double: the driver side of a split virtqueue (virtio 1.x 2.7.13 "Supplying
// Buffers to The Device", 2.7.14 "Receiving Used Buffers"), in the spirit of rust-vmm's
// MockSplitQueue. It lays out the descriptor table, available ring and used ring in a
// FakeGuestMemory, posts chains (direct, indirect, and deliberately malformed ones, by
// writing raw descriptors), and reads back used elements and buffer contents.
//
// Layout: desc table at ring_gpa, avail ring right after it, used ring on the next 4 KiB
// boundary. Data buffers come from a bump allocator over [data_gpa, data_gpa + data_size).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "fake_guest_memory.h"
#include "virtio/ring_layout.h"
#include "virtio/split_queue.h"

namespace softvf::virtio::testing {

struct Buf {
  uint64_t gpa;
  uint32_t len;
  bool writable = false;
};

struct UsedElem {
  uint32_t id;
  uint32_t len;
};

class DriverQueue {
 public:
  DriverQueue(const FakeGuestMemory& mem, uint32_t size, uint64_t ring_gpa, uint64_t data_gpa,
              uint64_t data_size)
      : mem_(mem), size_(size), data_next_(data_gpa), data_end_(data_gpa + data_size) {
    desc_ = ring_gpa;
    avail_ = desc_ + ring::DescTableBytes(size);
    used_ = (avail_ + ring::AvailRingBytes(size, true) + 4095) & ~uint64_t{4095};
    mem_.Fill(desc_, 0, ring::DescTableBytes(size));
    mem_.Fill(avail_, 0, ring::AvailRingBytes(size, true));
    mem_.Fill(used_, 0, ring::UsedRingBytes(size, true));
  }

  SplitQueueConfig config(bool event_idx = false, bool indirect = true) const {
    SplitQueueConfig c;
    c.size = size_;
    c.desc = GuestAddress(desc_);
    c.avail = GuestAddress(avail_);
    c.used = GuestAddress(used_);
    c.last_avail_idx = avail_idx_;
    c.used_idx = used_idx();
    c.event_idx = event_idx;
    c.indirect_desc = indirect;
    return c;
  }
  uint64_t desc_gpa() const { return desc_; }
  uint64_t avail_gpa() const { return avail_; }
  uint64_t used_gpa() const { return used_; }

  // --- buffers -------------------------------------------------------------------------
  // A fresh buffer of len bytes (16-byte aligned), filled with `fill`.
  uint64_t AllocData(uint32_t len, uint8_t fill = 0) {
    const uint64_t gpa = data_next_;
    data_next_ = (data_next_ + len + 15) & ~uint64_t{15};
    EXPECT_LE(data_next_, data_end_) << "test bug: data area exhausted";
    if (len > 0) mem_.Fill(gpa, fill, len);
    return gpa;
  }
  uint64_t AllocData(const std::vector<uint8_t>& bytes) {
    const uint64_t gpa = AllocData(static_cast<uint32_t>(bytes.size()));
    if (!bytes.empty()) mem_.Write(gpa, bytes.data(), bytes.size());
    return gpa;
  }

  // --- descriptors -----------------------------------------------------------------------
  // Raw write of descriptor i of the table at table_gpa (the ring's table by default).
  void WriteDesc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    WriteDescAt(desc_, i, addr, len, flags, next);
  }
  void WriteDescAt(uint64_t table_gpa, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                   uint16_t next) {
    uint8_t raw[16];
    const uint64_t a = Le64(addr);
    const uint32_t l = Le32(len);
    const uint16_t f = Le16(flags);
    const uint16_t n = Le16(next);
    std::memcpy(raw, &a, 8);
    std::memcpy(raw + 8, &l, 4);
    std::memcpy(raw + 12, &f, 2);
    std::memcpy(raw + 14, &n, 2);
    mem_.Write(table_gpa + 16ull * i, raw, sizeof(raw));
  }

  // Takes n free descriptor slots (consecutive modulo size) and returns the first.
  uint16_t TakeDescs(uint32_t n) {
    const auto first = static_cast<uint16_t>(next_desc_ % size_);
    next_desc_ += n;
    return first;
  }
  uint16_t SlotAfter(uint16_t i) const { return static_cast<uint16_t>((i + 1) % size_); }

  // A direct chain of the given buffers, linked with NEXT; returns its head (not yet
  // offered).
  uint16_t AddChain(const std::vector<Buf>& bufs) {
    const uint16_t head = TakeDescs(static_cast<uint32_t>(bufs.size()));
    uint16_t i = head;
    for (size_t k = 0; k < bufs.size(); ++k) {
      const bool last = k + 1 == bufs.size();
      const uint16_t next = last ? 0 : SlotAfter(i);
      const uint16_t flags =
          (bufs[k].writable ? ring::kDescFWrite : 0) | (last ? 0 : ring::kDescFNext);
      WriteDesc(i, bufs[k].gpa, bufs[k].len, flags, next);
      i = next;
    }
    return head;
  }

  // Writes an indirect table (entries linked 0 -> 1 -> ...) at a fresh data address and
  // returns its GPA.
  uint64_t WriteIndirectTable(const std::vector<Buf>& bufs) {
    const uint64_t table = AllocData(static_cast<uint32_t>(16 * bufs.size()));
    for (size_t k = 0; k < bufs.size(); ++k) {
      const bool last = k + 1 == bufs.size();
      const uint16_t flags =
          (bufs[k].writable ? ring::kDescFWrite : 0) | (last ? 0 : ring::kDescFNext);
      WriteDescAt(table, static_cast<uint16_t>(k), bufs[k].gpa, bufs[k].len, flags,
                  static_cast<uint16_t>(last ? 0 : k + 1));
    }
    return table;
  }
  // One ring descriptor with INDIRECT pointing at a table of bufs; returns its head.
  uint16_t AddIndirectChain(const std::vector<Buf>& bufs) {
    const uint64_t table = WriteIndirectTable(bufs);
    const uint16_t head = TakeDescs(1);
    WriteDesc(head, table, static_cast<uint32_t>(16 * bufs.size()), ring::kDescFIndirect, 0);
    return head;
  }

  // --- available ring --------------------------------------------------------------------
  // Puts head in the next avail slot and publishes the new idx (2.7.13.3-4).
  void Offer(uint16_t head) {
    StoreRaw16(avail_ + ring::AvailRingEntry(avail_idx_ % size_), head);
    ++avail_idx_;
    std::atomic_thread_fence(std::memory_order_release);
    StoreRaw16(avail_ + ring::kAvailIdx, avail_idx_);
  }
  uint16_t OfferChain(const std::vector<Buf>& bufs) {
    const uint16_t head = AddChain(bufs);
    Offer(head);
    return head;
  }
  // Raw idx write, for jumps and going backwards.
  void SetAvailIdx(uint16_t idx) {
    avail_idx_ = idx;
    StoreRaw16(avail_ + ring::kAvailIdx, idx);
  }
  uint16_t avail_idx() const { return avail_idx_; }
  void SetAvailFlags(uint16_t flags) { StoreRaw16(avail_ + ring::kAvailFlags, flags); }
  void SetUsedEvent(uint16_t v) { StoreRaw16(avail_ + ring::UsedEventOffset(size_), v); }

  // --- used ring ---------------------------------------------------------------------------
  uint16_t used_idx() const { return LoadRaw16(used_ + ring::kUsedIdx); }
  uint16_t used_flags() const { return LoadRaw16(used_ + ring::kUsedFlags); }
  uint16_t avail_event() const { return LoadRaw16(used_ + ring::AvailEventOffset(size_)); }
  UsedElem used(uint16_t idx) const {
    const auto raw = mem_.Read(used_ + ring::UsedRingEntry(idx % size_), 8);
    uint32_t id, len;
    std::memcpy(&id, raw.data(), 4);
    std::memcpy(&len, raw.data() + 4, 4);
    return UsedElem{Le32(id), Le32(len)};
  }

 private:
  void StoreRaw16(uint64_t gpa, uint16_t v) const {
    const uint16_t le = Le16(v);
    mem_.Write(gpa, &le, 2);
  }
  uint16_t LoadRaw16(uint64_t gpa) const {
    const auto raw = mem_.Read(gpa, 2);
    uint16_t v;
    std::memcpy(&v, raw.data(), 2);
    return Le16(v);
  }

  const FakeGuestMemory& mem_;
  uint32_t size_;
  uint64_t desc_ = 0;
  uint64_t avail_ = 0;
  uint64_t used_ = 0;
  uint16_t avail_idx_ = 0;
  uint32_t next_desc_ = 0;
  uint64_t data_next_;
  uint64_t data_end_;
};

}  // namespace softvf::virtio::testing
