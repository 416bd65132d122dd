// RxWriter (virtio 1.x 5.1.6.3-5.1.6.4): one buffer without MRG_RXBUF, several with it
// and num_buffers set, drops that give every taken buffer back, and the single-copy path
// from one guest's TX chain into another's RX buffers.
#include "virtio/rx_writer.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <numeric>
#include <utility>
#include <vector>

#include "driver_queue.h"
#include "fake_guest_memory.h"
#include "virtio/ring_layout.h"
#include "virtio/split_queue.h"
#include "virtio/tx_reader.h"

namespace softvf::virtio {
namespace {

using testing::Buf;
using testing::DriverQueue;
using testing::FakeGuestMemory;

constexpr uint64_t kMiB = 1024 * 1024;

std::vector<uint8_t> Iota(size_t n, uint8_t first = 0) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

VirtioNetHeader HeaderAt(const FakeGuestMemory& mem, uint64_t gpa) {
  VirtioNetHeader h;
  const auto raw = mem.Read(gpa, sizeof(h));
  std::memcpy(&h, raw.data(), sizeof(h));
  return h;
}

class RxWriterTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kSize = 256;
  FakeGuestMemory mem_{{{0, 2 * kMiB}}};
  DriverQueue rx_{mem_, kSize, 0x0, 0x10000, kMiB - 0x10000};
  SplitQueue queue_;
  std::vector<uint8_t> frame_bytes_;
  FrameView frame_;

  void SetUp() override { ASSERT_TRUE(queue_.Configure(rx_.config()).ok()); }
  const GuestMemoryMap& map() const { return mem_.map(); }
  const FrameView& Frame(size_t n, uint8_t first = 1) {
    frame_bytes_ = Iota(n, first);
    frame_.Clear();
    frame_.Append(frame_bytes_.data(), static_cast<uint32_t>(n));
    return frame_;
  }
  // Every published used entry as (id, len).
  std::vector<std::pair<uint32_t, uint32_t>> UsedEntries() {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (uint16_t k = 0; k != rx_.used_idx(); ++k)
      out.emplace_back(rx_.used(k).id, rx_.used(k).len);
    return out;
  }
  // Offers a receive buffer of len writable bytes; returns its GPA.
  uint64_t OfferBuffer(uint32_t len, uint16_t* head = nullptr) {
    const uint64_t gpa = rx_.AllocData(len);
    const uint16_t h = rx_.OfferChain({{gpa, len, true}});
    if (head != nullptr) *head = h;
    return gpa;
  }
};

TEST_F(RxWriterTest, WithoutMergeableBuffersTheFrameFillsOneBuffer) {
  RxWriter writer(RxConfig{.mergeable = false});
  uint16_t head;
  const uint64_t buf = OfferBuffer(1526, &head);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(100)), RxResult::kDelivered);
  EXPECT_EQ(rx_.used_idx(), 0) << "pushed, not yet published";
  queue_.PublishUsed(map());
  ASSERT_EQ(rx_.used_idx(), 1);
  EXPECT_EQ(rx_.used(0).id, head);
  EXPECT_EQ(rx_.used(0).len, 112u);
  EXPECT_EQ(NumBuffers(HeaderAt(mem_, buf)), 1) << "5.1.6.3.2: 1 without MRG_RXBUF";
  EXPECT_EQ(mem_.Read(buf + 12, 100), frame_bytes_);
  EXPECT_EQ(writer.counters().frames, 1u);
  EXPECT_EQ(writer.counters().bytes, 100u);
}

