// SplitQueue happy paths (virtio 1.x 2.7): configuration rules, popping direct, chained
// and indirect chains, buffers crossing regions, batched used publishing, 16-bit index
// wrap, rewinding, and map replacement.
#include "virtio/split_queue.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "driver_queue.h"
#include "fake_guest_memory.h"
#include "virtio/ring_layout.h"

namespace softvf::virtio {
namespace {

using testing::Buf;
using testing::DriverQueue;
using testing::FakeGuestMemory;

constexpr uint64_t kMiB = 1024 * 1024;

void ExpectInsideMap(const GuestMemoryMap& map, const DescriptorChain& chain) {
  for (const Segment& s : chain.segments()) {
    EXPECT_TRUE(map.ContainsHost(s.host, s.len)) << "segment outside the map";
  }
}

class SplitQueueTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kSize = 16;
  // Two GPA-adjacent regions whose host mappings are apart.
  FakeGuestMemory mem_{{{0, kMiB}, {kMiB, kMiB}}};
  DriverQueue driver_{mem_, kSize, 0x0, 0x10000, kMiB - 0x10000};
  SplitQueue queue_;
  DescriptorChain chain_;

  void SetUp() override { ASSERT_TRUE(queue_.Configure(driver_.config()).ok()); }
  const GuestMemoryMap& map() const { return mem_.map(); }
};

TEST(SplitQueueConfigTest, SizeMustBeAPowerOfTwoUpTo32768) {
  SplitQueue q;
  for (uint32_t bad : {0u, 3u, 24u, 65536u, 32769u}) {
    SplitQueueConfig c;
    c.size = bad;
    const Status st = q.Configure(c);
    EXPECT_EQ(st.errnum(), EINVAL) << bad;
  }
  for (uint32_t good : {1u, 2u, 256u, 32768u}) {
    SplitQueueConfig c;
    c.size = good;
    EXPECT_TRUE(q.Configure(c).ok()) << good;
  }
}

TEST(SplitQueueConfigTest, RingsMustHaveTheSpecAlignment) {
  SplitQueue q;
  SplitQueueConfig c;
  c.size = 8;
  c.desc = GuestAddress(0x1008);  // needs 16
  Status st = q.Configure(c);
  EXPECT_EQ(st.errnum(), EINVAL);
  EXPECT_EQ(st.message(), "virtqueue descriptor table address 0x1008 is not 16-byte aligned");
  c.desc = GuestAddress(0x1000);
  c.avail = GuestAddress(0x2001);  // needs 2
  EXPECT_EQ(q.Configure(c).errnum(), EINVAL);
  c.avail = GuestAddress(0x2002);
  c.used = GuestAddress(0x3002);  // needs 4
  EXPECT_EQ(q.Configure(c).errnum(), EINVAL);
  c.used = GuestAddress(0x3004);
  EXPECT_TRUE(q.Configure(c).ok());
}

TEST(SplitQueueConfigTest, UnconfiguredQueueIsInert) {
  FakeGuestMemory mem({{0, kMiB}});
  SplitQueue q;
  DescriptorChain chain;
  EXPECT_FALSE(q.Pop(mem.map(), &chain));
  EXPECT_FALSE(q.PushUsed(mem.map(), 0, 0));
  EXPECT_FALSE(q.NeedsNotify(mem.map()));
  EXPECT_FALSE(q.broken());
}

TEST_F(SplitQueueTest, EmptyQueuePopsNothing) {
  EXPECT_FALSE(queue_.Pop(map(), &chain_));
  EXPECT_FALSE(queue_.broken());
  EXPECT_EQ(queue_.Available(map()), 0);
}

TEST_F(SplitQueueTest, SingleReadableDescriptor) {
  const uint64_t buf = driver_.AllocData(64, 0xaa);
  const uint16_t head = driver_.OfferChain({{buf, 64}});
  EXPECT_EQ(queue_.Available(map()), 1);
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(chain_.head(), head);
  ASSERT_EQ(chain_.size(), 1u);
  EXPECT_EQ(chain_[0].host, mem_.Host(buf));
  EXPECT_EQ(chain_[0].len, 64u);
  EXPECT_FALSE(chain_[0].writable);
  EXPECT_EQ(chain_.readable_bytes(), 64u);
  EXPECT_EQ(chain_.writable_bytes(), 0u);
  EXPECT_EQ(chain_[0].host[63], 0xaa);
  EXPECT_EQ(queue_.last_avail_idx(), 1);
  EXPECT_FALSE(queue_.Pop(map(), &chain_));
  ExpectInsideMap(map(), chain_);
}

TEST_F(SplitQueueTest, ChainReadableThenWritable) {
  const uint64_t hdr = driver_.AllocData(12);
  const uint64_t data = driver_.AllocData(100);
  const uint64_t status = driver_.AllocData(200);
  driver_.OfferChain({{hdr, 12}, {data, 100}, {status, 200, true}});
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  ASSERT_EQ(chain_.size(), 3u);
  ASSERT_EQ(chain_.readable().size(), 2u);
  ASSERT_EQ(chain_.writable().size(), 1u);
  EXPECT_EQ(chain_.readable()[1].host, mem_.Host(data));
  EXPECT_EQ(chain_.writable()[0].host, mem_.Host(status));
  EXPECT_TRUE(chain_.writable()[0].writable);
  EXPECT_EQ(chain_.readable_bytes(), 112u);
  EXPECT_EQ(chain_.writable_bytes(), 200u);
  ExpectInsideMap(map(), chain_);
}

TEST_F(SplitQueueTest, IndirectTable) {
  const uint64_t a = driver_.AllocData(12);
  const uint64_t b = driver_.AllocData(50);
  const uint64_t c = driver_.AllocData(30);
  const uint16_t head = driver_.AddIndirectChain({{a, 12}, {b, 50}, {c, 30, true}});
  driver_.Offer(head);
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(chain_.head(), head);
  ASSERT_EQ(chain_.size(), 3u);
  EXPECT_EQ(chain_[0].host, mem_.Host(a));
  EXPECT_EQ(chain_[1].host, mem_.Host(b));
  EXPECT_EQ(chain_[2].host, mem_.Host(c));
  EXPECT_EQ(chain_.readable_bytes(), 62u);
  EXPECT_EQ(chain_.writable_bytes(), 30u);
  ExpectInsideMap(map(), chain_);
}

TEST_F(SplitQueueTest, DirectDescriptorsThenAnIndirectOne) {
  // 2.7.5.3.2: zero or more direct descriptors, then one INDIRECT; its WRITE is ignored.
  const uint64_t hdr = driver_.AllocData(12);
  const uint64_t w1 = driver_.AllocData(40);
  const uint64_t w2 = driver_.AllocData(40);
  const uint64_t table = driver_.WriteIndirectTable({{w1, 40, true}, {w2, 40, true}});
  driver_.WriteDesc(5, hdr, 12, ring::kDescFNext, 9);
  driver_.WriteDesc(9, table, 32, ring::kDescFIndirect | ring::kDescFWrite, 0);
  driver_.Offer(5);
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(chain_.head(), 5);
  ASSERT_EQ(chain_.size(), 3u);
  EXPECT_FALSE(chain_[0].writable);
  EXPECT_TRUE(chain_[1].writable);
  EXPECT_TRUE(chain_[2].writable);
  EXPECT_EQ(chain_[2].host, mem_.Host(w2));
}

TEST_F(SplitQueueTest, BufferCrossingAdjacentRegionsBecomesTwoSegments) {
  const uint64_t gpa = kMiB - 32;
  driver_.OfferChain({{gpa, 64, true}});
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  ASSERT_EQ(chain_.size(), 2u);
  EXPECT_EQ(chain_[0].host, mem_.region_host(0) + kMiB - 32);
  EXPECT_EQ(chain_[0].len, 32u);
  EXPECT_EQ(chain_[1].host, mem_.region_host(1));
  EXPECT_EQ(chain_[1].len, 32u);
  EXPECT_EQ(chain_.writable_bytes(), 64u);
  ExpectInsideMap(map(), chain_);
}

TEST_F(SplitQueueTest, ZeroLengthDescriptorsAreSkippedNotDereferenced) {
  const uint64_t data = driver_.AllocData(16);
  driver_.OfferChain({{0xdead00000000ull, 0}, {data, 16}, {0xffffffffffffff00ull, 0, true}});
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  ASSERT_EQ(chain_.size(), 1u);
  EXPECT_EQ(chain_[0].host, mem_.Host(data));
  EXPECT_FALSE(queue_.broken());
}

TEST_F(SplitQueueTest, UsedElementsArePublishedInOneBatch) {
  std::vector<uint16_t> heads;
  for (int i = 0; i < 3; ++i)
    heads.push_back(driver_.OfferChain({{driver_.AllocData(64), 64, true}}));
  DescriptorChain chains[3];
  ASSERT_EQ(queue_.PopBurst(map(), chains), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(queue_.PushUsed(map(), chains[i].head(), 10u * (i + 1)));
  EXPECT_EQ(queue_.pending_used(), 3);
  EXPECT_EQ(driver_.used_idx(), 0) << "nothing visible before PublishUsed";
  queue_.PublishUsed(map());
  EXPECT_EQ(driver_.used_idx(), 3);
  EXPECT_EQ(queue_.used_idx(), 3);
  EXPECT_EQ(queue_.pending_used(), 0);
  for (uint16_t i = 0; i < 3; ++i) {
    EXPECT_EQ(driver_.used(i).id, heads[i]);
    EXPECT_EQ(driver_.used(i).len, 10u * (i + 1));
  }
  queue_.PublishUsed(map());  // nothing pending: idx unchanged
  EXPECT_EQ(driver_.used_idx(), 3);
}

TEST_F(SplitQueueTest, PushUsedRejectsHeadsOutOfRange) {
  EXPECT_FALSE(queue_.PushUsed(map(), kSize, 0));
  EXPECT_EQ(queue_.pending_used(), 0);
  EXPECT_FALSE(queue_.broken());
}

TEST_F(SplitQueueTest, IndicesWrapAt65536) {
  driver_.SetAvailIdx(65534);
  SplitQueueConfig c = driver_.config();
  c.used_idx = 65534;
  ASSERT_TRUE(queue_.Configure(c).ok());
  std::vector<uint16_t> heads;
  for (int i = 0; i < 4; ++i) heads.push_back(driver_.OfferChain({{driver_.AllocData(8), 8}}));
  EXPECT_EQ(driver_.avail_idx(), 2);
  EXPECT_EQ(queue_.Available(map()), 4);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(queue_.Pop(map(), &chain_)) << i;
    EXPECT_EQ(chain_.head(), heads[i]);
    EXPECT_TRUE(queue_.PushUsed(map(), chain_.head(), 0));
  }
  queue_.PublishUsed(map());
  EXPECT_EQ(queue_.last_avail_idx(), 2);
  EXPECT_EQ(driver_.used_idx(), 2);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(driver_.used(static_cast<uint16_t>(65534 + i)).id, heads[i]);
  }
}

