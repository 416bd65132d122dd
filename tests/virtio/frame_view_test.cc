// FrameView and FrameCursor: bounded slice lists and reading them across buffers.
#include "virtio/frame_view.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace softvf::virtio {
namespace {

std::vector<uint8_t> Iota(size_t n, uint8_t first = 0) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(FrameViewTest, AppendAndCopyOut) {
  const auto a = Iota(5, 0), b = Iota(7, 5), c = Iota(4, 12);
  FrameView v;
  ASSERT_TRUE(v.Append(a.data(), 5));
  ASSERT_TRUE(v.Append(nullptr, 0));  // ignored
  ASSERT_TRUE(v.Append(b.data(), 7));
  ASSERT_TRUE(v.Append(c.data(), 4));
  EXPECT_EQ(v.length(), 16u);
  EXPECT_EQ(v.slices().size(), 3u);
  std::vector<uint8_t> out(16);
  EXPECT_EQ(v.CopyOut(0, out.data(), 16), 16u);
  EXPECT_EQ(out, Iota(16));
  uint8_t mid[6];
  EXPECT_EQ(v.CopyOut(3, mid, 6), 6u);
  EXPECT_EQ(std::vector<uint8_t>(mid, mid + 6), Iota(6, 3));
  EXPECT_EQ(v.CopyOut(14, mid, 6), 2u);
}

TEST(FrameViewTest, AppendFromAnOffset) {
  const auto a = Iota(10), b = Iota(10, 10);
  FrameView src;
  src.Append(a.data(), 10);
  src.Append(b.data(), 10);
  const uint8_t rewritten[4] = {0xee, 0xee, 0xee, 0xee};
  FrameView out;
  out.Append(rewritten, 4);
  ASSERT_TRUE(out.AppendFrom(src, 14));  // skips a whole slice and part of the next
  EXPECT_EQ(out.length(), 10u);
  ASSERT_EQ(out.slices().size(), 2u);
  EXPECT_EQ(out.slices()[1].data, b.data() + 4);
  EXPECT_TRUE(out.AppendFrom(src, 20));  // nothing left: a no-op
  EXPECT_EQ(out.length(), 10u);
}

TEST(FrameViewTest, IsBounded) {
  const uint8_t byte = 1;
  FrameView v;
  for (size_t i = 0; i < FrameView::kMaxSlices; ++i) ASSERT_TRUE(v.Append(&byte, 1));
  EXPECT_FALSE(v.Append(&byte, 1));
  EXPECT_EQ(v.length(), FrameView::kMaxSlices);
  FrameView w;
  w.Append(&byte, 1);
  EXPECT_FALSE(w.AppendFrom(v, 0)) << "would overflow: nothing appended";
  EXPECT_EQ(w.length(), 1u);
  FrameView big;
  ASSERT_TRUE(big.Append(&byte, UINT32_MAX - 1));  // never read
  EXPECT_FALSE(big.Append(&byte, 2));
  EXPECT_TRUE(big.Append(&byte, 1));
}

TEST(FrameCursorTest, PoursAcrossDestinations) {
  const auto a = Iota(5), b = Iota(9, 5);
  FrameView v;
  v.Append(a.data(), 5);
  v.Append(b.data(), 9);
  FrameCursor cursor(v);
  uint8_t d1[3], d2[8], d3[10];
  EXPECT_EQ(cursor.CopyTo(d1, 3), 3u);
  EXPECT_EQ(cursor.CopyTo(d2, 8), 8u);
  EXPECT_EQ(cursor.remaining(), 3u);
  EXPECT_EQ(cursor.CopyTo(d3, 10), 3u);
  EXPECT_EQ(cursor.remaining(), 0u);
  EXPECT_EQ(cursor.CopyTo(d3, 10), 0u);
  std::vector<uint8_t> all(d1, d1 + 3);
  all.insert(all.end(), d2, d2 + 8);
  all.insert(all.end(), d3, d3 + 3);
  EXPECT_EQ(all, Iota(14));
}

}  // namespace
}  // namespace softvf::virtio
