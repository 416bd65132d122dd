// Capability lists: building them, walking the standard list (from 0x34) and the
// extended list (from 0x100) with a hop limit, and the ACS / ARI Forwarding predicates
// Linux's IOMMU grouping relies on (drivers/pci/pci.c pci_acs_flags_enabled).
#include "pci/capabilities.h"

#include <gtest/gtest.h>

#include "pci/regs.h"

namespace softvf {
namespace {

using pci::PcieType;

constexpr uint16_t kAcsSv = 0x0001, kAcsRr = 0x0004, kAcsCr = 0x0008, kAcsUf = 0x0010;

TEST(StandardCapabilities, BuilderLinksInOrderAndSetsCapList) {
  ConfigSpace cs;
  CapabilityBuilder b(cs);
  b.AddPowerManagement(0x40);
  b.AddMsix(0x70, MsixLayout{});
  b.AddPcie(0xa0, PcieType::kEndpoint, PcieLink{}, true, false);
  EXPECT_EQ(cs.Read16(pci::kStatus) & pci::kStatusCapList, pci::kStatusCapList);
  EXPECT_EQ(cs.Read8(pci::kCapabilityList), 0x40);
  EXPECT_EQ(cs.Read16(0x40), 0x7001);  // ID 01 (PM), next 0x70
  EXPECT_EQ(cs.Read16(0x70), 0xa011);  // ID 11 (MSI-X), next 0xa0
  EXPECT_EQ(cs.Read16(0xa0), 0x0010);  // ID 10 (PCIe), end of list
  EXPECT_EQ(FindCapability(cs, pci::kCapIdPm), 0x40);
  EXPECT_EQ(FindCapability(cs, pci::kCapIdMsix), 0x70);
  EXPECT_EQ(FindCapability(cs, pci::kCapIdExp), 0xa0);
  EXPECT_FALSE(FindCapability(cs, pci::kCapIdMsi));
}

TEST(StandardCapabilities, NoCapListStatusBitMeansNoCapabilities) {
  ConfigSpace cs;
  cs.Set8(pci::kCapabilityList, 0x40);
  cs.Set16(0x40, 0x0010);
  EXPECT_FALSE(FindCapability(cs, pci::kCapIdExp));
  cs.Set16(pci::kStatus, pci::kStatusCapList);
  EXPECT_EQ(FindCapability(cs, pci::kCapIdExp), 0x40);
}

TEST(StandardCapabilities, PointerLowBitsAreIgnoredAndLowPointersEndTheWalk) {
  ConfigSpace cs;
  cs.Set16(pci::kStatus, pci::kStatusCapList);
  cs.Set8(pci::kCapabilityList, 0x43);  // bits 1:0 reserved
  cs.Set16(0x40, 0x3c05);               // MSI, next 0x3c: below 0x40 ends the list
  cs.Set16(0x3c, 0x0010);
  EXPECT_EQ(FindCapability(cs, pci::kCapIdMsi), 0x40);
  EXPECT_FALSE(FindCapability(cs, pci::kCapIdExp));
}

TEST(StandardCapabilities, LoopingListTerminates) {
  ConfigSpace cs;
  cs.Set16(pci::kStatus, pci::kStatusCapList);
  cs.Set8(pci::kCapabilityList, 0x40);
  cs.Set16(0x40, 0x5001);  // PM -> 0x50
  cs.Set16(0x50, 0x4005);  // MSI -> 0x40: a loop
  EXPECT_EQ(FindCapability(cs, pci::kCapIdMsi), 0x50);
  EXPECT_FALSE(FindCapability(cs, pci::kCapIdExp));  // returns instead of spinning
  cs.Set16(0x40, 0x4001);                            // self loop
  EXPECT_FALSE(FindCapability(cs, pci::kCapIdMsix));
}

TEST(ExtendedCapabilities, BuilderLinksFrom0x100) {
  ConfigSpace cs;
  CapabilityBuilder b(cs);
  b.AddAri(0x100, 1);
  b.AddAcs(0x110, true);
  b.AddSriovHeader(0x160);
  EXPECT_EQ(cs.Read32(0x100), 0x1101000eu);  // ARI v1, next 0x110
  EXPECT_EQ(cs.Read32(0x110), 0x1601000du);  // ACS v1, next 0x160
  EXPECT_EQ(cs.Read32(0x160), 0x00010010u);  // SR-IOV v1, end
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAri), 0x100);
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAcs), 0x110);
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdSriov), 0x160);
  EXPECT_FALSE(FindExtCapability(cs, 0x0001));  // AER absent
  EXPECT_EQ(cs.Read16(0x104), 0x0100);          // ARI Next Function Number 1
}