TEST_F(SplitQueueTest, RewindGivesChainsBack) {
  const uint16_t a = driver_.OfferChain({{driver_.AllocData(8), 8, true}});
  const uint16_t b = driver_.OfferChain({{driver_.AllocData(8), 8, true}});
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  queue_.Rewind(2);
  EXPECT_EQ(queue_.last_avail_idx(), 0);
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(chain_.head(), a);
  ASSERT_TRUE(queue_.PushUsed(map(), a, 0));
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(chain_.head(), b);
  // Only b is popped and not pushed: a rewind cannot reach back past a.
  queue_.Rewind(5);
  EXPECT_EQ(queue_.last_avail_idx(), 1);
}

TEST_F(SplitQueueTest, PopBurstStopsAtTheEnd) {
  for (int i = 0; i < 5; ++i) driver_.OfferChain({{driver_.AllocData(8), 8}});
  DescriptorChain chains[32];
  EXPECT_EQ(queue_.PopBurst(map(), chains), 5u);
  EXPECT_EQ(queue_.PopBurst(map(), chains), 0u);
}

TEST_F(SplitQueueTest, NewMapIsPickedUpAndRingsResolvedAgain) {
  driver_.OfferChain({{driver_.AllocData(8), 8}});
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  // Same memory, new table (a SET_MEM_TABLE that changed nothing): the queue keeps going.
  auto again = GuestMemoryMap::Create(map().regions());
  ASSERT_TRUE(again.ok());
  const uint64_t buf = driver_.AllocData(8);
  driver_.OfferChain({{buf, 8}});
  ASSERT_TRUE(queue_.Pop(**again, &chain_));
  EXPECT_EQ(chain_[0].host, mem_.Host(buf));
  // A table that no longer covers the rings stops the queue instead of using stale pointers.
  auto empty = GuestMemoryMap::Create({});
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(queue_.Pop(**empty, &chain_));
  EXPECT_TRUE(queue_.broken());
  EXPECT_EQ(queue_.broken_reason(), QueueError::kBadRingAddress);
}

