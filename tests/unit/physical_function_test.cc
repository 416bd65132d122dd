// PhysicalFunction: the SR-IOV state machine driven by host config writes (reference
// §1.2, QEMU hw/pci/pcie_sriov.c), VF routing IDs and BARs derived from the capability
// (§1.3, §1.4), what a VF's own config space reads (§1.5), and Linux's sriov_init /
// sriov_enable checks with their errno (§1.3, §1.6).
#include "sriov/physical_function.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include "card/card.h"
#include "pci/capabilities.h"
#include "pci/regs.h"
#include "sriov/sysfs.h"
#include "test_profiles.h"

namespace softvf {
namespace {

using testing::Builtin;
using testing::TestPf;
using testing::WriteSriov16;
using testing::WriteSriov32;
using S = SriovCapability;

const Bdf kPf0(0, 0x31, 0, 0);
const Bdf kPf1(0, 0x31, 0, 1);

std::vector<std::string> EnabledVfBdfs(const PhysicalFunction& pf) {
  std::vector<std::string> out;
  for (const VirtualFunction& vf : pf.vfs())
    if (vf.enabled()) out.push_back(vf.bdf().ToShortString());
  return out;
}

// The I350 of the PCICS vector: VF offset 384, stride 4, 8 VFs, PF alone on its bus.
DeviceProfile PcicsI350() {
  DeviceProfile p = Builtin("i350");
  p.ports = 1;
  p.sriov.first_vf_offset = p.sriov.ari_first_vf_offset = 384;
  p.sriov.vf_stride = p.sriov.ari_vf_stride = 4;
  p.driver.max_vfs = 0;
  return p;
}

// ------------------------------------------------------------------ state machine

TEST(SriovStateMachine, NumVfsWritableOnlyWhileVfEnableClear) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  ASSERT_TRUE(pf.init.ok()) << pf.init.message();
  WriteSriov16(*pf, S::kNumVfs, 4);
  EXPECT_EQ(pf->sriov().num_vfs(), 4);
  WriteSriov16(*pf, S::kNumVfs, 3);  // still clear: any value goes
  EXPECT_EQ(pf->sriov().num_vfs(), 3);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe | S::kCtrlMse);
  EXPECT_TRUE(pf->sriov().vf_enable());
  EXPECT_EQ(pf->enabled_vf_count(), 3);
  EXPECT_FALSE(pf->sriov().num_vfs_writable());
  WriteSriov16(*pf, S::kNumVfs, 8);
  EXPECT_EQ(pf->sriov().num_vfs(), 3);
  EXPECT_EQ(pf->enabled_vf_count(), 3);
  WriteSriov16(*pf, S::kCtrl, 0);
  EXPECT_TRUE(pf->sriov().num_vfs_writable());
  WriteSriov16(*pf, S::kNumVfs, 8);
  EXPECT_EQ(pf->sriov().num_vfs(), 8);
}

TEST(SriovStateMachine, VfEnableRefusedWhileNumVfsAboveTotalVfs) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  WriteSriov16(*pf, S::kNumVfs, 9);  // TotalVFs is 8
  WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe | S::kCtrlMse);
  EXPECT_FALSE(pf->sriov().vf_enable());
  EXPECT_EQ(pf->sriov().control(), S::kCtrlMse);  // the other bits still take
  EXPECT_EQ(pf->enabled_vf_count(), 0);
  EXPECT_TRUE(EnabledVfBdfs(*pf).empty());
  WriteSriov16(*pf, S::kNumVfs, 8);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe | S::kCtrlMse);
  EXPECT_TRUE(pf->sriov().vf_enable());
  EXPECT_EQ(pf->enabled_vf_count(), 8);
}

TEST(SriovStateMachine, ControlWriteMaskIsVfeMseAri) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  WriteSriov16(*pf, S::kCtrl, 0xffff);
  EXPECT_EQ(pf->sriov().control(), 0x0019);  // VF Migration bits read-only zero
}

TEST(SriovStateMachine, ClearingVfEnableRemovesAllVfs) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf1, 2);
  WriteSriov16(*pf, S::kNumVfs, 5);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe | S::kCtrlMse);
  EXPECT_EQ(EnabledVfBdfs(*pf).size(), 5u);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlMse);
  EXPECT_EQ(pf->enabled_vf_count(), 0);
  for (const VirtualFunction& vf : pf->vfs()) {
    EXPECT_FALSE(vf.enabled());
    EXPECT_EQ(vf.bdf(), Bdf());
    EXPECT_TRUE(vf.bar_addresses().empty());
  }
  EXPECT_EQ(pf->sriov().num_vfs(), 5);  // NumVFs itself keeps its value
}

