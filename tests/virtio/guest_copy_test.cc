// CopyIntoGuest: every byte of [dst, dst + n) and none around it, whichever way it
// copies (memcpy below kRepMovsbMinBytes, rep movsb from there on with ERMS), at any
// alignment of source and destination.
#include "virtio/guest_copy.h"

#include <gtest/gtest.h>

#include <vector>

namespace softvf::virtio {
namespace {

constexpr size_t kGuard = 64;

TEST(CopyIntoGuestTest, CopiesExactlyTheBytesAtAnyAlignment) {
  const size_t sizes[] = {
      0,    1,    12,   63,  64, kRepMovsbMinBytes - 1, kRepMovsbMinBytes, kRepMovsbMinBytes + 1,
      1436, 1500, 4097, 9000};
  for (size_t n : sizes) {
    for (size_t src_off : {0, 1, 7}) {
      for (size_t dst_off : {0, 3, 12}) {
        std::vector<uint8_t> src(n + src_off);
        for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 31 + 7);
        std::vector<uint8_t> dst(n + dst_off + 2 * kGuard, 0xa5);
        CopyIntoGuest(dst.data() + kGuard + dst_off, src.data() + src_off, n);
        for (size_t i = 0; i < dst.size(); ++i) {
          const bool inside = i >= kGuard + dst_off && i < kGuard + dst_off + n;
          const uint8_t want = inside ? src[src_off + i - kGuard - dst_off] : 0xa5;
          ASSERT_EQ(dst[i], want) << "n=" << n << " src+" << src_off << " dst+" << dst_off
                                  << " byte " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace softvf::virtio