TEST_F(RxWriterTest, HeaderAndFrameInSeparateDescriptorsOfOneBuffer) {
  RxWriter writer(RxConfig{.mergeable = false});
  const uint64_t hdr = rx_.AllocData(12);
  const uint64_t data = rx_.AllocData(1514);
  rx_.OfferChain({{hdr, 12, true}, {data, 1514, true}});
  ASSERT_EQ(writer.Write(queue_, map(), Frame(60)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used(0).len, 72u);
  EXPECT_EQ(NumBuffers(HeaderAt(mem_, hdr)), 1);
  EXPECT_EQ(mem_.Read(data, 60), frame_bytes_);
}

// A frame gathered from several places (the judged head, then the sender's buffers) into
// a buffer with exactly room for it: every slice lands in order, nothing past the end.
TEST_F(RxWriterTest, AFrameOfSeveralSlicesFillsABufferOfExactlyItsSize) {
  for (bool mergeable : {false, true}) {
    SCOPED_TRACE(mergeable ? "mergeable" : "not mergeable");
    RxWriter writer(RxConfig{.mergeable = mergeable});
    const std::vector<uint8_t> bytes = Iota(300, 7);
    FrameView frame;
    ASSERT_TRUE(frame.Append(bytes.data(), 64));
    ASSERT_TRUE(frame.Append(bytes.data() + 64, 200));
    ASSERT_TRUE(frame.Append(bytes.data() + 264, 36));
    const uint64_t b = rx_.AllocData(12 + 300 + 16);
    mem_.Fill(b, 0xee, 12 + 300 + 16);
    uint16_t head = rx_.OfferChain({{b, 12 + 300, true}});
    ASSERT_EQ(writer.Write(queue_, map(), frame), RxResult::kDelivered);
    queue_.PublishUsed(map());
    EXPECT_EQ(rx_.used(rx_.used_idx() - 1).id, head);
    EXPECT_EQ(rx_.used(rx_.used_idx() - 1).len, 312u);
    EXPECT_EQ(NumBuffers(HeaderAt(mem_, b)), 1);
    EXPECT_EQ(mem_.Read(b + 12, 300), bytes);
    EXPECT_EQ(mem_.Read(b + 312, 16), std::vector<uint8_t>(16, 0xee));
  }
}

TEST_F(RxWriterTest, WithoutMergeableBuffersATooBigFrameIsDroppedAndTheBufferKept) {
  RxWriter writer(RxConfig{.mergeable = false});
  uint16_t head;
  const uint64_t buf = OfferBuffer(72, &head);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(61)), RxResult::kTooBig);
  EXPECT_EQ(writer.counters().too_big, 1u);
  EXPECT_EQ(queue_.last_avail_idx(), 0) << "the buffer went back to the ring";
  EXPECT_EQ(writer.Write(queue_, map(), Frame(60)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used(0).id, head);
  EXPECT_EQ(rx_.used(0).len, 72u);
  EXPECT_EQ(mem_.Read(buf + 12, 60), frame_bytes_);
}

