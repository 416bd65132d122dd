// Worker::Burst on the real VfPorts, set up over vhost-user by a driver in this process
// (tests/support/vhost_rig.h): frames from VF 0's transmit ring reach VF 1's receive
// buffers byte for byte; both rings are used in the order their buffers were made
// available; max_tx_rate holds the rest of a burst in the ring (shaped, not dropped); and
// a chain too short for the virtio-net header is returned unsent and counted once.
#include "datapath/worker.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "eswitch/policy.h"
#include "temp_dir.h"
#include "vhost_rig.h"
#include "virtio/features.h"
#include "virtio/net_header.h"

namespace softvf {
namespace {

using testing::DriverRing;
using testing::FrontEnd;
using testing::SharedMemory;

constexpr uint32_t kRing = 64;
constexpr uint32_t kBuf = 2048;
constexpr uint64_t kMem = 4 << 20;
constexpr uint32_t kHdr = 12;
constexpr uint32_t kFrame = 500;  // bytes of Ethernet frame, header not counted
const MacAddress kMacA = *MacAddress::Parse("02:00:00:00:00:0a");
const MacAddress kMacB = *MacAddress::Parse("02:00:00:00:00:0b");

class WorkerTest : public ::testing::Test {
 protected:
  // VF 0 (MAC A) sends from mem0_; VF 1 (MAC B) receives into mem1_.
  void Start(uint32_t vf0_max_tx_rate_mbps) {
    ASSERT_NE(mem0_.base, nullptr);
    ASSERT_NE(mem1_.base, nullptr);
    std::vector<VfConfig> vfs(2);
    vfs[0].mac = kMacA;
    vfs[0].max_tx_rate = vf0_max_tx_rate_mbps;
    vfs[1].mac = kMacB;
    auto table = eswitch::PolicyTable::ForPf(true, true, vfs, 2);
    ASSERT_TRUE(table.ok());
    eswitch::Veb::Options options;
    options.fdb_capacity = 64;
    // The buckets start full at construction: bursts at t0 find exactly that credit.
    t0_ = MonotonicNs();
    worker_ = std::make_unique<Worker>(*table, options);
    ASSERT_FALSE(dir_.path().empty());
    SharedMemory* mems[2] = {&mem0_, &mem1_};
    DriverRing* rings[2][2] = {{&rx0_, &tx0_}, {&rx1_, &tx1_}};
    const uint64_t features = (1ull << virtio::kFVersion1) | (1ull << virtio::kNetFMrgRxbuf);
    for (uint16_t vf = 0; vf < 2; ++vf) {
      const std::string path = dir_.File("vf" + std::to_string(vf) + ".sock");
      auto port =
          std::make_unique<VfPort>(path, vhost_user::Mode::kServer, vhost_user::BackendOptions{});
      ASSERT_TRUE(port->Open().ok());
      ASSERT_TRUE(worker_->Attach(vf, std::move(port)).ok());
      fes_.push_back(std::make_unique<FrontEnd>(path, *mems[vf]));
      worker_->PollEvents(0, false);  // accept
      fes_.back()->Setup(*rings[vf][0], *rings[vf][1], features);
      for (int i = 0; i < 16; ++i) worker_->PollEvents(0, false);  // one message each
      ASSERT_TRUE(fes_.back()->ok());
      ASSERT_TRUE(worker_->port(vf)->TxReady(0));
    }
    rx1_.InitDescriptors(kBuf, true);
    for (uint32_t i = 0; i < kRing; ++i) rx1_.Offer(static_cast<uint16_t>(i));
    rx1_.Publish();
  }
  void TearDown() override {
    fes_.clear();
    if (worker_)
      for (uint16_t vf = 0; vf < 2; ++vf) worker_->Detach(vf);
    worker_.reset();
  }

