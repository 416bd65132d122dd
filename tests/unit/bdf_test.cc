// Bdf parsing/formatting and the VF routing-ID rule (reference §1.3: Linux
// pci_iov_virtfn_bus / pci_iov_virtfn_devfn, 16-bit arithmetic, bus spill).
#include "pci/bdf.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace softvf {
namespace {

std::string VfBdf(const char* pf, uint16_t offset, uint16_t stride, uint32_t index) {
  std::optional<Bdf> p = Bdf::Parse(pf);
  if (!p) return "bad pf";
  std::optional<RoutingId> rid = VfRoutingId(p->routing_id(), offset, stride, index);
  if (!rid) return "none";
  return Bdf::FromRoutingId(p->domain(), *rid).ToShortString();
}

TEST(BdfParse, FullFormWithDomain) {
  std::optional<Bdf> b = Bdf::Parse("0000:31:10.1");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->domain(), 0);
  EXPECT_EQ(b->bus(), 0x31);
  EXPECT_EQ(b->device(), 0x10);
  EXPECT_EQ(b->function(), 1);
  EXPECT_EQ(b->devfn(), 0x81);
  EXPECT_EQ(b->routing_id().value, 0x3181);
}

TEST(BdfParse, ShortFormMeansDomainZero) {
  std::optional<Bdf> b = Bdf::Parse("31:10.1");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, Bdf(0, 0x31, 0x10, 1));
}

TEST(BdfParse, HexDigitsInEveryFieldAnyCase) {
  std::optional<Bdf> b = Bdf::Parse("ABCD:Fe:1f.7");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->domain(), 0xabcd);
  EXPECT_EQ(b->bus(), 0xfe);
  EXPECT_EQ(b->device(), 0x1f);
  EXPECT_EQ(b->function(), 7);
}

TEST(BdfParse, RejectsMalformedText) {
  for (const char* bad : {"",
                          "31",
                          "31:10",
                          "31.10:1",
                          "31:20.0" /* device > 0x1f */,
                          "31:10.8" /* fn > 7 */,
                          "100:10.0" /* bus > 0xff */,
                          "10000:31:10.1" /* 5-digit domain */,
                          "g1:10.1",
                          " 31:10.1",
                          "31:10.1 ",
                          "31:10.1\n",
                          "+31:10.1",
                          "-1:10.1",
                          "0000:31:10.1:",
                          "31:10.1.2",
                          "31::10.1",
                          "0000:31:10",
                          "0x31:10.1",
                          ":31:10.1",
                          "31:.1",
                          "31:10."}) {
    EXPECT_FALSE(Bdf::Parse(bad)) << "accepted \"" << bad << "\"";
  }
}

TEST(BdfFormat, LongAndShortForms) {
  Bdf b(0, 0x31, 0x10, 1);
  EXPECT_EQ(b.ToString(), "0000:31:10.1");
  EXPECT_EQ(b.ToShortString(), "31:10.1");
  EXPECT_EQ(Bdf(0x1a, 0x0b, 0x1f, 7).ToString(), "001a:0b:1f.7");
  EXPECT_EQ(Bdf(0xffff, 0xff, 0, 0).ToString(), "ffff:ff:00.0");
}

TEST(BdfFormat, ParseFormatRoundTrip) {
  for (const char* text : {"0000:00:00.0", "0000:31:10.1", "0001:3b:01.1", "ffff:ff:1f.7"}) {
    std::optional<Bdf> b = Bdf::Parse(text);
    ASSERT_TRUE(b) << text;
    EXPECT_EQ(b->ToString(), text);
  }
}

TEST(BdfOrder, ByDomainThenBusThenDevfn) {
  EXPECT_LT(Bdf(0, 0x31, 0x00, 1), Bdf(0, 0x31, 0x10, 1));
  EXPECT_LT(Bdf(0, 0x31, 0x1f, 7), Bdf(0, 0x32, 0x00, 0));
  EXPECT_LT(Bdf(0, 0xff, 0x1f, 7), Bdf(1, 0x00, 0x00, 0));
}