TEST_F(RxWriterTest, MergeableFrameAcrossThreeBuffers) {
  RxWriter writer(RxConfig{.mergeable = true});
  uint16_t h[3];
  const uint64_t b0 = OfferBuffer(64, &h[0]);
  const uint64_t b1 = OfferBuffer(64, &h[1]);
  const uint64_t b2 = OfferBuffer(64, &h[2]);
  OfferBuffer(64);  // not needed
  ASSERT_EQ(writer.Write(queue_, map(), Frame(150)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  ASSERT_EQ(rx_.used_idx(), 3);
  EXPECT_EQ(NumBuffers(HeaderAt(mem_, b0)), 3);
  // Consecutive used elements, in the order the buffers were taken.
  EXPECT_EQ(rx_.used(0).id, h[0]);
  EXPECT_EQ(rx_.used(0).len, 64u);
  EXPECT_EQ(rx_.used(1).id, h[1]);
  EXPECT_EQ(rx_.used(1).len, 64u);
  EXPECT_EQ(rx_.used(2).id, h[2]);
  EXPECT_EQ(rx_.used(2).len, 34u);  // 12 + 150 = 162 = 64 + 64 + 34
  std::vector<uint8_t> joined = mem_.Read(b0 + 12, 52);
  for (auto [gpa, n] : {std::pair{b1, 64}, std::pair{b2, 34}}) {
    const auto part = mem_.Read(gpa, n);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  EXPECT_EQ(joined, frame_bytes_);
  EXPECT_EQ(queue_.Available(map()), 1);
}

TEST_F(RxWriterTest, MergeableFrameThatFitsOneBuffer) {
  RxWriter writer(RxConfig{.mergeable = true});
  const uint64_t b0 = OfferBuffer(1526);
  ASSERT_EQ(writer.Write(queue_, map(), Frame(1514)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  EXPECT_EQ(NumBuffers(HeaderAt(mem_, b0)), 1);
  EXPECT_EQ(rx_.used(0).len, 1526u);
}

TEST_F(RxWriterTest, MergeableShortOfBuffersGivesEveryBufferBack) {
  RxWriter writer(RxConfig{.mergeable = true});
  uint16_t h0, h1, h2;
  const uint64_t b0 = OfferBuffer(64, &h0);
  OfferBuffer(64, &h1);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(150)), RxResult::kNoBuffers);
  EXPECT_EQ(writer.counters().no_buffers, 1u);
  EXPECT_EQ(queue_.last_avail_idx(), 0) << "both taken buffers given back";
  EXPECT_EQ(queue_.pending_used(), 0);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used_idx(), 0);
  // The driver refills; the same frame now goes into the same first two buffers.
  OfferBuffer(64, &h2);
  ASSERT_EQ(writer.Write(queue_, map(), Frame(150)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used(0).id, h0);
  EXPECT_EQ(rx_.used(1).id, h1);
  EXPECT_EQ(rx_.used(2).id, h2);
  EXPECT_EQ(NumBuffers(HeaderAt(mem_, b0)), 3);
}

TEST_F(RxWriterTest, NoBuffersAtAll) {
  RxWriter writer(RxConfig{.mergeable = true});
  EXPECT_EQ(writer.Write(queue_, map(), Frame(64)), RxResult::kNoBuffers);
  EXPECT_EQ(writer.counters().no_buffers, 1u);
  EXPECT_FALSE(queue_.broken());
}

TEST_F(RxWriterTest, MoreBuffersThanAFrameMayUseIsTooBig) {
  RxWriter writer(RxConfig{.mergeable = true});
  // 16-byte buffers: the first holds the header and 4 bytes, each other one 16.
  for (uint32_t i = 0; i < RxWriter::kMaxBuffers + 2; ++i) OfferBuffer(16);
  const uint32_t fits = 4 + 16 * (RxWriter::kMaxBuffers - 1);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(fits + 1)), RxResult::kTooBig);
  EXPECT_EQ(queue_.last_avail_idx(), 0);
  ASSERT_EQ(writer.Write(queue_, map(), Frame(fits)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used_idx(), RxWriter::kMaxBuffers);
}

TEST_F(RxWriterTest, BufferShorterThanTheHeaderIsReturnedEmpty) {
  RxWriter writer(RxConfig{.mergeable = true});
  uint16_t bad, good;
  OfferBuffer(8, &bad);
  const uint64_t b = OfferBuffer(128, &good);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(40)), RxResult::kBadBuffer);
  EXPECT_EQ(writer.counters().bad_buffer, 1u);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(40)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used(0).id, bad);
  EXPECT_EQ(rx_.used(0).len, 0u);
  EXPECT_EQ(rx_.used(1).id, good);
  EXPECT_EQ(mem_.Read(b + 12, 40), frame_bytes_);
}

TEST_F(RxWriterTest, BuffersAreUsedInTheOrderTheyWereMadeAvailable) {
  // softvf offers VIRTIO_F_IN_ORDER (2.7.9.1: the device uses descriptors in the order
  // they were made available): the paths that give buffers back must keep that order.
  RxWriter writer(RxConfig{.mergeable = true});
  uint16_t h[5];
  OfferBuffer(8, &h[0]);  // shorter than the header: returned empty
  OfferBuffer(64, &h[1]);
  OfferBuffer(64, &h[2]);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(40)), RxResult::kBadBuffer);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(150)), RxResult::kNoBuffers);  // h1, h2 back
  OfferBuffer(64, &h[3]);
  OfferBuffer(128, &h[4]);
  EXPECT_EQ(writer.Write(queue_, map(), Frame(150)), RxResult::kDelivered);  // h1 h2 h3
  EXPECT_EQ(writer.Write(queue_, map(), Frame(100)), RxResult::kDelivered);  // h4
  queue_.PublishUsed(map());
  ASSERT_EQ(rx_.used_idx(), 5);
  for (uint16_t i = 0; i < 5; ++i) EXPECT_EQ(rx_.used(i).id, h[i]) << "used entry " << i;
  EXPECT_EQ(rx_.used(0).len, 0u);
  EXPECT_EQ(rx_.used(4).len, 112u);
}

