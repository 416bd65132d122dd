// The virtio-net header layout (virtio 1.x 5.1.6) and header length rules.
#include "virtio/net_header.h"

#include <gtest/gtest.h>

#include <cstddef>

namespace softvf::virtio {
namespace {

static_assert(offsetof(VirtioNetHeader, flags) == 0);
static_assert(offsetof(VirtioNetHeader, gso_type) == 1);
static_assert(offsetof(VirtioNetHeader, hdr_len) == 2);
static_assert(offsetof(VirtioNetHeader, gso_size) == 4);
static_assert(offsetof(VirtioNetHeader, csum_start) == 6);
static_assert(offsetof(VirtioNetHeader, csum_offset) == 8);
static_assert(offsetof(VirtioNetHeader, num_buffers) == 10);

TEST(NetHeaderTest, LengthDependsOnVersion1AndMergeableBuffers) {
  EXPECT_EQ(NetHeaderLength(/*version_1=*/true, /*mrg_rxbuf=*/false), 12u);
  EXPECT_EQ(NetHeaderLength(true, true), 12u);
  EXPECT_EQ(NetHeaderLength(false, true), 12u);
  EXPECT_EQ(NetHeaderLength(false, false), 10u);
}

TEST(NetHeaderTest, NumBuffersIsLittleEndianOnTheWire) {
  VirtioNetHeader h;
  SetNumBuffers(h, 0x0102);
  const auto* bytes = reinterpret_cast<const uint8_t*>(&h);
  EXPECT_EQ(bytes[10], 0x02);
  EXPECT_EQ(bytes[11], 0x01);
  EXPECT_EQ(NumBuffers(h), 0x0102);
}

}  // namespace
}  // namespace softvf::virtio