TEST(SriovStateMachine, VfsAreCreatedOnceUpToTotalVfs) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  ASSERT_EQ(pf->vfs().size(), 8u);
  std::vector<const VirtualFunction*> before;
  for (const VirtualFunction& vf : pf->vfs()) before.push_back(&vf);
  for (int round = 0; round < 3; ++round) {
    WriteSriov16(*pf, S::kNumVfs, static_cast<uint16_t>(2 + 3 * round));
    WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe);
    WriteSriov16(*pf, S::kCtrl, 0);
  }
  ASSERT_EQ(pf->vfs().size(), 8u);
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(&pf->vfs()[i], before[i]) << "VF " << i << " was reallocated";
    EXPECT_EQ(pf->vfs()[i].index(), i);
  }
}

TEST(SriovStateMachine, VfSettingsStartCleanAfterReEnable) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  ASSERT_TRUE(pf->SriovEnable(2).ok());
  pf->vfs()[0].settings().vlan = 100;
  pf->vfs()[0].settings().trust = true;
  pf->SriovDisable();
  ASSERT_TRUE(pf->SriovEnable(2).ok());
  EXPECT_EQ(pf->vfs()[0].settings(), DefaultVfConfig(prof.driver));
}

TEST(SriovStateMachine, VfBdfsFollowOffsetAndStride) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf1, 2);
  WriteSriov16(*pf, S::kNumVfs, 8);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe | S::kCtrlMse);
  EXPECT_EQ(EnabledVfBdfs(*pf),
            (std::vector<std::string>{"31:10.1", "31:10.5", "31:11.1", "31:11.5", "31:12.1",
                                      "31:12.5", "31:13.1", "31:13.5"}));
}

// ------------------------------------------------------------------ config space

TEST(VfConfigSpace, VendorDeviceReadAllOnesAndInterruptPinZero) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  ASSERT_TRUE(pf->SriovEnable(1).ok());
  const ConfigSpace& cs = pf->vfs()[0].config();
  EXPECT_EQ(cs.Read16(pci::kVendorId), 0xffff);
  EXPECT_EQ(cs.Read16(pci::kDeviceId), 0xffff);
  EXPECT_EQ(cs.Read32(0), 0xffffffffu);
  EXPECT_EQ(cs.Read8(pci::kInterruptPin), 0);
  EXPECT_EQ(cs.Read8(pci::kHeaderType), 0x00);  // never multifunction
  EXPECT_EQ(cs.Read16(pci::kClassDevice), 0x0200);
  EXPECT_EQ(cs.Read8(pci::kRevisionId), 0x01);
  EXPECT_EQ(cs.Read16(pci::kSubsystemVendorId), 0x8086);
  EXPECT_EQ(cs.Read16(pci::kSubsystemId), 0x0002);
  for (int bar = 0; bar < 6; ++bar) EXPECT_EQ(cs.Read32(pci::kBar0 + 4 * bar), 0u);
  EXPECT_EQ(cs.WriteMask8(pci::kCommand) & pci::kCommandMemory, 0);  // MSE is RO 0 in a VF
  EXPECT_TRUE(FindCapability(cs, pci::kCapIdExp));
  EXPECT_TRUE(FindCapability(cs, pci::kCapIdMsix));
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAri), prof.caps.ari);
  EXPECT_FALSE(FindExtCapability(cs, pci::kExtCapIdSriov));
}