TEST(BdfFromRoutingId, SplitsBusAndDevfn) {
  Bdf b = Bdf::FromRoutingId(2, RoutingId{0x3c00});
  EXPECT_EQ(b.ToString(), "0002:3c:00.0");
  EXPECT_EQ(Bdf::FromRoutingId(0, RoutingId{0x0591}).ToShortString(), "05:12.1");
}

// Reference §1.3 table, QEMU igb: PF 01:00.0, offset 0x80, stride 2.
TEST(VfRoutingId, QemuIgbOffset0x80Stride2) {
  EXPECT_EQ(VfBdf("0000:01:00.0", 0x80, 2, 0), "01:10.0");
  EXPECT_EQ(VfBdf("0000:01:00.0", 0x80, 2, 1), "01:10.2");
  EXPECT_EQ(VfBdf("0000:01:00.0", 0x80, 2, 3), "01:10.6");
  EXPECT_EQ(VfBdf("0000:01:00.0", 0x80, 2, 4), "01:11.0");
  EXPECT_EQ(VfBdf("0000:01:00.0", 0x80, 2, 7), "01:11.6");
}

// PCICS I350 vector: offset 384 puts every VF on the next bus.
TEST(VfRoutingId, I350Offset384Stride4SpillsToNextBus) {
  EXPECT_EQ(VfBdf("0000:04:00.0", 384, 4, 0), "05:10.0");
  EXPECT_EQ(VfBdf("0000:04:00.0", 384, 4, 1), "05:10.4");
  EXPECT_EQ(VfBdf("0000:04:00.0", 384, 4, 7), "05:13.4");
  EXPECT_EQ(VfBusNumber(RoutingId{0x0400}, 384, 4, 7), 5u);
}

// mlx5 lspci vector: offset 2, stride 1.
TEST(VfRoutingId, Mlx5Offset2Stride1) {
  EXPECT_EQ(VfBdf("0000:3b:00.0", 2, 1, 0), "3b:00.2");
  EXPECT_EQ(VfBdf("0000:3b:00.0", 2, 1, 5), "3b:00.7");
  EXPECT_EQ(VfBdf("0000:3b:00.0", 2, 1, 6), "3b:01.0");
  EXPECT_EQ(VfBdf("0000:3b:00.0", 2, 1, 7), "3b:01.1");
}

TEST(VfRoutingId, Offset1Stride1CrossesIntoNextBusAtIndex255) {
  EXPECT_EQ(VfBdf("0000:3b:00.0", 1, 1, 254), "3b:1f.7");
  EXPECT_EQ(VfBdf("0000:3b:00.0", 1, 1, 255), "3c:00.0");
  EXPECT_EQ(VfBusNumber(RoutingId{0x3b00}, 1, 1, 254), 0x3bu);
  EXPECT_EQ(VfBusNumber(RoutingId{0x3b00}, 1, 1, 255), 0x3cu);
}

TEST(VfRoutingId, PastBus255IsNullopt) {
  // The last RID of bus ff still exists; one more does not.
  EXPECT_EQ(VfBdf("0000:ff:00.0", 1, 1, 254), "ff:1f.7");
  EXPECT_EQ(VfBdf("0000:ff:00.0", 1, 1, 255), "none");
  EXPECT_EQ(VfBusNumber(RoutingId{0xff00}, 1, 1, 255), 0x100u);
  // Large offsets and strides are not truncated to 16 bits.
  EXPECT_EQ(VfBusNumber(RoutingId{0xfe00}, 0xffff, 0xffff, 3), 0xfeu + ((0xffffu * 4) >> 8));
  EXPECT_FALSE(VfRoutingId(RoutingId{0xfe00}, 0xffff, 0xffff, 3));
}

TEST(VfRoutingId, DevfnOfPfFunctionIsAddedToTheOffset) {
  // I350 port 1 (31:00.1): offset 128 stride 4, the seed's 31:10.1, 31:10.5, ...
  EXPECT_EQ(VfBdf("0000:31:00.1", 128, 4, 0), "31:10.1");
  EXPECT_EQ(VfBdf("0000:31:00.1", 128, 4, 1), "31:10.5");
  EXPECT_EQ(VfBdf("0000:31:00.1", 128, 4, 6), "31:13.1");
}

}  // namespace
}  // namespace softvf