  // Posts a frame A -> B of kFrame bytes (payload from `seed`) as TX chain `desc`.
  void PostFrame(uint16_t desc, uint8_t seed) {
    uint8_t* b = mem0_.base + tx0_.buffer(desc);
    std::memset(b, 0, kHdr);
    std::vector<uint8_t> f = Frame(seed);
    std::memcpy(b + kHdr, f.data(), f.size());
    tx0_.SetDescriptor(desc, tx0_.buffer(desc), kHdr + kFrame, 0);
    tx0_.Offer(desc);
  }
  // A broadcast frame of kFrame bytes from A (flooded to VF 1 and the unattached ports).
  void PostBroadcast(uint16_t desc, uint8_t seed) {
    PostFrame(desc, seed);
    std::memset(mem0_.base + tx0_.buffer(desc) + kHdr, 0xff, 6);
  }
  // A chain of 8 bytes: less than the 12-byte header.
  void PostShortChain(uint16_t desc) {
    tx0_.SetDescriptor(desc, tx0_.buffer(desc), 8, 0);
    tx0_.Offer(desc);
  }
  static std::vector<uint8_t> Frame(uint8_t seed) {
    std::vector<uint8_t> f(kFrame);
    std::memcpy(f.data(), kMacB.bytes().data(), 6);
    std::memcpy(f.data() + 6, kMacA.bytes().data(), 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    for (uint32_t k = 14; k < kFrame; ++k) f[k] = static_cast<uint8_t>(seed * 37 + k);
    return f;
  }
  // The frame VF 1 received in used entry k.
  std::vector<uint8_t> Received(uint16_t k) {
    const DriverRing::Used u = rx1_.UsedAt(k);
    EXPECT_EQ(u.len, kHdr + kFrame) << "used entry " << k;
    const uint8_t* p = mem1_.base + rx1_.buffer(u.id) + kHdr;
    return std::vector<uint8_t>(p, p + kFrame);
  }
  static std::vector<uint32_t> UsedIds(DriverRing& ring) {
    std::vector<uint32_t> ids;
    for (uint16_t k = 0; k != ring.UsedIdx(); ++k) ids.push_back(ring.UsedAt(k).id);
    return ids;
  }
  std::vector<uint32_t> TxUsedIds() { return UsedIds(tx0_); }
  const eswitch::PortCounters& Counters(uint16_t vf) {
    return worker_->veb().counters(eswitch::PortId::Vf(vf));
  }

  SharedMemory mem0_{kMem}, mem1_{kMem};
  DriverRing rx0_{mem0_.base, kRing, 0, 1 << 20, kBuf},
      tx0_{mem0_.base, kRing, 64 << 10, 2 << 20, kBuf};
  DriverRing rx1_{mem1_.base, kRing, 0, 1 << 20, kBuf},
      tx1_{mem1_.base, kRing, 64 << 10, 2 << 20, kBuf};
  testing::TempDir dir_{"softvf-worker"};
  uint64_t t0_ = 0;
  std::unique_ptr<Worker> worker_;
  std::vector<std::unique_ptr<FrontEnd>> fes_;
};

TEST_F(WorkerTest, FramesArriveByteForByteAndBothRingsAreUsedInOrder) {
  Start(0);
  // Heads made available out of table order: used order must follow the avail ring.
  const uint16_t heads[] = {5, 2, 9, 0};
  for (uint16_t i = 0; i < 4; ++i) PostFrame(heads[i], static_cast<uint8_t>(i));
  tx0_.Publish();
  EXPECT_TRUE(worker_->Burst(t0_));
  EXPECT_EQ(TxUsedIds(), (std::vector<uint32_t>{5, 2, 9, 0}));
  ASSERT_EQ(rx1_.UsedIdx(), 4);
  for (uint16_t k = 0; k < 4; ++k) {
    EXPECT_EQ(rx1_.UsedAt(k).id, k) << "receive buffers in the order they were offered";
    EXPECT_EQ(Received(k), Frame(static_cast<uint8_t>(k))) << "frame " << k;
  }
  EXPECT_EQ(Counters(1).tx_packets, 4u);
}

// Unicast frames are copied in a pass of their own after their buffers are reserved
// (Worker::FillReserved); a flooded frame, and a frame whose buffer is too small to take
// it whole, go the general way. The receiver must still see the burst in transmit order.
TEST_F(WorkerTest, FramesDeliveredDifferentWaysInOneBurstKeepTheirOrder) {
  Start(0);
  // VF 1's third buffer holds only 100 bytes: frame 2 spans it and the fourth.
  rx1_.SetDescriptor(2, rx1_.buffer(2), 100, virtio::ring::kDescFWrite);
  PostFrame(0, 0);
  PostFrame(1, 1);
  PostFrame(2, 2);
  PostBroadcast(3, 3);
  PostFrame(4, 4);
  tx0_.Publish();
  EXPECT_TRUE(worker_->Burst(t0_));
  EXPECT_EQ(TxUsedIds(), (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  ASSERT_EQ(UsedIds(rx1_), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(Received(0), Frame(0));
  EXPECT_EQ(Received(1), Frame(1));
  // Frame 2: 88 bytes in buffer 2 after the header (num_buffers 2), the rest in buffer 3.
  EXPECT_EQ(rx1_.UsedAt(2).len, 100u);
  EXPECT_EQ(rx1_.UsedAt(3).len, kHdr + kFrame - 100);
  const uint8_t* b2 = mem1_.base + rx1_.buffer(2);
  const uint8_t* b3 = mem1_.base + rx1_.buffer(3);
  std::vector<uint8_t> f2(kFrame);
  std::memcpy(f2.data(), b2 + kHdr, 100 - kHdr);
  std::memcpy(f2.data() + (100 - kHdr), b3, kFrame - (100 - kHdr));
  EXPECT_EQ(f2, Frame(2));
  virtio::VirtioNetHeader h2;
  std::memcpy(&h2, b2, sizeof(h2));
  EXPECT_EQ(virtio::NumBuffers(h2), 2);
  std::vector<uint8_t> bcast = Frame(3);
  std::memset(bcast.data(), 0xff, 6);
  EXPECT_EQ(Received(4), bcast);
  EXPECT_EQ(Received(5), Frame(4));
  EXPECT_EQ(Counters(1).tx_packets, 5u);
}

TEST_F(WorkerTest, MaxTxRateHoldsTheRestOfTheBurstAndAShortChainIsCountedOnce) {
  // 1 Mbit/s: the bucket holds max(10 ms at the rate, 1522) = 1522 bytes, three 500-byte
  // frames. Burst 1 takes f0, a short chain, f1, f2; f3 does not conform and the rest
  // (f3, a second short chain, f4) stays in the ring for the next burst.
  Start(1);
  PostFrame(0, 0);
  PostShortChain(1);
  PostFrame(2, 1);
  PostFrame(3, 2);
  PostFrame(4, 3);
  PostShortChain(5);
  PostFrame(6, 4);
  tx0_.Publish();

  EXPECT_TRUE(worker_->Burst(t0_));
  EXPECT_EQ(TxUsedIds(), (std::vector<uint32_t>{0, 1, 2, 3}));
  ASSERT_EQ(rx1_.UsedIdx(), 3);
  for (uint16_t k = 0; k < 3; ++k) EXPECT_EQ(Received(k), Frame(static_cast<uint8_t>(k)));
  EXPECT_EQ(worker_->port(0)->stats().tx_bad_buffers, 1u);

  // A second later the bucket is full again: the held chains go, in ring order.
  EXPECT_TRUE(worker_->Burst(t0_ + 1'000'000'000));
  EXPECT_EQ(TxUsedIds(), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(rx1_.UsedIdx(), 5);
  for (uint16_t k = 3; k < 5; ++k) EXPECT_EQ(Received(k), Frame(static_cast<uint8_t>(k)));
  EXPECT_EQ(worker_->port(0)->stats().tx_bad_buffers, 2u) << "each short chain once";
  EXPECT_EQ(Counters(0).drop(eswitch::DropReason::kRateLimited), 0u) << "shaped, not policed";
  EXPECT_EQ(Counters(0).rx_packets, 5u);
  EXPECT_EQ(Counters(1).tx_packets, 5u);
}

}  // namespace
}  // namespace softvf