TEST(PfConfigSpace, HeaderAndCapabilitiesOfTheI350) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf0(prof, kPf0, 2);
  TestPf pf1(prof, kPf1, 2);
  const ConfigSpace& cs = pf0->config();
  EXPECT_EQ(cs.Read16(pci::kVendorId), 0x8086);
  EXPECT_EQ(cs.Read16(pci::kDeviceId), 0x1521);
  EXPECT_EQ(cs.Read8(pci::kHeaderType), 0x80);            // two ports: multifunction
  EXPECT_EQ(cs.Read8(pci::kInterruptPin), 1);             // INTA
  EXPECT_EQ(pf1->config().Read8(pci::kInterruptPin), 2);  // INTB
  EXPECT_EQ(cs.Read16(pci::kCommand), 0x0007);            // I/O BAR 2 present: I/O+ Mem+ BusMaster+
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdSriov), 0x160);
  EXPECT_EQ(FindExtCapability(cs, pci::kExtCapIdAri), 0x150);
  EXPECT_EQ(pf0->sriov().offset(), 0x160);
  EXPECT_EQ(pf0->sriov().function_dependency_link(), 0);
  EXPECT_EQ(pf1->sriov().function_dependency_link(), 1);
  EXPECT_EQ(pf0->sriov().vf_device_id(), 0x1520);
  EXPECT_EQ(pf0->sriov().capabilities(), S::kCapAriPreserved);
  // ARI Next Function Number: port 0 -> 1, the last port -> 0.
  EXPECT_EQ(cs.Read8(0x150 + 5), 1);
  EXPECT_EQ(pf1->config().Read8(0x150 + 5), 0);
}

TEST(PfConfigSpace, NoIoSpaceEnableWithoutAnIoBar) {
  // Linux's pci_enable_resources sets Command.IO only for a device with an I/O BAR;
  // the ConnectX-6 Dx has none ("Control: I/O- Mem+ BusMaster+").
  DeviceProfile prof = Builtin("cx6dx");
  TestPf pf(prof, Bdf(0, 0x3b, 0, 0), 2);
  EXPECT_EQ(pf->config().Read16(pci::kCommand), 0x0006);
  EXPECT_EQ(pf->config().Read8(pci::kHeaderType), 0x80);
  DeviceProfile single = Builtin("virtio-net");
  TestPf vpf(single, Bdf(0, 0x3b, 0, 0), 1);
  EXPECT_EQ(vpf->config().Read8(pci::kHeaderType), 0x00);
}

// ------------------------------------------------------------------ ARI

DeviceProfile AriShiftingProfile() {
  DeviceProfile p = Builtin("i350");
  p.sriov.ari_first_vf_offset = 384;
  p.sriov.ari_vf_stride = 2;
  return p;
}

TEST(AriCapableHierarchy, WritableOnPort0AndSwitchesOffsetAndStride) {
  DeviceProfile prof = AriShiftingProfile();
  TestPf pf(prof, Bdf(0, 0x04, 0, 0), 2);
  EXPECT_EQ(pf->sriov().first_vf_offset(), 128);
  EXPECT_EQ(pf->sriov().vf_stride(), 4);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlAri);
  EXPECT_TRUE(pf->sriov().ari_capable_hierarchy());
  EXPECT_EQ(pf->sriov().first_vf_offset(), 384);
  EXPECT_EQ(pf->sriov().vf_stride(), 2);
  WriteSriov16(*pf, S::kNumVfs, 2);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlAri | S::kCtrlVfe | S::kCtrlMse);
  EXPECT_EQ(EnabledVfBdfs(*pf), (std::vector<std::string>{"05:10.0", "05:10.2"}));
  WriteSriov16(*pf, S::kCtrl, 0);
  EXPECT_EQ(pf->sriov().first_vf_offset(), 128);
  EXPECT_EQ(pf->sriov().vf_stride(), 4);
}

TEST(AriCapableHierarchy, ReadOnlyZeroOnOtherPorts) {
  DeviceProfile prof = AriShiftingProfile();
  TestPf pf(prof, Bdf(0, 0x04, 0, 1), 2);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlAri);
  EXPECT_FALSE(pf->sriov().ari_capable_hierarchy());
  EXPECT_EQ(pf->sriov().first_vf_offset(), 128);
  EXPECT_EQ(pf->sriov().vf_stride(), 4);
}

TEST(AriCapableHierarchy, SriovInitSetsItOnlyOnTheLowestPfBelowAnAriPort) {
  DeviceProfile prof = AriShiftingProfile();
  IovEnvironment ari;
  ari.ari_enabled = true;
  TestPf pf0(prof, Bdf(0, 0x04, 0, 0), 2, ari);
  TestPf pf1(prof, Bdf(0, 0x04, 0, 1), 2, ari);
  TestPf plain(prof, Bdf(0, 0x04, 0, 0), 2);
  EXPECT_TRUE(pf0->sriov().ari_capable_hierarchy());
  EXPECT_EQ(pf0->sriov().first_vf_offset(), 384);
  EXPECT_FALSE(pf1->sriov().ari_capable_hierarchy());
  EXPECT_FALSE(plain->sriov().ari_capable_hierarchy());
}