// The extended list always starts at 0x100 (PCIe Base 7.6.3). A function whose first
// extended capability sits higher (the I350 has ARI at 0x150 and SR-IOV at 0x160) must
// still be walkable from 0x100, so lspci and Linux find its capabilities.
TEST(ExtendedCapabilities, FirstCapabilityAbove0x100IsReachableFrom0x100) {
  ConfigSpace cs;
  CapabilityBuilder b(cs);
  b.AddAri(0x150, 0);
  b.AddSriovHeader(0x160);
  EXPECT_EQ(cs.Read32(0x100), 0x15000000u);  // Null capability (ID 0, v0) -> 0x150
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAri), 0x150);
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdSriov), 0x160);
}

TEST(ExtendedCapabilities, CapabilityAddedAt0x100LaterBecomesTheHead) {
  ConfigSpace cs;
  CapabilityBuilder b(cs);
  b.AddAri(0x150, 0);
  b.AddAcs(0x100, true);
  b.AddSriovHeader(0x160);
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAcs), 0x100);
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAri), 0x150);
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdSriov), 0x160);
  EXPECT_EQ(cs.Read32(0x100), 0x1501000du);  // ACS v1 -> 0x150
  EXPECT_EQ(cs.Read32(0x150), 0x1601000eu);  // ARI v1 -> 0x160
}

TEST(ExtendedCapabilities, AllZeroHeaderAt0x100MeansNone) {
  ConfigSpace cs;
  EXPECT_FALSE(FindExtCapability(cs, pci::kExtCapIdSriov));
  cs.Set32(0x160, 0x00010010);  // an orphan capability is not reachable
  EXPECT_FALSE(FindExtCapability(cs, pci::kExtCapIdSriov));
}

TEST(ExtendedCapabilities, NextPointerBelow0x100EndsTheWalk) {
  ConfigSpace cs;
  cs.Set32(0x100, 0x0fc1000e);  // ARI, next 0xfc
  cs.Set32(0x0fc, 0x00010010);
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAri), 0x100);
  EXPECT_FALSE(FindExtCapability(cs, pci::kExtCapIdSriov));
}

TEST(ExtendedCapabilities, LoopingListTerminates) {
  ConfigSpace cs;
  cs.Set32(0x100, 0x1101000eu);  // ARI -> 0x110
  cs.Set32(0x110, 0x1001000du);  // ACS -> 0x100: a loop
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAcs), 0x110);
  EXPECT_FALSE(FindExtCapability(cs, pci::kExtCapIdSriov));
  cs.Set32(0x100, 0x1001000eu);  // self loop
  EXPECT_FALSE(FindExtCapability(cs, pci::kExtCapIdSriov));
}

TEST(Acs, BuilderEnablesTheRequiredFlags) {
  EXPECT_EQ(kAcsRequiredFlags, kAcsSv | kAcsRr | kAcsCr | kAcsUf);
  ConfigSpace cs;
  CapabilityBuilder(cs).AddAcs(0x100, true);
  EXPECT_EQ(cs.Read16(0x104), 0x001d);  // ACS Capability
  EXPECT_EQ(cs.Read16(0x106), 0x001d);  // ACS Control
  EXPECT_TRUE(AcsFlagsEnabled(cs));
}

TEST(Acs, ImplementedButDisabledIsNotEnabled) {
  ConfigSpace cs;
  CapabilityBuilder(cs).AddAcs(0x100, false);
  EXPECT_EQ(cs.Read16(0x106), 0x0000);
  EXPECT_FALSE(AcsFlagsEnabled(cs));
  // The host may enable the flags (Linux pci_enable_acs writes ACS Control).
  cs.HostWrite(0x106, 0xffff, 2);
  EXPECT_EQ(cs.Read16(0x106), 0x001d);
  EXPECT_TRUE(AcsFlagsEnabled(cs));
}

TEST(Acs, OneRequiredFlagOffIsNotEnabled) {
  ConfigSpace cs;
  CapabilityBuilder(cs).AddAcs(0x100, true);
  cs.HostWrite(0x106, kAcsRequiredFlags & ~kAcsRr, 2);
  EXPECT_FALSE(AcsFlagsEnabled(cs));
}