TEST_F(SplitQueueTest, ChainReadAndWriteAcrossSegments) {
  // The header shares nothing with segment boundaries: 5 + 7 + 20 readable bytes.
  const uint64_t r1 = driver_.AllocData({1, 2, 3, 4, 5});
  const uint64_t r2 = driver_.AllocData({6, 7, 8, 9, 10, 11, 12});
  const uint64_t r3 = driver_.AllocData(20, 0xee);
  const uint64_t w1 = driver_.AllocData(3);
  const uint64_t w2 = driver_.AllocData(10);
  driver_.OfferChain({{r1, 5}, {r2, 7}, {r3, 20}, {w1, 3, true}, {w2, 10, true}});
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  uint8_t got[8] = {};
  EXPECT_EQ(chain_.ReadAt(3, got, 8), 8u);
  const uint8_t want[8] = {4, 5, 6, 7, 8, 9, 10, 11};
  EXPECT_EQ(std::memcmp(got, want, 8), 0);
  EXPECT_EQ(chain_.ReadAt(30, got, 8), 2u);  // only 32 readable bytes

  const uint8_t src[6] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6};
  EXPECT_EQ(chain_.WriteAt(1, src, 6), 6u);
  EXPECT_EQ(mem_.Read(w1, 3), (std::vector<uint8_t>{0, 0xa1, 0xa2}));
  EXPECT_EQ(mem_.Read(w2, 5), (std::vector<uint8_t>{0xa3, 0xa4, 0xa5, 0xa6, 0}));
  EXPECT_EQ(chain_.WriteAt(12, src, 6), 1u);  // 13 writable bytes
}

}  // namespace
}  // namespace softvf::virtio