// ------------------------------------------------------------------ VF BARs

TEST(VfBars, VfKBarIsBasePlusKTimesSize) {
  // Reference §1.4: VF BAR0 at 0xa0180000, 16 KiB per VF, 8 VFs; VF BAR3 at 0xa01a0000.
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, Bdf(0, 0x04, 0, 0), 2);
  EXPECT_EQ(pf->vf_bar_size(0), 0x4000u);
  EXPECT_EQ(pf->vf_bar_size(1), 0u);  // upper half of the 64-bit BAR0
  EXPECT_EQ(pf->vf_bar_size(3), 0x4000u);
  WriteSriov32(*pf, S::kBar + 0, 0xa0180000);
  WriteSriov32(*pf, S::kBar + 4, 0);
  WriteSriov32(*pf, S::kBar + 12, 0xa01a0000);
  WriteSriov32(*pf, S::kBar + 16, 0);
  EXPECT_EQ(pf->sriov().bar(0), 0xa018000cu);  // type bits stay: 64-bit prefetchable
  EXPECT_EQ(pf->sriov().bar(3), 0xa01a000cu);
  WriteSriov16(*pf, S::kNumVfs, 8);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe | S::kCtrlMse);
  ASSERT_EQ(pf->enabled_vf_count(), 8);
  EXPECT_EQ(pf->vfs()[0].bar_addresses()[0], 0xa0180000u);
  EXPECT_EQ(pf->vfs()[1].bar_addresses()[0], 0xa0184000u);
  EXPECT_EQ(pf->vfs()[7].bar_addresses()[0], 0xa019c000u);
  EXPECT_EQ(pf->vfs()[0].bar_addresses()[3], 0xa01a0000u);
  EXPECT_EQ(pf->vfs()[7].bar_addresses()[3], 0xa01bc000u);
  EXPECT_EQ(pf->vfs()[7].bar_addresses(),
            (std::vector<uint64_t>{0xa019c000, 0, 0, 0xa01bc000, 0, 0}));
}

TEST(VfBars, SizingAVfBarReadsBackThePerVfSize) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, Bdf(0, 0x04, 0, 0), 2);
  WriteSriov32(*pf, S::kBar, 0xffffffff);
  EXPECT_EQ(pf->sriov().bar(0), 0xffffc00cu);
  WriteSriov32(*pf, S::kBar + 4, 0xffffffff);
  EXPECT_EQ(pf->sriov().bar(1), 0xffffffffu);
  WriteSriov32(*pf, S::kBar + 8, 0xffffffff);  // unused slot: not implemented
  EXPECT_EQ(pf->sriov().bar(2), 0u);
}

TEST(VfBars, UpperHalfOfA64BitBarIsPartOfTheAddress) {
  DeviceProfile prof = Builtin("cx6dx");
  TestPf pf(prof, Bdf(0, 0x3b, 0, 0), 2);
  WriteSriov32(*pf, S::kBar, 0x1c000000);
  WriteSriov32(*pf, S::kBar + 4, 0x40);
  WriteSriov16(*pf, S::kNumVfs, 3);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe | S::kCtrlMse);
  EXPECT_EQ(pf->vfs()[0].bar_addresses()[0], 0x401c000000u);
  EXPECT_EQ(pf->vfs()[2].bar_addresses()[0], 0x401c200000u);  // 1 MiB per VF
}

TEST(VfBars, FirmwareAllocatesTotalVfsApertureNaturallyAligned) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, Bdf(0, 0x04, 0, 0), 2);
  uint64_t bar0 = pf->sriov().bar(0) & ~0xfull;
  uint64_t bar3 = pf->sriov().bar(3) & ~0xfull;
  EXPECT_EQ(bar0 % 0x20000, 0u);  // 8 VFs x 16 KiB
  EXPECT_EQ(bar3 % 0x20000, 0u);
  EXPECT_GE(bar3, bar0 + 0x20000);
}

// ------------------------------------------------------------------ reset