TEST(Acs, FlagNotImplementedCountsAsHardwiredEnabled) {
  ConfigSpace cs;
  CapabilityBuilder(cs).AddAcs(0x100, true);
  cs.Set16(0x104, kAcsSv | kAcsRr | kAcsCr);  // no Upstream Forwarding
  cs.Set16(0x106, kAcsSv | kAcsRr | kAcsCr);
  EXPECT_TRUE(AcsFlagsEnabled(cs));
  cs.Set16(0x104, 0);  // implements nothing: nothing to enable
  cs.Set16(0x106, 0);
  EXPECT_TRUE(AcsFlagsEnabled(cs));
}

TEST(Acs, NoAcsCapabilityIsNotEnabled) {
  ConfigSpace cs;
  CapabilityBuilder(cs).AddAri(0x100, 0);
  EXPECT_FALSE(AcsFlagsEnabled(cs));
}

TEST(Acs, FoundBehindOtherExtendedCapabilities) {
  ConfigSpace cs;
  CapabilityBuilder b(cs);
  b.AddAri(0x150, 1);
  b.AddAcs(0x230, true);
  b.AddSriovHeader(0x180);
  EXPECT_TRUE(AcsFlagsEnabled(cs));
}

TEST(AriForwarding, EnabledOnlyWhenDevCtl2BitIsSet) {
  ConfigSpace with;
  CapabilityBuilder(with).AddPcie(0x60, PcieType::kRootPort, PcieLink{}, false, true);
  EXPECT_TRUE(AriForwardingEnabled(with));
  EXPECT_EQ(with.Read32(0x60 + 36) & (1u << 5), 1u << 5);  // DevCap2 ARI Forwarding Supported
  with.HostWrite(0x60 + 40, 0, 2);                         // the host turns it off
  EXPECT_FALSE(AriForwardingEnabled(with));

  ConfigSpace without;
  CapabilityBuilder(without).AddPcie(0x60, PcieType::kRootPort, PcieLink{}, false, false);
  EXPECT_FALSE(AriForwardingEnabled(without));
  without.HostWrite(0x60 + 40, 0x20, 2);  // not supported: the bit is read-only zero
  EXPECT_FALSE(AriForwardingEnabled(without));

  ConfigSpace no_pcie;
  EXPECT_FALSE(AriForwardingEnabled(no_pcie));
}

TEST(PcieCapability, FlagsDevCapAndLink) {
  ConfigSpace cs;
  CapabilityBuilder(cs).AddPcie(0xa0, PcieType::kDownstreamPort, PcieLink{3, 8}, true, false);
  EXPECT_EQ(cs.Read16(0xa2), 0x0062);                 // version 2, type 6 (downstream port)
  EXPECT_EQ(cs.Read32(0xa4) & (1u << 28), 1u << 28);  // FLR capable
  EXPECT_EQ(cs.Read32(0xac) & 0x3ff, 0x083u);         // Link Cap: 8GT/s, x8
  EXPECT_EQ(cs.Read16(0xb2) & 0x3ff, 0x083);          // Link Status
}

TEST(PowerManagement, PmcsrStateWritableAndPmeStatusW1c) {
  ConfigSpace cs;
  CapabilityBuilder(cs).AddPowerManagement(0x40);
  cs.HostWrite(0x44, 0x0003, 2);  // D3hot
  EXPECT_EQ(cs.Read16(0x44) & 0x3, 0x3);
  cs.Set16(0x44, 0x8000);  // the device raised PME_Status
  cs.HostWrite(0x44, 0x0000, 2);
  EXPECT_EQ(cs.Read16(0x44), 0x8000);
  cs.HostWrite(0x44, 0x8000, 2);
  EXPECT_EQ(cs.Read16(0x44), 0x0000);
}

TEST(Msix, TableSizeIsEncodedMinusOneAndOnlyControlBitsAreWritable) {
  ConfigSpace cs;
  CapabilityBuilder(cs).AddMsix(0x70, MsixLayout{10, 3, 0, 3, 0x2000});
  EXPECT_EQ(cs.Read16(0x72), 9);
  EXPECT_EQ(cs.Read32(0x74), 0x00000003u);  // table: BIR 3, offset 0
  EXPECT_EQ(cs.Read32(0x78), 0x00002003u);  // PBA: BIR 3, offset 0x2000
  cs.HostWrite(0x72, 0xffff, 2);
  EXPECT_EQ(cs.Read16(0x72), 0xc009);  // Enable and Function Mask set, size unchanged
}

}  // namespace
}  // namespace softvf
