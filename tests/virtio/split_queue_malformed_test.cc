// A misbehaving driver: every malformed ring stops the queue, counts one reason, and
// never makes the queue touch memory outside the map. Guest memory has PROT_NONE guard
// pages around each region, so an access outside the map would crash the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "driver_queue.h"
#include "fake_guest_memory.h"
#include "virtio/queue_error.h"
#include "virtio/ring_layout.h"
#include "virtio/split_queue.h"

namespace softvf::virtio {
namespace {

using testing::Buf;
using testing::DriverQueue;
using testing::FakeGuestMemory;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint16_t kNext = ring::kDescFNext;
constexpr uint16_t kWrite = ring::kDescFWrite;
constexpr uint16_t kIndirect = ring::kDescFIndirect;

class MalformedTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kSize = 16;
  // [0, 1 MiB) and [2 MiB, 3 MiB): a hole in between.
  FakeGuestMemory mem_{{{0, kMiB}, {2 * kMiB, kMiB}}};
  DriverQueue driver_{mem_, kSize, 0x0, 0x10000, kMiB - 0x10000};
  SplitQueue queue_;
  DescriptorChain chain_;

  void SetUp() override { ASSERT_TRUE(queue_.Configure(driver_.config()).ok()); }
  const GuestMemoryMap& map() const { return mem_.map(); }

