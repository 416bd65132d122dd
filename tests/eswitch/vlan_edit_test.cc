// Tag push and pop on the frame bytes: 802.1Q and 802.1ad, qos as PCP, payload intact.
#include "eswitch/vlan_edit.h"

#include <gtest/gtest.h>

#include <vector>

#include "frame_builder.h"

namespace softvf::eswitch {
namespace {

using testing::Frame;
using testing::Mac;

const MacAddress kDst = Mac("02:00:00:00:00:01");
const MacAddress kSrc = Mac("02:00:00:00:00:02");

std::vector<uint8_t> Edit(const std::vector<uint8_t>& in, VlanAction a, VlanTag tag = {}) {
  std::vector<uint8_t> out(in.size() + 8, 0xee);
  const size_t n = CopyWithVlanEdit(in.data(), in.size(), a, tag, out.data(), out.size());
  out.resize(n);
  return out;
}

TEST(VlanEdit, PushDot1qWithQosAsPcp) {
  const auto untagged = Frame(kDst, kSrc);
  const auto pushed = Edit(untagged, VlanAction::kPush, VlanTag::Make(0x8100, 5, false, 100));
  EXPECT_EQ(pushed, Frame(kDst, kSrc, {{0x8100, (5 << 13) | 100}}));
  EXPECT_EQ(pushed.size(), EditedLength(untagged.size(), VlanAction::kPush));
  const auto info = ParseFrame(pushed.data(), pushed.size());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->pcp, 5);
  EXPECT_EQ(info->vid, 100);
}

TEST(VlanEdit, PushDot1adInFrontOfAGuestTag) {
  // A pushed tag becomes the outer tag; what was there stays, inside it.
  const auto ctagged = Frame(kDst, kSrc, {{0x8100, 7}});
  EXPECT_EQ(Edit(ctagged, VlanAction::kPush, VlanTag::Make(0x88a8, 3, false, 200)),
            Frame(kDst, kSrc, {{0x88a8, (3 << 13) | 200}, {0x8100, 7}}));
}

TEST(VlanEdit, PopDot1qAndDot1ad) {
  EXPECT_EQ(Edit(Frame(kDst, kSrc, {{0x8100, 100}}), VlanAction::kPop), Frame(kDst, kSrc));
  EXPECT_EQ(Edit(Frame(kDst, kSrc, {{0x88a8, 100}, {0x8100, 5}}), VlanAction::kPop),
            Frame(kDst, kSrc, {{0x8100, 5}}));
}

TEST(VlanEdit, PopRefusesAnUntaggedFrame) {
  EXPECT_TRUE(Edit(Frame(kDst, kSrc), VlanAction::kPop).empty());
  // A tag TPID without room for the tag.
  auto runt = Frame(kDst, kSrc, {}, 0x8100, 2);  // 16 bytes
  EXPECT_TRUE(Edit(runt, VlanAction::kPop).empty());
}

TEST(VlanEdit, NoneCopiesAsIs) {
  const auto f = Frame(kDst, kSrc, {{0x8100, 9}});
  EXPECT_EQ(Edit(f, VlanAction::kNone), f);
}

TEST(VlanEdit, TooSmallOutputWritesNothing) {
  const auto f = Frame(kDst, kSrc);
  std::vector<uint8_t> out(f.size() + 3);
  EXPECT_EQ(
      CopyWithVlanEdit(f.data(), f.size(), VlanAction::kPush, VlanTag{}, out.data(), out.size()),
      0u);
  EXPECT_EQ(
      CopyWithVlanEdit(f.data(), f.size(), VlanAction::kNone, VlanTag{}, out.data(), f.size() - 1),
      0u);
}

}  // namespace
}  // namespace softvf::eswitch
