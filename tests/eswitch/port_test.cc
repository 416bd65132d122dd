// Port numbering, the flood bitset and VLAN identities.
#include "eswitch/port.h"

#include <gtest/gtest.h>

#include <vector>

#include "eswitch/port_set.h"
#include "eswitch/vlan.h"

namespace softvf::eswitch {
namespace {

TEST(PortId, FixedNumberingUplinkPfThenVfs) {
  EXPECT_EQ(PortId::Uplink().value(), 0);
  EXPECT_EQ(PortId::PfHost().value(), 1);
  EXPECT_EQ(PortId::Vf(0).value(), 2);
  EXPECT_EQ(PortId::Vf(kMaxVfs - 1).value(), kMaxPorts - 1);
  EXPECT_EQ(PortId::Uplink().kind(), PortKind::kUplink);
  EXPECT_EQ(PortId::PfHost().kind(), PortKind::kPfHost);
  EXPECT_EQ(PortId::Vf(7).kind(), PortKind::kVf);
  EXPECT_EQ(PortId::Vf(7).vf_index(), 7);
  EXPECT_FALSE(PortId().valid());
  EXPECT_FALSE(PortId(kMaxPorts).valid());
}

TEST(PortId, Names) {
  EXPECT_EQ(PortName(PortId::Uplink()), "uplink");
  EXPECT_EQ(PortName(PortId::PfHost()), "pf");
  EXPECT_EQ(PortName(PortId::Vf(12)), "vf12");
  EXPECT_EQ(PortName(PortId()), "invalid");
}

TEST(PortSet, SetTestResetCount) {
  PortSet s;
  EXPECT_TRUE(s.Empty());
  s.Set(PortId::Uplink());
  s.Set(PortId::Vf(62));  // port 64: the second word
  s.Set(PortId::Vf(kMaxVfs - 1));
  EXPECT_EQ(s.Count(), 3u);
  EXPECT_TRUE(s.Test(PortId(64)));
  EXPECT_FALSE(s.Test(PortId(63)));
  s.Reset(PortId(64));
  EXPECT_EQ(s.Count(), 2u);
}

TEST(PortSet, OutOfRangePortsAreIgnoredNotWritten) {
  PortSet s;
  s.Set(PortId(kMaxPorts));
  s.Set(PortId());
  EXPECT_TRUE(s.Empty());
  EXPECT_FALSE(s.Test(PortId(kMaxPorts)));
}

TEST(PortSet, ForEachVisitsMembersInOrder) {
  PortSet s;
  for (uint16_t p : {1025, 0, 63, 64, 700}) s.Set(PortId(p));
  std::vector<uint16_t> seen;
  s.ForEach([&](PortId p) { seen.push_back(p.value()); });
  EXPECT_EQ(seen, (std::vector<uint16_t>{0, 63, 64, 700, 1025}));
}

TEST(PortSet, AndOr) {
  PortSet a, b;
  a.Set(PortId(1));
  a.Set(PortId(100));
  b.Set(PortId(100));
  b.Set(PortId(200));
  PortSet u = a;
  u |= b;
  EXPECT_EQ(u.Count(), 3u);
  PortSet i = a;
  i &= b;
  EXPECT_EQ(i.Count(), 1u);
  EXPECT_TRUE(i.Test(PortId(100)));
}

TEST(VlanId, CustomerAndServiceVlansAreDifferentDomains) {
  EXPECT_NE(VlanId::Customer(10), VlanId::Service(10));
  EXPECT_EQ(VlanId::FromTag(0x8100, 10), VlanId::Customer(10));
  EXPECT_EQ(VlanId::FromTag(0x88a8, 10), VlanId::Service(10));
  EXPECT_EQ(VlanId::Service(10).tpid(), 0x88a8);
  EXPECT_EQ(VlanId::Customer(10).tpid(), 0x8100);
}

TEST(VlanId, PriorityTagIsUntagged) {
  EXPECT_TRUE(VlanId::FromTag(0x8100, 0).is_untagged());
  EXPECT_TRUE(VlanId::FromTag(0x88a8, 0).is_untagged());
  EXPECT_EQ(VlanId::Service(0), VlanId::Untagged());
}

TEST(VlanId, RawRoundTrips) {
  for (VlanId v : {VlanId::Untagged(), VlanId::Customer(1), VlanId::Customer(4095),
                   VlanId::Service(1), VlanId::Service(4095)})
    EXPECT_EQ(VlanId::FromRaw(v.raw()), v);
  EXPECT_EQ(VlanId::Customer(4096 + 5).vid(), 5);  // only 12 bits are a VID
}

}  // namespace
}  // namespace softvf::eswitch