TEST(Reset, DisablesVfsAndRestoresNumVfsAndPageSize) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  WriteSriov32(*pf, S::kSystemPageSize, 0x10);
  ASSERT_EQ(pf->sriov().system_page_size(), 0x10u);
  ASSERT_TRUE(pf->SriovEnable(4).ok());
  ASSERT_EQ(pf->enabled_vf_count(), 4);
  pf->Reset();
  EXPECT_EQ(pf->sriov().control(), 0);
  EXPECT_EQ(pf->sriov().num_vfs(), 0);
  EXPECT_EQ(pf->sriov().system_page_size(), 0x1u);
  EXPECT_EQ(pf->enabled_vf_count(), 0);
  EXPECT_EQ(pf->host().num_vfs, 0);
  EXPECT_TRUE(EnabledVfBdfs(*pf).empty());
  // The capability works as before: NumVFs writable, VF Enable settable.
  WriteSriov16(*pf, S::kNumVfs, 2);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlVfe);
  EXPECT_EQ(EnabledVfBdfs(*pf), (std::vector<std::string>{"31:10.0", "31:10.4"}));
}

TEST(Reset, ClearsTheAriBitAndItsOffsets) {
  DeviceProfile prof = AriShiftingProfile();
  TestPf pf(prof, Bdf(0, 0x04, 0, 0), 2);
  WriteSriov16(*pf, S::kCtrl, S::kCtrlAri);
  pf->Reset();
  EXPECT_FALSE(pf->sriov().ari_capable_hierarchy());
  EXPECT_EQ(pf->sriov().first_vf_offset(), 128);
}

// ------------------------------------------------------------------ sriov_init

TEST(SriovInit, ProgramsPageSizeLeavesNumVfsZeroAndBecomesPf) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  ASSERT_TRUE(pf.init.ok());
  EXPECT_TRUE(pf->host().is_physfn);
  EXPECT_EQ(pf->sriov().num_vfs(), 0);
  EXPECT_EQ(pf->sriov().system_page_size(), 0x1u);
  EXPECT_EQ(pf->host().driver, "igb");
  EXPECT_EQ(pf->host().driver_max_vfs, 7);  // igb's pci_sriov_set_totalvfs(7)
  EXPECT_EQ(pf->host().num_vfs, 0);
}

TEST(SriovInit, NoDriverBoundMeansDriverMaxIsTotalVfs) {
  DeviceProfile prof = Builtin("i350");
  MmioAllocator mmio(0xa0000000), io(0x3000);
  PhysicalFunction pf(prof, kPf0, 0, 2, mmio, io);
  pf.host().driver.clear();
  ASSERT_TRUE(pf.SriovInit(IovEnvironment{}).ok());
  EXPECT_EQ(pf.host().driver_max_vfs, 8);
}

TEST(SriovInit, ClearsVfEnableLeftOnByFirmware) {
  DeviceProfile prof = Builtin("i350");
  MmioAllocator mmio(0xa0000000), io(0x3000);
  PhysicalFunction pf(prof, kPf0, 0, 2, mmio, io);
  WriteSriov16(pf, S::kNumVfs, 2);
  WriteSriov16(pf, S::kCtrl, S::kCtrlVfe);
  ASSERT_EQ(pf.enabled_vf_count(), 2);
  ASSERT_TRUE(pf.SriovInit(IovEnvironment{}).ok());
  EXPECT_FALSE(pf.sriov().vf_enable());
  EXPECT_EQ(pf.enabled_vf_count(), 0);
  EXPECT_EQ(pf.sriov().num_vfs(), 0);
}

TEST(SriovInit, PageSizeOfA64KHost) {
  DeviceProfile prof = Builtin("cx6dx");  // 1 MiB VF BARs: a multiple of 64 KiB
  IovEnvironment env;
  env.host_page_shift = 16;
  TestPf pf(prof, Bdf(0, 0x3b, 0, 0), 2, env);
  ASSERT_TRUE(pf.init.ok()) << pf.init.message();
  EXPECT_EQ(pf->sriov().system_page_size(), 0x10u);
}

TEST(SriovInit, FirstVfOffsetZeroIsEio) {
  DeviceProfile prof = Builtin("i350");
  prof.sriov.first_vf_offset = prof.sriov.ari_first_vf_offset = 0;
  TestPf pf(prof, kPf0, 2);
  EXPECT_EQ(pf.init.errnum(), EIO);
  EXPECT_EQ(pf.init.message(), "invalid First VF Offset or VF Stride");
  EXPECT_FALSE(pf->host().is_physfn);
  EXPECT_EQ(pf->sriov().num_vfs(), 0);
}