TEST_F(RxWriterTest, BrokenQueue) {
  RxWriter writer(RxConfig{.mergeable = true});
  rx_.Offer(kSize);  // head out of range
  EXPECT_EQ(writer.Write(queue_, map(), Frame(40)), RxResult::kQueueBroken);
  EXPECT_EQ(writer.counters().queue_broken, 1u);
  EXPECT_EQ(queue_.broken_reason(), QueueError::kBadHead);
}

TEST_F(RxWriterTest, QueueBreakingMidFrame) {
  RxWriter writer(RxConfig{.mergeable = true});
  OfferBuffer(32);
  rx_.OfferChain({{3 * kMiB, 64, true}});  // outside guest memory
  EXPECT_EQ(writer.Write(queue_, map(), Frame(100)), RxResult::kQueueBroken);
  EXPECT_EQ(queue_.broken_reason(), QueueError::kBadAddress);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used_idx(), 0);
}

TEST_F(RxWriterTest, BurstOfThirtyTwoFramesPublishedOnce) {
  RxWriter writer(RxConfig{.mergeable = true});
  for (int i = 0; i < 32; ++i) OfferBuffer(2048);
  for (int i = 0; i < 32; ++i) {
    ASSERT_EQ(writer.Write(queue_, map(), Frame(64 + i)), RxResult::kDelivered);
  }
  EXPECT_EQ(rx_.used_idx(), 0);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used_idx(), 32);
  EXPECT_EQ(rx_.used(31).len, 12u + 64 + 31);
  EXPECT_TRUE(queue_.NeedsNotify(map()));
  EXPECT_EQ(writer.counters().frames, 32u);
}

TEST_F(RxWriterTest, OffloadFieldsPassThroughAndNumBuffersIsOurs) {
  RxWriter writer(RxConfig{.mergeable = true});
  const uint64_t b = OfferBuffer(256);
  VirtioNetHeader h;
  h.flags = kNetHdrFDataValid;
  h.gso_type = kNetHdrGsoTcpV4;
  h.gso_size = Le16(1448);
  SetNumBuffers(h, 77);
  ASSERT_EQ(writer.Write(queue_, map(), Frame(100), h), RxResult::kDelivered);
  const VirtioNetHeader got = HeaderAt(mem_, b);
  EXPECT_EQ(got.flags, kNetHdrFDataValid);
  EXPECT_EQ(got.gso_type, kNetHdrGsoTcpV4);
  EXPECT_EQ(Le16(got.gso_size), 1448);
  EXPECT_EQ(NumBuffers(got), 1);
}