  // Pop fails, the queue is broken for `reason`, counted once, and stays inert: a valid
  // chain offered afterwards is not taken and nothing reaches the used ring.
  void ExpectBroken(QueueError reason) {
    EXPECT_FALSE(queue_.Pop(map(), &chain_));
    ASSERT_TRUE(queue_.broken());
    EXPECT_EQ(queue_.broken_reason(), reason)
        << QueueErrorName(queue_.broken_reason()) << " instead of " << QueueErrorName(reason);
    EXPECT_EQ(queue_.errors(reason), 1u);
    const uint16_t used_before = driver_.used_idx();
    const uint16_t last_avail = queue_.last_avail_idx();
    EXPECT_FALSE(queue_.Pop(map(), &chain_));
    EXPECT_FALSE(queue_.PushUsed(map(), 0, 0));
    queue_.PublishUsed(map());
    EXPECT_FALSE(queue_.NeedsNotify(map()));
    EXPECT_FALSE(queue_.EnableNotifications(map()));
    EXPECT_EQ(queue_.Available(map()), 0);
    EXPECT_EQ(driver_.used_idx(), used_before);
    EXPECT_EQ(queue_.last_avail_idx(), last_avail);
    EXPECT_EQ(queue_.errors(reason), 1u) << "counted once per break";
  }
};

TEST_F(MalformedTest, LoopInTheDescriptorTable) {
  const uint64_t b = driver_.AllocData(8);
  driver_.WriteDesc(0, b, 8, kNext, 1);
  driver_.WriteDesc(1, b, 8, kNext, 2);
  driver_.WriteDesc(2, b, 8, kNext, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kLoop);
}

TEST_F(MalformedTest, DescriptorPointingAtItself) {
  driver_.WriteDesc(3, driver_.AllocData(8), 8, kNext, 3);
  driver_.Offer(3);
  ExpectBroken(QueueError::kLoop);
}

TEST_F(MalformedTest, LoopOfZeroLengthDescriptors) {
  // Zero-length descriptors consume no segments; the loop must still be caught.
  driver_.WriteDesc(0, 0, 0, kNext, 1);
  driver_.WriteDesc(1, 0, 0, kNext, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kLoop);
}

TEST_F(MalformedTest, LoopInAnIndirectTable) {
  const uint64_t b = driver_.AllocData(8);
  const uint64_t table = driver_.AllocData(32);
  driver_.WriteDescAt(table, 0, b, 8, kNext, 1);
  driver_.WriteDescAt(table, 1, b, 8, kNext, 0);
  driver_.WriteDesc(0, table, 32, kIndirect, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kLoop);
}

TEST_F(MalformedTest, SameDescriptorInTwoChainsIsNotALoop) {
  // Loop detection is per chain: reusing a descriptor in a later chain is fine.
  const uint64_t b = driver_.AllocData(8);
  driver_.WriteDesc(0, b, 8, 0, 0);
  driver_.Offer(0);
  driver_.Offer(0);
  EXPECT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_FALSE(queue_.broken());
}

TEST_F(MalformedTest, MoreSegmentsThanAChainHolds) {
  DriverQueue big(mem_, 256, 0x4000, 0x20000, 0x10000);
  ASSERT_TRUE(queue_.Configure(big.config()).ok());
  std::vector<Buf> bufs;
  const uint64_t b = big.AllocData(1);
  for (size_t i = 0; i < DescriptorChain::kMaxSegments; ++i) bufs.push_back({b, 1});
  big.OfferChain(bufs);  // exactly the capacity: fine
  bufs.push_back({b, 1});
  big.OfferChain(bufs);  // one more: too long
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(chain_.size(), DescriptorChain::kMaxSegments);
  EXPECT_FALSE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(queue_.broken_reason(), QueueError::kTooLong);
}

TEST_F(MalformedTest, ChainLongerThanTheQueueWithItsIndirectTable) {
  // 2.7.5.3.1: 14 direct + 2 indirect descriptors fit a 16-entry queue; 15 + 2 do not.
  const uint64_t b = driver_.AllocData(4);
  const uint64_t table = driver_.WriteIndirectTable({{b, 4}, {b, 4}});
  auto post = [&](uint16_t direct) {
    for (uint16_t i = 0; i < direct; ++i) driver_.WriteDesc(i, b, 4, kNext, i + 1);
    driver_.WriteDesc(direct, table, 32, kIndirect, 0);
    driver_.Offer(0);
  };
  post(14);
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(chain_.size(), 16u);
  post(15);
  ExpectBroken(QueueError::kTooLong);
}

TEST_F(MalformedTest, AddressInTheHole) {
  driver_.OfferChain({{kMiB + 0x100, 16}});
  ExpectBroken(QueueError::kBadAddress);
}

TEST_F(MalformedTest, BufferRunningOffTheEndOfARegionIntoTheHole) {
  driver_.OfferChain({{kMiB - 8, 16, true}});
  ExpectBroken(QueueError::kBadAddress);
}

TEST_F(MalformedTest, AddressBeyondAllMemory) {
  driver_.OfferChain({{3 * kMiB, 1}});
  ExpectBroken(QueueError::kBadAddress);
}

TEST_F(MalformedTest, HugeLengthFromAValidAddress) {
  driver_.OfferChain({{0x10000, 0xffffffffu}});
  ExpectBroken(QueueError::kBadAddress);
}

TEST_F(MalformedTest, AddressPlusLengthWraps) {
  driver_.OfferChain({{UINT64_MAX - 10, 100}});
  ExpectBroken(QueueError::kBadLength);
}

TEST_F(MalformedTest, ChainTotalAboveFourGiB) {
  // The first buffer is valid; the second would push the total to 2^32 bytes.
  const uint64_t b = driver_.AllocData(16);
  driver_.OfferChain({{b, 16}, {0x10000, 0xfffffff0u}});
  ExpectBroken(QueueError::kBadLength);
}

TEST_F(MalformedTest, NestedIndirectTable) {
  const uint64_t b = driver_.AllocData(8);
  const uint64_t inner = driver_.WriteIndirectTable({{b, 8}});
  const uint64_t outer = driver_.AllocData(16);
  driver_.WriteDescAt(outer, 0, inner, 16, kIndirect, 0);
  driver_.WriteDesc(0, outer, 16, kIndirect, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadIndirect);
}

TEST_F(MalformedTest, IndirectWithNext) {
  const uint64_t table = driver_.WriteIndirectTable({{driver_.AllocData(8), 8}});
  driver_.WriteDesc(0, table, 16, kIndirect | kNext, 1);
  driver_.WriteDesc(1, driver_.AllocData(8), 8, 0, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadIndirect);
}

TEST_F(MalformedTest, IndirectLengthNotAMultipleOf16) {
  const uint64_t table = driver_.WriteIndirectTable({{driver_.AllocData(8), 8}, {0, 0}});
  driver_.WriteDesc(0, table, 24, kIndirect, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadIndirect);
}

TEST_F(MalformedTest, ZeroLengthIndirectTable) {
  driver_.WriteDesc(0, driver_.AllocData(16), 0, kIndirect, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadIndirect);
}

TEST_F(MalformedTest, IndirectTableBiggerThanTheQueue) {
  const uint64_t table = driver_.AllocData(16 * (kSize + 1));
  driver_.WriteDesc(0, table, 16 * (kSize + 1), kIndirect, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadIndirect);
}

TEST_F(MalformedTest, IndirectWithoutTheFeature) {
  ASSERT_TRUE(queue_.Configure(driver_.config(false, /*indirect=*/false)).ok());
  driver_.Offer(driver_.AddIndirectChain({{driver_.AllocData(8), 8}}));
  ExpectBroken(QueueError::kBadIndirect);
}

TEST_F(MalformedTest, IndirectTableOutsideMemory) {
  driver_.WriteDesc(0, kMiB - 16, 32, kIndirect, 0);  // runs into the hole
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadAddress);
}