TEST(SriovInit, StrideZeroWithMoreThanOneVfIsEio) {
  DeviceProfile prof = Builtin("i350");
  prof.sriov.vf_stride = prof.sriov.ari_vf_stride = 0;
  TestPf pf(prof, kPf0, 2);
  EXPECT_EQ(pf.init.errnum(), EIO);
  EXPECT_FALSE(pf->host().is_physfn);
}

TEST(SriovInit, StrideZeroWithOneVfIsFine) {
  DeviceProfile prof = Builtin("i350");
  prof.sriov.vf_stride = prof.sriov.ari_vf_stride = 0;
  prof.sriov.total_vfs = prof.sriov.initial_vfs = 1;
  prof.driver.max_vfs = 0;
  TestPf pf(prof, kPf0, 2);
  ASSERT_TRUE(pf.init.ok()) << pf.init.message();
  ASSERT_TRUE(pf->SriovEnable(1).ok());
  EXPECT_EQ(EnabledVfBdfs(*pf), (std::vector<std::string>{"31:10.0"}));
}

TEST(SriovInit, NoSupportedPageSizeForA64KHostIsEio) {
  DeviceProfile prof = Builtin("cx6dx");
  prof.sriov.supported_page_sizes = 0x1;  // 4 KiB only
  IovEnvironment env;
  env.host_page_shift = 16;
  TestPf pf(prof, Bdf(0, 0x3b, 0, 0), 2, env);
  EXPECT_EQ(pf.init.errnum(), EIO);
  EXPECT_EQ(pf.init.message(), "no supported page size fits the host page size");
  EXPECT_FALSE(pf->host().is_physfn);
}

TEST(SriovInit, VfBarSizeNotAPageMultipleIsEio) {
  DeviceProfile prof = Builtin("i350");  // 16 KiB VF BARs on a 64 KiB-page host
  IovEnvironment env;
  env.host_page_shift = 16;
  TestPf pf(prof, kPf0, 2, env);
  EXPECT_EQ(pf.init.errnum(), EIO);
  EXPECT_EQ(pf.init.message(), "VF BAR size is not a multiple of PAGE_SIZE");
  EXPECT_FALSE(pf->host().is_physfn);
}

TEST(SriovInit, TotalVfsZeroIsNotAPfButNoError) {
  DeviceProfile prof = Builtin("i350");
  prof.sriov.total_vfs = prof.sriov.initial_vfs = 0;
  prof.driver.max_vfs = 0;
  TestPf pf(prof, kPf0, 2);
  EXPECT_TRUE(pf.init.ok());
  EXPECT_FALSE(pf->host().is_physfn);
  EXPECT_TRUE(pf->vfs().empty());
}

// ------------------------------------------------------------------ sriov_enable

TEST(SriovEnable, VfsSpillingPastTheBridgeRangeIsEnomem) {
  DeviceProfile prof = PcicsI350();
  IovEnvironment env;
  env.bus_end = 0x04;  // the bridge above routes bus 04 only
  TestPf pf(prof, Bdf(0, 0x04, 0, 0), 1, env);
  ASSERT_TRUE(pf.init.ok());
  Status st = pf->SriovEnable(1);
  EXPECT_EQ(st.errnum(), ENOMEM);
  EXPECT_EQ(st.message(), "can't enable 1 VFs (bus 05 out of range of [bus 04])");
  EXPECT_EQ(pf->sriov().num_vfs(), 0);
  EXPECT_FALSE(pf->sriov().vf_enable());
  EXPECT_EQ(pf->host().num_vfs, 0);
  EXPECT_EQ(pf->enabled_vf_count(), 0);
}

TEST(SriovEnable, RangeSpanningBusesIsPrintedAsStartDashEnd) {
  DeviceProfile prof = PcicsI350();
  prof.sriov.total_vfs = prof.sriov.initial_vfs = 33;  // VF 32 lands on bus 06
  IovEnvironment env;
  env.bus_end = 0x05;
  TestPf pf(prof, Bdf(0, 0x04, 0, 0), 1, env);
  Status st = pf->SriovEnable(33);
  EXPECT_EQ(st.errnum(), ENOMEM);
  EXPECT_EQ(st.message(), "can't enable 33 VFs (bus 06 out of range of [bus 04-05])");
  ASSERT_TRUE(pf->SriovEnable(32).ok());
  EXPECT_EQ(pf->vfs()[31].bdf().ToShortString(), "05:1f.4");
}

