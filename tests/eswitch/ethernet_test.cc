// ParseFrame against runts, untagged, 802.1Q, 802.1ad and double-tagged frames. Every
// input lives in a heap buffer of exactly its length, so a read past `len` is a heap
// overflow that the sanitizer build reports.
#include "eswitch/ethernet.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "frame_builder.h"

namespace softvf::eswitch {
namespace {

using testing::Frame;
using testing::Mac;

const MacAddress kDst = Mac("02:00:00:00:00:01");
const MacAddress kSrc = Mac("02:00:00:00:00:02");

// The first `len` bytes of `bytes` in an allocation of exactly `len` bytes.
std::optional<FrameInfo> ParseExact(const std::vector<uint8_t>& bytes, size_t len) {
  std::unique_ptr<uint8_t[]> exact(new uint8_t[len == 0 ? 1 : len]);
  std::copy(bytes.begin(), bytes.begin() + static_cast<long>(len), exact.get());
  return ParseFrame(len == 0 ? nullptr : exact.get(), len);
}

TEST(Ethernet, WireSizes) {
  EXPECT_EQ(sizeof(EthernetHeader), 14u);
  EXPECT_EQ(sizeof(VlanHeader), 4u);
  EXPECT_EQ(kTagOffset, 12u);
}

TEST(Ethernet, TciPacksPcpDeiVid) {
  const VlanTag t = VlanTag::Make(0x8100, 5, true, 100);
  EXPECT_EQ(t.tci, (5 << 13) | (1 << 12) | 100);
  EXPECT_EQ(t.pcp(), 5);
  EXPECT_TRUE(t.dei());
  EXPECT_EQ(t.vid(), 100);
  const VlanHeader w = t.ToWire();
  EXPECT_EQ(w.tpid.bytes[0], 0x81);
  EXPECT_EQ(w.tpid.bytes[1], 0x00);
  EXPECT_EQ(w.tci.bytes[0], 0xb0);  // 101 1 0000
  EXPECT_EQ(w.tci.bytes[1], 100);
}

TEST(ParseFrame, RuntsUpTo13BytesAreRefused) {
  const auto f = Frame(kDst, kSrc);
  for (size_t len = 0; len < 14; ++len) EXPECT_FALSE(ParseExact(f, len)) << len;
  EXPECT_FALSE(ParseFrame(nullptr, 64));
}

TEST(ParseFrame, BareHeaderIsAccepted) {
  const auto f = Frame(kDst, kSrc, {}, 0x0806, 0);
  const auto info = ParseExact(f, 14);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->dst, kDst);
  EXPECT_EQ(info->src, kSrc);
  EXPECT_FALSE(info->tagged);
  EXPECT_EQ(info->ethertype, 0x0806);
  EXPECT_EQ(info->l2_len, 14);
}

TEST(ParseFrame, Dot1qTag) {
  const auto f = Frame(kDst, kSrc, {{0x8100, VlanTag::Make(0x8100, 3, false, 42).tci}});
  const auto info = ParseExact(f, f.size());
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->tagged);
  EXPECT_EQ(info->tpid, 0x8100);
  EXPECT_EQ(info->vid, 42);
  EXPECT_EQ(info->pcp, 3);
  EXPECT_FALSE(info->dei);
  EXPECT_FALSE(info->double_tagged);
  EXPECT_EQ(info->ethertype, 0x0800);
  EXPECT_EQ(info->l2_len, 18);
}

TEST(ParseFrame, Dot1adTag) {
  const auto f = Frame(kDst, kSrc, {{0x88a8, VlanTag::Make(0x88a8, 7, true, 4095).tci}}, 0x86dd);
  const auto info = ParseExact(f, f.size());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->tpid, 0x88a8);
  EXPECT_EQ(info->vid, 4095);
  EXPECT_EQ(info->pcp, 7);
  EXPECT_TRUE(info->dei);
  EXPECT_EQ(info->ethertype, 0x86dd);
}

TEST(ParseFrame, DoubleTaggedReportsTheOuterTag) {
  const auto f = Frame(kDst, kSrc, {{0x88a8, 100}, {0x8100, (2 << 13) | 5}});
  const auto info = ParseExact(f, f.size());
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->tagged);
  EXPECT_TRUE(info->double_tagged);
  EXPECT_EQ(info->tpid, 0x88a8);
  EXPECT_EQ(info->vid, 100);
  EXPECT_EQ(info->pcp, 0);
  EXPECT_EQ(info->ethertype, 0x0800);
  EXPECT_EQ(info->l2_len, 22);
}

TEST(ParseFrame, TagThatDoesNotFitIsARunt) {
  const auto f = Frame(kDst, kSrc, {{0x8100, 42}}, 0x0800, 0);  // 18 bytes
  for (size_t len = 14; len < 18; ++len) EXPECT_FALSE(ParseExact(f, len)) << len;
  EXPECT_TRUE(ParseExact(f, 18));
}

TEST(ParseFrame, InnerTagThatDoesNotFitIsARunt) {
  const auto f = Frame(kDst, kSrc, {{0x88a8, 1}, {0x8100, 2}}, 0x0800, 0);  // 22 bytes
  for (size_t len = 18; len < 22; ++len) EXPECT_FALSE(ParseExact(f, len)) << len;
  EXPECT_TRUE(ParseExact(f, 22));
}

TEST(ParseFrame, OtherTpidsAreEtherTypes) {
  // 0x9100 (pre-standard QinQ) is not a tag this switch knows: it is the EtherType.
  const auto f = Frame(kDst, kSrc, {}, 0x9100, 4);
  const auto info = ParseExact(f, f.size());
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->tagged);
  EXPECT_EQ(info->ethertype, 0x9100);
}

}  // namespace
}  // namespace softvf::eswitch
