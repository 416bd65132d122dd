// Tag reinsertion and checksum completion on buffers, against a plain big-endian
// reference (RFC 1071 word by word) and a UDP/IPv4 frame checked by hand.
#include "netdev/wire_frame.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace softvf::netdev {
namespace {

uint16_t ReferenceSum(const std::vector<uint8_t>& d, size_t from, size_t to) {
  uint32_t sum = 0;
  for (size_t i = from; i < to; i += 2) {
    uint16_t word = static_cast<uint16_t>(d[i] << 8 | (i + 1 < to ? d[i + 1] : 0));
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}

TEST(ReinsertVlanTag, PutsTheTagBehindTheAddressesAndMovesOnlyThem) {
  std::vector<uint8_t> buf(4 + 18);
  for (size_t i = 0; i < 18; ++i) buf[4 + i] = static_cast<uint8_t>(0x10 + i);
  uint32_t offset = 4, len = 18;
  ReinsertVlanTag(buf.data(), offset, len, 0x88a8, 0xa064);
  EXPECT_EQ(offset, 0u);
  EXPECT_EQ(len, 22u);
  std::vector<uint8_t> want;
  for (size_t i = 0; i < 12; ++i) want.push_back(static_cast<uint8_t>(0x10 + i));
  for (uint8_t b : {0x88, 0xa8, 0xa0, 0x64}) want.push_back(b);
  for (size_t i = 12; i < 18; ++i) want.push_back(static_cast<uint8_t>(0x10 + i));
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + 22), want);
}

TEST(OnesComplementSum, MatchesTheBigEndianReferenceAtEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(200);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t start = 0; start < 4; ++start) {
    for (size_t len = 0; len + start <= data.size(); ++len) {
      uint16_t got = OnesComplementSum(data.data() + start, static_cast<uint32_t>(len));
      // Stored in memory order, the result reads as the big-endian sum.
      uint8_t bytes[2];
      std::memcpy(bytes, &got, 2);
      uint16_t as_be = static_cast<uint16_t>(bytes[0] << 8 | bytes[1]);
      uint16_t want = ReferenceSum(data, start, start + len);
      // 0x0000 and 0xffff are the same number in ones' complement.
      if (want == 0xffff) want = 0;
      if (as_be == 0xffff) as_be = 0;
      ASSERT_EQ(as_be, want) << "start " << start << " len " << len;
    }
  }
}

// Ethernet + IPv4 (10.9.0.1 -> 10.9.0.2) + UDP 1234 -> 9 carrying "hello", the UDP
// checksum field holding the pseudo-header sum as a stack using checksum offload leaves it.
std::vector<uint8_t> PartialUdpFrame() {
  std::vector<uint8_t> f = {0x02, 0x5f, 0, 0, 0, 2, 0x02, 0x5f, 0, 0, 0, 1, 0x08, 0x00};
  const std::vector<uint8_t> ip = {0x45, 0, 0,  33, 0, 1, 0x40, 0, 64, 17,
                                   0,    0, 10, 9,  0, 1, 10,   9, 0,  2};
  f.insert(f.end(), ip.begin(), ip.end());
  const std::vector<uint8_t> udp = {0x04, 0xd2, 0x00, 0x09, 0x00, 13, 0,
                                    0,    'h',  'e',  'l',  'l',  'o'};
  f.insert(f.end(), udp.begin(), udp.end());
  // Pseudo-header: addresses, protocol, UDP length.
  uint32_t pseudo = 0x0a09 + 0x0001 + 0x0a09 + 0x0002 + 17 + 13;
  pseudo = (pseudo & 0xffff) + (pseudo >> 16);
  f[14 + 20 + 6] = static_cast<uint8_t>(pseudo >> 8);
  f[14 + 20 + 7] = static_cast<uint8_t>(pseudo);
  return f;
}

TEST(CompleteChecksum, FinishesAUdpChecksumSoTheReceiverVerifiesIt) {
  std::vector<uint8_t> f = PartialUdpFrame();
  ASSERT_TRUE(CompleteChecksum(f.data(), static_cast<uint32_t>(f.size()), 34, 6));
  // A receiver sums pseudo-header + UDP header + data including the checksum: all ones.
  uint32_t sum = 0x0a09 + 0x0001 + 0x0a09 + 0x0002 + 17 + 13;
  sum += ReferenceSum(f, 34, f.size());
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
  EXPECT_NE(f[40] << 8 | f[41], 0);
}

TEST(CompleteChecksum, ASumOfZeroIsSentAsAllOnes) {
  // Data whose sum is 0xffff, so the complement is 0: UDP must send 0xffff instead.
  std::vector<uint8_t> f = {0xff, 0xff, 0x00, 0x00};
  ASSERT_TRUE(CompleteChecksum(f.data(), 4, 0, 2));
  EXPECT_EQ(f[2], 0xff);
  EXPECT_EQ(f[3], 0xff);
}

TEST(CompleteChecksum, RefusesAFieldOutsideTheFrame) {
  std::vector<uint8_t> f(40, 0xab);
  const std::vector<uint8_t> before = f;
  EXPECT_FALSE(CompleteChecksum(f.data(), 40, 41, 0));
  EXPECT_FALSE(CompleteChecksum(f.data(), 40, 34, 6));  // field at 40..41
  EXPECT_FALSE(CompleteChecksum(f.data(), 40, 20, 0xffffffffu));
  EXPECT_TRUE(CompleteChecksum(f.data(), 40, 34, 4));  // field at 38..39: fits
  EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + 38),
            std::vector<uint8_t>(before.begin(), before.begin() + 38));
}

}  // namespace
}  // namespace softvf::netdev