TEST(SriovEnable, VfsOnTheNextBusWhenTheBridgeRoutesIt) {
  DeviceProfile prof = PcicsI350();
  IovEnvironment env;
  env.bus_end = 0x05;
  TestPf pf(prof, Bdf(0, 0x04, 0, 0), 1, env);
  ASSERT_TRUE(pf->SriovEnable(8).ok());
  std::vector<std::string> bdfs = EnabledVfBdfs(*pf);
  ASSERT_EQ(bdfs.size(), 8u);
  EXPECT_EQ(bdfs[0], "05:10.0");
  EXPECT_EQ(bdfs[1], "05:10.4");
  EXPECT_EQ(bdfs[7], "05:13.4");
  EXPECT_EQ(pf->sriov().control() & (S::kCtrlVfe | S::kCtrlMse), S::kCtrlVfe | S::kCtrlMse);
  EXPECT_EQ(pf->sriov().num_vfs(), 8);
  EXPECT_EQ(pf->host().num_vfs, 8);
}

TEST(SriovEnable, InitialVfsAboveTotalVfsIsEio) {
  DeviceProfile prof = Builtin("i350");
  prof.sriov.initial_vfs = 9;
  TestPf pf(prof, kPf0, 2);
  EXPECT_EQ(pf->SriovEnable(1).errnum(), EIO);
}

TEST(SriovEnable, InitialVfsBelowTotalVfsWithoutMigrationIsEio) {
  DeviceProfile prof = Builtin("i350");
  prof.sriov.initial_vfs = 4;
  TestPf pf(prof, kPf0, 2);
  EXPECT_EQ(pf->SriovEnable(1).errnum(), EIO);
  EXPECT_EQ(pf->enabled_vf_count(), 0);
}

TEST(SriovEnable, MoreThanTotalVfsIsEinval) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  EXPECT_EQ(pf->SriovEnable(9).errnum(), EINVAL);
  EXPECT_TRUE(pf->SriovEnable(8).ok());  // the device allows 8; igb's 7 is sysfs's limit
}

TEST(SriovEnable, AlreadyEnabledIsEinvalAndZeroIsANoOp) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  EXPECT_TRUE(pf->SriovEnable(0).ok());
  EXPECT_EQ(pf->enabled_vf_count(), 0);
  ASSERT_TRUE(pf->SriovEnable(2).ok());
  EXPECT_EQ(pf->SriovEnable(3).errnum(), EINVAL);
  EXPECT_EQ(pf->enabled_vf_count(), 2);
}

TEST(SriovEnable, AutoprobeBindsTheHostVfDriver) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  ASSERT_TRUE(pf->SriovEnable(2).ok());
  EXPECT_EQ(pf->vfs()[0].binding(), Binding::kHostDriver);
  EXPECT_EQ(pf->vfs()[1].binding(), Binding::kHostDriver);
  EXPECT_EQ(pf->vfs()[2].binding(), Binding::kUnbound);
  pf->SriovDisable();
  pf->host().drivers_autoprobe = false;
  ASSERT_TRUE(pf->SriovEnable(2).ok());
  EXPECT_EQ(pf->vfs()[0].binding(), Binding::kUnbound);
}

TEST(SriovDisable, ClearsVfeMseAndNumVfs) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  ASSERT_TRUE(pf->SriovEnable(3).ok());
  pf->SriovDisable();
  EXPECT_EQ(pf->sriov().control() & (S::kCtrlVfe | S::kCtrlMse), 0);
  EXPECT_EQ(pf->sriov().num_vfs(), 0);
  EXPECT_EQ(pf->host().num_vfs, 0);
  EXPECT_EQ(pf->enabled_vf_count(), 0);
}