TEST_F(MalformedTest, IndirectEntryPointingOutsideMemory) {
  driver_.Offer(driver_.AddIndirectChain({{driver_.AllocData(8), 8}, {5 * kMiB, 8, true}}));
  ExpectBroken(QueueError::kBadAddress);
}

TEST_F(MalformedTest, HeadOutOfRange) {
  driver_.Offer(kSize);
  ExpectBroken(QueueError::kBadHead);
}

TEST_F(MalformedTest, HeadFarOutOfRange) {
  driver_.Offer(0xffff);
  ExpectBroken(QueueError::kBadHead);
}

TEST_F(MalformedTest, NextOutOfRange) {
  driver_.WriteDesc(0, driver_.AllocData(8), 8, kNext, kSize);
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadNext);
}

TEST_F(MalformedTest, IndirectNextBeyondTheTable) {
  const uint64_t b = driver_.AllocData(8);
  const uint64_t table = driver_.AllocData(32);
  driver_.WriteDescAt(table, 0, b, 8, kNext, 1);
  driver_.WriteDescAt(table, 1, b, 8, kNext, 2);  // table has 2 entries
  driver_.WriteDesc(0, table, 32, kIndirect, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadNext);
}

TEST_F(MalformedTest, AvailIdxJumpsMoreThanTheQueueSize) {
  driver_.SetAvailIdx(kSize + 1);
  ExpectBroken(QueueError::kBadIndex);
}

TEST_F(MalformedTest, AvailIdxJumpOfExactlyTheQueueSizeIsFine) {
  for (uint16_t i = 0; i < kSize; ++i) driver_.WriteDesc(i, driver_.AllocData(8), 8, 0, 0);
  for (uint16_t i = 0; i < kSize; ++i) driver_.Offer(i);
  EXPECT_EQ(queue_.Available(map()), kSize);
  EXPECT_FALSE(queue_.broken());
}

TEST_F(MalformedTest, AvailIdxGoingBackwards) {
  driver_.OfferChain({{driver_.AllocData(8), 8}});
  driver_.OfferChain({{driver_.AllocData(8), 8}});
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  ASSERT_TRUE(queue_.Pop(map(), &chain_));
  driver_.SetAvailIdx(1);  // 2.7.6.1: the driver MUST NOT decrement idx
  ExpectBroken(QueueError::kBadIndex);
}

TEST_F(MalformedTest, ReadableAfterWritable) {
  driver_.OfferChain({{driver_.AllocData(8), 8, true}, {driver_.AllocData(8), 8}});
  ExpectBroken(QueueError::kBadOrder);
}

TEST_F(MalformedTest, ReadableInTheIndirectTableAfterWritableDirect) {
  const uint64_t table = driver_.WriteIndirectTable({{driver_.AllocData(8), 8}});
  driver_.WriteDesc(0, driver_.AllocData(8), 8, kWrite | kNext, 1);
  driver_.WriteDesc(1, table, 16, kIndirect, 0);
  driver_.Offer(0);
  ExpectBroken(QueueError::kBadOrder);
}

TEST_F(MalformedTest, RingsOutsideMemory) {
  SplitQueueConfig c = driver_.config();
  c.desc = GuestAddress(kMiB - 0x80);  // the 0x100-byte table runs into the hole
  ASSERT_TRUE(queue_.Configure(c).ok());
  ExpectBroken(QueueError::kBadRingAddress);

  c = driver_.config();
  c.used = GuestAddress(4 * kMiB);
  ASSERT_TRUE(queue_.Configure(c).ok());
  EXPECT_FALSE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(queue_.broken_reason(), QueueError::kBadRingAddress);
  EXPECT_EQ(queue_.errors(QueueError::kBadRingAddress), 2u);
}

TEST_F(MalformedTest, ReconfiguringRestartsTheQueueAndKeepsTheCount) {
  driver_.Offer(kSize);
  ExpectBroken(QueueError::kBadHead);
  // The front end resets the ring (GET_VRING_BASE, then SET_VRING_BASE/ADDR again).
  SplitQueueConfig c = driver_.config();
  c.last_avail_idx = driver_.avail_idx();
  ASSERT_TRUE(queue_.Configure(c).ok());
  EXPECT_FALSE(queue_.broken());
  driver_.OfferChain({{driver_.AllocData(8), 8}});
  EXPECT_TRUE(queue_.Pop(map(), &chain_));
  EXPECT_EQ(queue_.errors(QueueError::kBadHead), 1u);
}