TEST_F(RxWriterTest, LegacyTenByteHeader) {
  RxWriter writer(RxConfig{.mergeable = false, .header_len = kLegacyNetHeaderLen});
  const uint64_t b = OfferBuffer(128);
  mem_.Fill(b, 0xff, 128);
  ASSERT_EQ(writer.Write(queue_, map(), Frame(50)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  EXPECT_EQ(rx_.used(0).len, 60u);
  EXPECT_EQ(mem_.Read(b + 10, 50), frame_bytes_);
}

// A recycled buffer holds the last frame's header, and RxWriter compares before it
// stores (rx_writer.cc, StoreHeader): a stale header must still be replaced in full.
TEST_F(RxWriterTest, AStaleHeaderInARecycledBufferIsReplaced) {
  for (uint32_t hdr_len : {kNetHeaderLen, kLegacyNetHeaderLen}) {
    SCOPED_TRACE(hdr_len);
    RxWriter writer(RxConfig{.mergeable = false, .header_len = hdr_len});
    const uint64_t b = OfferBuffer(128);
    VirtioNetHeader stale;
    stale.flags = kNetHdrFNeedsCsum;
    stale.gso_type = kNetHdrGsoTcpV6;
    stale.hdr_len = Le16(54);
    stale.gso_size = Le16(1440);
    stale.csum_start = Le16(34);
    stale.csum_offset = Le16(16);
    SetNumBuffers(stale, 3);
    mem_.Write(b, &stale, sizeof(stale));
    ASSERT_EQ(writer.Write(queue_, map(), Frame(50)), RxResult::kDelivered);
    VirtioNetHeader want;
    SetNumBuffers(want, 1);
    std::vector<uint8_t> expected(hdr_len);
    std::memcpy(expected.data(), &want, hdr_len);
    EXPECT_EQ(mem_.Read(b, hdr_len), expected);
    EXPECT_EQ(mem_.Read(b + hdr_len, 50), frame_bytes_);
  }
}

// ... and a header the buffer already holds is not stored at all, so its line can stay
// shared with the driver's core. Shown with the header alone on a read-only page: a store
// there would fault the test.
TEST_F(RxWriterTest, AHeaderTheBufferAlreadyHoldsIsNotStoredAgain) {
  RxWriter writer(RxConfig{.mergeable = true});
  const uint64_t page = kMiB + 0x1000;  // past the DriverQueue's data area
  const uint64_t b = page + 0x1000 - kNetHeaderLen;
  rx_.OfferChain({{b, 1526, true}});
  VirtioNetHeader held;
  SetNumBuffers(held, 1);
  mem_.Write(b, &held, sizeof(held));
  uint8_t* header_page = mem_.Host(page, 0x1000);
  ASSERT_EQ(mprotect(header_page, 0x1000, PROT_READ), 0);
  const RxResult r = writer.Write(queue_, map(), Frame(64));
  ASSERT_EQ(mprotect(header_page, 0x1000, PROT_READ | PROT_WRITE), 0);
  ASSERT_EQ(r, RxResult::kDelivered);
  EXPECT_EQ(NumBuffers(HeaderAt(mem_, b)), 1);
  EXPECT_EQ(mem_.Read(b + kNetHeaderLen, 64), frame_bytes_);
}

TEST_F(RxWriterTest, MergeableForcesTheTwelveByteHeader) {
  RxWriter writer(RxConfig{.mergeable = true, .header_len = kLegacyNetHeaderLen});
  EXPECT_EQ(writer.config().header_len, kNetHeaderLen);
}

// Reserve, Fill, Commit: the same delivery split over a burst (the switch's fast path).
TEST_F(RxWriterTest, ReservedBuffersAreFilledFromTheJudgedHeadAndUsedInReservationOrder) {
  RxWriter writer(RxConfig{.mergeable = true});
  uint16_t h0, h1;
  const uint64_t b0 = OfferBuffer(1526, &h0);
  const uint64_t b1 = OfferBuffer(1526, &h1);
  const std::vector<uint8_t> f0 = Iota(300, 1), f1 = Iota(64, 100);
  FrameView v0, v1;
  v0.Append(f0.data(), 200);  // two slices: the head copy covers part of the first
  v0.Append(f0.data() + 200, 100);
  v1.Append(f1.data(), 64);
  // The switch delivers the head it judged (a local copy), not the guest's bytes again.
  std::vector<uint8_t> head0(f0.begin(), f0.begin() + 64), head1(f1.begin(), f1.end());
  head0[0] = 0xee;
  head1[5] = 0xdd;

  RxBuffer r0, r1;
  ASSERT_TRUE(writer.Reserve(queue_, map(), 300, &r0));
  ASSERT_TRUE(writer.Reserve(queue_, map(), 64, &r1));
  EXPECT_EQ(r0.head, h0);
  EXPECT_EQ(r1.head, h1);
  writer.Fill(r0, head0.data(), 64, v0);
  writer.Fill(r1, head1.data(), 64, v1);
  writer.Commit(queue_, map(), r0, 300);
  writer.Commit(queue_, map(), r1, 64);
  queue_.PublishUsed(map());

  EXPECT_EQ(UsedEntries(), (std::vector<std::pair<uint32_t, uint32_t>>{{h0, 312}, {h1, 76}}));
  EXPECT_EQ(NumBuffers(HeaderAt(mem_, b0)), 1);
  auto want0 = f0;
  want0[0] = 0xee;
  EXPECT_EQ(mem_.Read(b0 + 12, 300), want0);
  EXPECT_EQ(mem_.Read(b1 + 12, 64), head1);
  EXPECT_EQ(writer.counters().frames, 2u);
  EXPECT_EQ(writer.counters().bytes, 364u);
}

TEST_F(RxWriterTest, ABufferThatCannotTakeTheFrameWholeIsNotReservedButLeftForWrite) {
  RxWriter writer(RxConfig{.mergeable = true});
  uint16_t small, big;
  OfferBuffer(60, &small);  // header + 48 bytes
  OfferBuffer(1526, &big);
  RxBuffer r;
  EXPECT_FALSE(writer.Reserve(queue_, map(), 100, &r));
  // Write takes it next, as the spec asks: the frame spans it and the next buffer.
  ASSERT_EQ(writer.Write(queue_, map(), Frame(100)), RxResult::kDelivered);
  queue_.PublishUsed(map());
  EXPECT_EQ(UsedEntries(), (std::vector<std::pair<uint32_t, uint32_t>>{{small, 60}, {big, 52}}));
  EXPECT_FALSE(writer.Reserve(queue_, map(), 64, &r)) << "no buffer left";
  EXPECT_EQ(writer.counters().no_buffers, 0u) << "Reserve counts nothing; Write does";
}

// The VF-to-VF path: A's TX frame is copied once, straight from A's guest memory into
// B's RX buffers, with the L2 header classified and rewritten on a local copy.
TEST(SingleCopyTest, TxChainOfOneGuestIntoRxBuffersOfAnother) {
  FakeGuestMemory guest_a({{0, kMiB}});
  FakeGuestMemory guest_b({{0, kMiB}, {kMiB, kMiB}});
  DriverQueue tx_a(guest_a, 64, 0x0, 0x10000, 0x80000);
  DriverQueue rx_b(guest_b, 64, 0x0, 0x10000, kMiB);
  SplitQueue tx_queue, rx_queue;
  ASSERT_TRUE(tx_queue.Configure(tx_a.config()).ok());
  ASSERT_TRUE(rx_queue.Configure(rx_b.config(true)).ok());

  // A transmits header+60 bytes in one descriptor and 200 more in a second.
  const auto frame = Iota(260, 3);
  std::vector<uint8_t> first(12, 0);
  first.insert(first.end(), frame.begin(), frame.begin() + 60);
  const uint16_t tx_head = tx_a.OfferChain(
      {{tx_a.AllocData(first), 72},
       {tx_a.AllocData(std::vector<uint8_t>(frame.begin() + 60, frame.end())), 200}});
  // B posts 128-byte mergeable buffers, the second straddling its two regions.
  const uint64_t b0 = rx_b.AllocData(128);
  rx_b.OfferChain({{b0, 128, true}});
  rx_b.OfferChain({{kMiB - 64, 128, true}});
  const uint64_t b2 = rx_b.AllocData(128);
  rx_b.OfferChain({{b2, 128, true}});

  DescriptorChain tx_chain;
  ASSERT_TRUE(tx_queue.Pop(guest_a.map(), &tx_chain));
  VirtioNetHeader tx_header;
  FrameView from_a;
  ASSERT_TRUE(ReadTxFrame(tx_chain, kNetHeaderLen, &tx_header, &from_a));
  // Classify on a copy of the Ethernet header, rewrite it, deliver copy + the rest.
  uint8_t l2[14];
  ASSERT_EQ(from_a.CopyOut(0, l2, sizeof(l2)), sizeof(l2));
  l2[0] = 0x02;  // e.g. a rewritten destination MAC
  FrameView to_b;
  ASSERT_TRUE(to_b.Append(l2, sizeof(l2)));
  ASSERT_TRUE(to_b.AppendFrom(from_a, sizeof(l2)));

  RxWriter writer(RxConfig{.mergeable = true});
  ASSERT_EQ(writer.Write(rx_queue, guest_b.map(), to_b), RxResult::kDelivered);
  ASSERT_TRUE(tx_queue.PushUsed(guest_a.map(), tx_head, 0));  // TX: nothing written
  tx_queue.PublishUsed(guest_a.map());
  rx_queue.PublishUsed(guest_b.map());

  EXPECT_EQ(tx_a.used_idx(), 1);
  EXPECT_EQ(tx_a.used(0).len, 0u);
  ASSERT_EQ(rx_b.used_idx(), 3);  // 12 + 260 = 272 = 128 + 128 + 16
  EXPECT_EQ(rx_b.used(2).len, 16u);
  EXPECT_EQ(NumBuffers(HeaderAt(guest_b, b0)), 3);
  std::vector<uint8_t> joined = guest_b.Read(b0 + 12, 116);
  for (auto [gpa, n] : {std::pair{kMiB - 64, 128}, std::pair{b2, 16}}) {
    const auto part = guest_b.Read(gpa, n);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  auto expected = frame;
  expected[0] = 0x02;
  EXPECT_EQ(joined, expected);
}

}  // namespace
}  // namespace softvf::virtio