TEST(SetDriverTotalVfs, Rules) {
  DeviceProfile prof = Builtin("i350");
  TestPf pf(prof, kPf0, 2);
  EXPECT_EQ(pf->SetDriverTotalVfs(9).errnum(), EINVAL);
  EXPECT_TRUE(pf->SetDriverTotalVfs(4).ok());
  EXPECT_EQ(pf->host().driver_max_vfs, 4);
  ASSERT_TRUE(pf->SriovEnable(1).ok());
  EXPECT_EQ(pf->SetDriverTotalVfs(2).errnum(), EBUSY);

  DeviceProfile none = Builtin("i350");
  none.sriov.total_vfs = none.sriov.initial_vfs = 0;
  none.driver.max_vfs = 0;
  TestPf not_pf(none, kPf0, 2);
  EXPECT_EQ(not_pf->SetDriverTotalVfs(0).errnum(), ENOSYS);
}

// ------------------------------------------------------------------ scale

// Not a timing test: a 1024-VF ARI PF (cx6dx registers) spills over four more buses and
// the last VF lands exactly where the routing-ID rule says.
TEST(LargePf, ThousandTwentyFourVfsBehindAnAriRootPort) {
  auto prof = std::make_shared<DeviceProfile>(Builtin("cx6dx"));
  prof->ports = 1;
  prof->sriov.total_vfs = prof->sriov.initial_vfs = 1024;
  Card card;
  BridgeSpec rp;
  rp.bdf = Bdf(0, 0x3a, 0, 0);
  rp.secondary_bus = 0x40;
  rp.subordinate_bus = 0x44;
  ASSERT_FALSE(card.topology().AddBridge(rp));
  Status st = card.AddAdapter(prof, "cx6dx-1024", Bdf(0, 0x40, 0, 0), 1, 0x4000000000, {});
  ASSERT_TRUE(st.ok()) << st.message();
  PhysicalFunction& pf = *card.adapters()[0].ports[0].pf;
  EXPECT_TRUE(pf.sriov().ari_capable_hierarchy());
  EXPECT_EQ(SysfsRead(pf, "sriov_totalvfs").value(), "1024\n");
  Status en = SysfsWrite(pf, "sriov_numvfs", "1024");
  ASSERT_TRUE(en.ok()) << en.message();
  EXPECT_EQ(pf.enabled_vf_count(), 1024);
  EXPECT_EQ(pf.vfs()[0].bdf().ToString(), "0000:40:00.2");
  EXPECT_EQ(pf.vfs()[253].bdf().ToString(), "0000:40:1f.7");
  EXPECT_EQ(pf.vfs()[254].bdf().ToString(), "0000:41:00.0");
  EXPECT_EQ(pf.vfs()[1023].bdf().ToString(), "0000:44:00.1");
  EXPECT_EQ(pf.vfs()[1023].bar_addresses()[0] - pf.vfs()[0].bar_addresses()[0], 1023ull * 0x100000);
  std::set<Bdf> unique;
  for (const VirtualFunction& vf : pf.vfs()) unique.insert(vf.bdf());
  EXPECT_EQ(unique.size(), 1024u);
}

TEST(LargePf, OneBusShortIsEnomem) {
  auto prof = std::make_shared<DeviceProfile>(Builtin("cx6dx"));
  prof->ports = 1;
  prof->sriov.total_vfs = prof->sriov.initial_vfs = 1024;
  Card card;
  BridgeSpec rp;
  rp.bdf = Bdf(0, 0x3a, 0, 0);
  rp.secondary_bus = 0x40;
  rp.subordinate_bus = 0x43;
  ASSERT_FALSE(card.topology().AddBridge(rp));
  ASSERT_TRUE(card.AddAdapter(prof, "cx6dx-1024", Bdf(0, 0x40, 0, 0), 1, 0x4000000000, {}).ok());
  PhysicalFunction& pf = *card.adapters()[0].ports[0].pf;
  Status st = SysfsWrite(pf, "sriov_numvfs", "1024");
  EXPECT_EQ(st.errnum(), ENOMEM);
  EXPECT_EQ(st.message(), "can't enable 1024 VFs (bus 44 out of range of [bus 40-43])");
  EXPECT_EQ(SysfsWrite(pf, "sriov_numvfs", "1023").errnum(), ENOMEM);
  EXPECT_TRUE(SysfsWrite(pf, "sriov_numvfs", "1022").ok());  // 40:00.2 .. 43:1f.7
  EXPECT_EQ(pf.vfs()[1021].bdf().ToShortString(), "43:1f.7");
}

}  // namespace
}  // namespace softvf