TEST(QueueErrorNameTest, NamesAreStable) {
  EXPECT_STREQ(QueueErrorName(QueueError::kBadAddress), "bad_address");
  EXPECT_STREQ(QueueErrorName(QueueError::kLoop), "loop");
  EXPECT_STREQ(QueueErrorName(QueueError::kTooLong), "too_long");
  EXPECT_STREQ(QueueErrorName(QueueError::kBadIndirect), "bad_indirect");
  EXPECT_STREQ(QueueErrorName(QueueError::kBadIndex), "bad_index");
  EXPECT_STREQ(QueueErrorName(QueueError::kBadOrder), "bad_order");
}

// A driver writing garbage: random descriptors and ring entries. The queue must end up
// either popping chains that lie inside the map or broken — and never fault on a guard
// page.
TEST(MalformedFuzzTest, RandomRingsNeverEscapeTheMap) {
  std::mt19937_64 rng(20240611);
  int total_segments = 0;
  std::array<int, kQueueErrorCount> reasons{};
  for (int round = 0; round < 300; ++round) {
    FakeGuestMemory mem({{0, kMiB}, {2 * kMiB, 64 * 1024}});
    DriverQueue driver(mem, 32, 0x0, 0x10000, 0x10000);
    SplitQueue queue;
    ASSERT_TRUE(queue.Configure(driver.config(round % 2 == 0, true)).ok());
    // Mostly plausible descriptors, so real chains get walked; the rest aim at region
    // edges, huge lengths, indirect tables and wild indices, where bugs live.
    const uint64_t edges[] = {
        0, kMiB - 64, kMiB, 2 * kMiB - 8, 2 * kMiB, 2 * kMiB + 65500, UINT64_MAX - 32, 0x10000};
    const uint64_t table = driver.AllocData(16 * 8);
    auto random_desc = [&](uint16_t entries, uint16_t* flags, uint64_t* addr, uint32_t* len,
                           uint16_t* next) {
      const bool plausible = rng() % 4 != 0;
      *flags = static_cast<uint16_t>(plausible ? rng() % 4 : rng() % 8);
      *addr = plausible ? 0x11000 + rng() % 0x8000 : edges[rng() % 8] + rng() % 96;
      *len = static_cast<uint32_t>(plausible ? 1 + rng() % 200 : rng());
      *next = static_cast<uint16_t>(plausible ? rng() % entries : rng() % (entries + 8));
      if ((*flags & kIndirect) && rng() % 2) {
        *addr = table;
        *len = 16 * static_cast<uint32_t>(rng() % 10);
      }
    };
    for (uint16_t i = 0; i < 32; ++i) {
      uint16_t flags, next;
      uint64_t addr;
      uint32_t len;
      random_desc(32, &flags, &addr, &len, &next);
      driver.WriteDesc(i, addr, len, flags, next);
      if (i < 8) {
        random_desc(8, &flags, &addr, &len, &next);
        driver.WriteDescAt(table, i, addr, len, flags, next);
      }
    }
    for (int i = 0; i < 20; ++i) {
      driver.Offer(static_cast<uint16_t>(rng() % 16 == 0 ? 32 + rng() % 8 : rng() % 32));
    }
    DescriptorChain chain;
    int popped = 0;
    while (queue.Pop(mem.map(), &chain)) {
      ++popped;
      total_segments += static_cast<int>(chain.size());
      for (const Segment& s : chain.segments()) {
        ASSERT_TRUE(mem.map().ContainsHost(s.host, s.len));
        volatile uint8_t touch = s.host[s.len - 1];  // would fault outside the map
        (void)touch;
      }
      ASSERT_TRUE(queue.PushUsed(mem.map(), chain.head(), chain.writable_bytes()));
    }
    queue.PublishUsed(mem.map());
    EXPECT_TRUE(queue.broken() || popped == 20) << "round " << round;
    if (queue.broken()) ++reasons[static_cast<size_t>(queue.broken_reason())];
  }
  // The garbage must exercise real chains and several distinct failure reasons.
  EXPECT_GT(total_segments, 200);
  EXPECT_GE(std::count_if(reasons.begin(), reasons.end(), [](int n) { return n > 0; }), 5);
}

}  // namespace
}  // namespace softvf::virtio
