// Topology: bridges with bus ranges (validated nested, never overlapping), the bus a
// function's bridge routes (busn_res.end), ARI Forwarding, and the bridges' own config space.
#include "pci/topology.h"

#include <gtest/gtest.h>

#include "pci/capabilities.h"
#include "pci/regs.h"

namespace softvf {
namespace {

BridgeSpec Spec(const char* bdf, uint8_t secondary, uint8_t subordinate,
                pci::PcieType type = pci::PcieType::kRootPort) {
  BridgeSpec s;
  s.bdf = *Bdf::Parse(bdf);
  s.type = type;
  s.secondary_bus = secondary;
  s.subordinate_bus = subordinate;
  return s;
}

TEST(Topology, RejectsBadRanges) {
  Topology t;
  EXPECT_EQ(t.AddBridge(Spec("0000:31:00.0", 0x31, 0x31)),
            "secondary bus must be above the bridge's own bus");
  EXPECT_EQ(t.AddBridge(Spec("0000:00:01.0", 0x05, 0x04)),
            "subordinate bus must not be below the secondary bus");
  ASSERT_FALSE(t.AddBridge(Spec("0000:00:01.0", 0x01, 0x03)));
  EXPECT_EQ(t.AddBridge(Spec("0000:00:01.0", 0x10, 0x10)), "a bridge already sits at 0000:00:01.0");
  EXPECT_EQ(t.AddBridge(Spec("0000:00:02.0", 0x03, 0x04)),
            "bus range overlaps bridge 0000:00:01.0");
  EXPECT_EQ(t.AddBridge(Spec("0000:01:00.0", 0x02, 0x05, pci::PcieType::kUpstreamPort)),
            "bus range leaves the range of upstream bridge 0000:00:01.0");
  EXPECT_EQ(t.bridges().size(), 1u);
}

TEST(Topology, NestedSwitchAndSiblings) {
  Topology t;
  ASSERT_FALSE(t.AddBridge(Spec("0000:00:01.0", 0x01, 0x04)));
  ASSERT_FALSE(t.AddBridge(Spec("0000:01:00.0", 0x02, 0x04, pci::PcieType::kUpstreamPort)));
  ASSERT_FALSE(t.AddBridge(Spec("0000:02:00.0", 0x03, 0x03, pci::PcieType::kDownstreamPort)));
  ASSERT_FALSE(t.AddBridge(Spec("0000:02:01.0", 0x04, 0x04, pci::PcieType::kDownstreamPort)));
  ASSERT_FALSE(t.AddBridge(Spec("0000:00:02.0", 0x05, 0x05)));
  EXPECT_EQ(t.UpstreamBridgeOf(0x00), -1);  // the root bus
  EXPECT_EQ(t.UpstreamBridgeOf(0x01), 0);
  EXPECT_EQ(t.UpstreamBridgeOf(0x02), 1);
  EXPECT_EQ(t.UpstreamBridgeOf(0x03), 2);
  EXPECT_EQ(t.UpstreamBridgeOf(0x04), 3);
  EXPECT_EQ(t.UpstreamBridgeOf(0x05), 4);
  EXPECT_EQ(t.BusEnd(0x00), 0xff);
  EXPECT_EQ(t.BusEnd(0x01), 0x04);
  EXPECT_EQ(t.BusEnd(0x03), 0x03);
  EXPECT_EQ(t.BusEnd(0x05), 0x05);
}

TEST(Topology, AriForwardingPerBus) {
  Topology t;
  BridgeSpec no_ari = Spec("0000:00:02.0", 0x05, 0x05);
  no_ari.ari_forwarding = false;
  ASSERT_FALSE(t.AddBridge(Spec("0000:00:01.0", 0x01, 0x01)));
  ASSERT_FALSE(t.AddBridge(no_ari));
  EXPECT_TRUE(t.AriEnabledOn(0x01));
  EXPECT_FALSE(t.AriEnabledOn(0x05));
  EXPECT_FALSE(t.AriEnabledOn(0x00));  // root bus: no bridge to forward
}

TEST(PciBridge, ConfigSpaceIsAType1PcieBridge) {
  BridgeSpec s = Spec("0000:30:03.1", 0x31, 0x32);
  s.vendor_id = 0x1022;
  s.device_id = 0x1483;
  s.multifunction = true;
  PciBridge b(s);
  const ConfigSpace& cs = b.config();
  EXPECT_EQ(cs.Read16(pci::kVendorId), 0x1022);
  EXPECT_EQ(cs.Read16(pci::kDeviceId), 0x1483);
  EXPECT_EQ(cs.Read16(pci::kClassDevice), 0x0604);
  EXPECT_EQ(cs.Read8(pci::kHeaderType), 0x81);
  EXPECT_EQ(cs.Read8(pci::kPrimaryBus), 0x30);
  EXPECT_EQ(cs.Read8(pci::kSecondaryBus), 0x31);
  EXPECT_EQ(cs.Read8(pci::kSubordinateBus), 0x32);
  auto exp = FindCapability(cs, pci::kCapIdExp);
  ASSERT_TRUE(exp);
  EXPECT_EQ((cs.Read16(*exp + 2) >> 4) & 0xf, 0x4);  // root port
  EXPECT_TRUE(AcsFlagsEnabled(cs));
  EXPECT_TRUE(AriForwardingEnabled(cs));

  s.acs = false;
  s.ari_forwarding = false;
  s.multifunction = false;
  s.type = pci::PcieType::kDownstreamPort;
  PciBridge plain(s);
  EXPECT_EQ(plain.config().Read8(pci::kHeaderType), 0x01);
  EXPECT_FALSE(FindExtCapability(plain.config(), pci::kExtCapIdAcs));
  EXPECT_FALSE(AcsFlagsEnabled(plain.config()));
  EXPECT_FALSE(AriForwardingEnabled(plain.config()));
  EXPECT_EQ((plain.config().Read16(*exp + 2) >> 4) & 0xf, 0x6);
}

}  // namespace
}  // namespace softvf
