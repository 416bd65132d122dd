// ReadTxFrame: the header wherever the driver put it (virtio 1.x 2.7.4, 5.1.6.2), the
// frame as a view of guest memory.
#include "virtio/tx_reader.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "driver_queue.h"
#include "fake_guest_memory.h"
#include "virtio/split_queue.h"

namespace softvf::virtio {
namespace {

using testing::DriverQueue;
using testing::FakeGuestMemory;

std::vector<uint8_t> Iota(size_t n, uint8_t first = 0) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

std::vector<uint8_t> Header(uint8_t flags, uint16_t csum_start) {
  VirtioNetHeader h;
  h.flags = flags;
  h.csum_start = Le16(csum_start);
  const auto* p = reinterpret_cast<const uint8_t*>(&h);
  return std::vector<uint8_t>(p, p + sizeof(h));
}

std::vector<uint8_t> Concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class TxReaderTest : public ::testing::Test {
 protected:
  FakeGuestMemory mem_{{{0, 1024 * 1024}}};
  DriverQueue driver_{mem_, 64, 0x0, 0x10000, 0x80000};
  SplitQueue queue_;
  DescriptorChain chain_;
  VirtioNetHeader header_;
  FrameView frame_;

  void SetUp() override { ASSERT_TRUE(queue_.Configure(driver_.config()).ok()); }
  std::vector<uint8_t> FrameBytes() const {
    std::vector<uint8_t> out(frame_.length());
    frame_.CopyOut(0, out.data(), frame_.length());
    return out;
  }
};

TEST_F(TxReaderTest, HeaderSharesADescriptorWithTheFrame) {
  const auto payload = Iota(60, 1);
  driver_.OfferChain({{driver_.AllocData(Concat(Header(kNetHdrFNeedsCsum, 34), payload)), 72}});
  ASSERT_TRUE(queue_.Pop(mem_.map(), &chain_));
  ASSERT_TRUE(ReadTxFrame(chain_, kNetHeaderLen, &header_, &frame_));
  EXPECT_EQ(header_.flags, kNetHdrFNeedsCsum);
  EXPECT_EQ(Le16(header_.csum_start), 34);
  EXPECT_EQ(frame_.length(), 60u);
  ASSERT_EQ(frame_.slices().size(), 1u);
  EXPECT_EQ(frame_.slices()[0].data, chain_[0].host + 12) << "no copy: points into the guest";
  EXPECT_EQ(FrameBytes(), payload);
}

TEST_F(TxReaderTest, HeaderInItsOwnDescriptor) {
  const auto payload = Iota(100);
  driver_.OfferChain(
      {{driver_.AllocData(Header(0, 0)), 12},
       {driver_.AllocData(std::vector<uint8_t>(payload.begin(), payload.begin() + 40)), 40},
       {driver_.AllocData(std::vector<uint8_t>(payload.begin() + 40, payload.end())), 60}});
  ASSERT_TRUE(queue_.Pop(mem_.map(), &chain_));
  ASSERT_TRUE(ReadTxFrame(chain_, kNetHeaderLen, &header_, &frame_));
  EXPECT_EQ(frame_.slices().size(), 2u);
  EXPECT_EQ(FrameBytes(), payload);
}

TEST_F(TxReaderTest, HeaderSplitAcrossDescriptors) {
  const auto hdr = Header(kNetHdrFNeedsCsum, 0x1234);
  const auto payload = Iota(30, 7);
  const auto tail = Concat(std::vector<uint8_t>(hdr.begin() + 5, hdr.end()), payload);
  driver_.OfferChain({{driver_.AllocData(std::vector<uint8_t>(hdr.begin(), hdr.begin() + 5)), 5},
                      {driver_.AllocData(tail), static_cast<uint32_t>(tail.size())}});
  ASSERT_TRUE(queue_.Pop(mem_.map(), &chain_));
  ASSERT_TRUE(ReadTxFrame(chain_, kNetHeaderLen, &header_, &frame_));
  EXPECT_EQ(Le16(header_.csum_start), 0x1234);
  EXPECT_EQ(FrameBytes(), payload);
}

TEST_F(TxReaderTest, LegacyTenByteHeader) {
  const auto payload = Iota(20);
  auto bytes = Header(0, 0);
  bytes.resize(10);
  driver_.OfferChain({{driver_.AllocData(Concat(bytes, payload)), 30}});
  ASSERT_TRUE(queue_.Pop(mem_.map(), &chain_));
  ASSERT_TRUE(ReadTxFrame(chain_, kLegacyNetHeaderLen, &header_, &frame_));
  EXPECT_EQ(NumBuffers(header_), 0);
  EXPECT_EQ(FrameBytes(), payload);
}

TEST_F(TxReaderTest, ChainShorterThanTheHeaderIsRejected) {
  driver_.OfferChain(
      {{driver_.AllocData(6), 6}, {driver_.AllocData(4), 4}, {driver_.AllocData(64), 64, true}});
  ASSERT_TRUE(queue_.Pop(mem_.map(), &chain_));
  EXPECT_FALSE(ReadTxFrame(chain_, kNetHeaderLen, &header_, &frame_));
}

TEST_F(TxReaderTest, HeaderOnlyMeansAnEmptyFrame) {
  driver_.OfferChain({{driver_.AllocData(Header(0, 0)), 12}});
  ASSERT_TRUE(queue_.Pop(mem_.map(), &chain_));
  ASSERT_TRUE(ReadTxFrame(chain_, kNetHeaderLen, &header_, &frame_));
  EXPECT_EQ(frame_.length(), 0u);
}

TEST_F(TxReaderTest, WritableDescriptorsAreIgnored) {
  const auto payload = Iota(16);
  driver_.OfferChain({{driver_.AllocData(Concat(Header(0, 0), payload)), 28},
                      {driver_.AllocData(32, 0xcc), 32, true}});
  ASSERT_TRUE(queue_.Pop(mem_.map(), &chain_));
  ASSERT_TRUE(ReadTxFrame(chain_, kNetHeaderLen, &header_, &frame_));
  EXPECT_EQ(FrameBytes(), payload);
}

}  // namespace
}  // namespace softvf::virtio
