// SriovCapability against the byte-exact Intel I350 vector of reference §1.1 (pepyaka/pcics
// single_root_io_virtualization.rs DATA: bytes 0x04..0x3f of the capability), and Linux
// sriov_init's System Page Size choice (§1.4).
#include "sriov/sriov_capability.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "pci/capabilities.h"

namespace softvf {
namespace {

// Bytes 0x04..0x3f of the I350 PF's SR-IOV capability, as lspci -xxxx dumps them:
// VF BAR0 = 0xa018000c (64-bit prefetchable) in slots 0-1, VF BAR3 = 0xa01a000c in 3-4.
constexpr std::array<uint8_t, 60> kI350 = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x00,  //
    0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x04, 0x00, 0x00, 0x00, 0x20, 0x15,  //
    0x53, 0x05, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x18, 0xa0,  //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x1a, 0xa0,  //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

constexpr uint16_t kAt = 0x160;

TEST(SriovCapability, RegisterOffsetsArePciRegsH) {
  EXPECT_EQ(SriovCapability::kSizeof, 0x40);
  EXPECT_EQ(SriovCapability::kCap, 0x04);
  EXPECT_EQ(SriovCapability::kCtrl, 0x08);
  EXPECT_EQ(SriovCapability::kStatus, 0x0a);
  EXPECT_EQ(SriovCapability::kInitialVfs, 0x0c);
  EXPECT_EQ(SriovCapability::kTotalVfs, 0x0e);
  EXPECT_EQ(SriovCapability::kNumVfs, 0x10);
  EXPECT_EQ(SriovCapability::kFuncLink, 0x12);
  EXPECT_EQ(SriovCapability::kVfOffset, 0x14);
  EXPECT_EQ(SriovCapability::kVfStride, 0x16);
  EXPECT_EQ(SriovCapability::kVfDeviceId, 0x1a);
  EXPECT_EQ(SriovCapability::kSupportedPageSizes, 0x1c);
  EXPECT_EQ(SriovCapability::kSystemPageSize, 0x20);
  EXPECT_EQ(SriovCapability::kBar, 0x24);
  EXPECT_EQ(SriovCapability::kVfMigrationState, 0x3c);
  EXPECT_EQ(SriovCapability::kCtrlVfe, 0x0001);
  EXPECT_EQ(SriovCapability::kCtrlVfm, 0x0002);
  EXPECT_EQ(SriovCapability::kCtrlIntr, 0x0004);
  EXPECT_EQ(SriovCapability::kCtrlMse, 0x0008);
  EXPECT_EQ(SriovCapability::kCtrlAri, 0x0010);
  EXPECT_EQ(SriovCapability::kCapVfMigration, 0x1u);
  EXPECT_EQ(SriovCapability::kCapAriPreserved, 0x2u);
}

TEST(SriovCapability, DecodesTheI350VectorFieldByField) {
  ConfigSpace cs;
  for (size_t i = 0; i < kI350.size(); ++i) cs.Set8(kAt + 4 + i, kI350[i]);
  SriovCapability cap(cs, kAt);
  EXPECT_EQ(cap.offset(), kAt);
  // IOVCap: Migration-, Interrupt Message Number: 000; ARI Capable Hierarchy Preserved.
  EXPECT_EQ(cap.capabilities(), 0x00000002u);
  EXPECT_EQ(cap.capabilities() & SriovCapability::kCapVfMigration, 0u);
  EXPECT_EQ(cap.capabilities() & SriovCapability::kCapAriPreserved, 0x2u);
  EXPECT_EQ(cap.capabilities() >> 21, 0u);
  // IOVCtl: Enable- Migration- Interrupt- MSE- ARIHierarchy-; IOVSta: Migration-.
  EXPECT_EQ(cap.control(), 0x0000);
  EXPECT_FALSE(cap.vf_enable());
  EXPECT_FALSE(cap.vf_mse());
  EXPECT_FALSE(cap.ari_capable_hierarchy());
  EXPECT_EQ(cap.status(), 0x0000);
  // Initial VFs: 8, Total VFs: 8, Number of VFs: 0, Function Dependency Link: 00.
  EXPECT_EQ(cap.initial_vfs(), 8);
  EXPECT_EQ(cap.total_vfs(), 8);
  EXPECT_EQ(cap.num_vfs(), 0);
  EXPECT_EQ(cap.function_dependency_link(), 0x00);
  // VF offset: 384, stride: 4, Device ID: 1520.
  EXPECT_EQ(cap.first_vf_offset(), 384);
  EXPECT_EQ(cap.vf_stride(), 4);
  EXPECT_EQ(cap.vf_device_id(), 0x1520);
  // Supported Page Size: 00000553, System Page Size: 00000001.
  EXPECT_EQ(cap.supported_page_sizes(), 0x00000553u);
  EXPECT_EQ(cap.system_page_size(), 0x00000001u);
  // Region 0: Memory at a0180000 (64-bit, prefetchable); Region 3: at a01a0000.
  EXPECT_EQ(cap.bar(0), 0xa018000cu);
  EXPECT_EQ(cap.bar(1), 0u);
  EXPECT_EQ(cap.bar(2), 0u);
  EXPECT_EQ(cap.bar(3), 0xa01a000cu);
  EXPECT_EQ(cap.bar(4), 0u);
  EXPECT_EQ(cap.bar(5), 0u);
  EXPECT_EQ(cap.bar(0) & 0x6, 0x4u);  // type 64-bit
  EXPECT_EQ(cap.bar(0) & 0x8, 0x8u);  // prefetchable
  // VF Migration: offset: 00000000, BIR: 0.
  EXPECT_EQ(cap.vf_migration_state(), 0u);
}

TEST(SriovCapability, EncodesTheI350VectorByteForByte) {
  ConfigSpace cs;
  CapabilityBuilder builder(cs);
  builder.AddAcs(0x100, true);  // something before it, as on a real device
  builder.AddSriovHeader(kAt);
  SriovCapability cap(cs, kAt);
  cap.SetCapabilities(SriovCapability::kCapAriPreserved);
  cap.SetControl(0);
  cap.SetStatus(0);
  cap.SetInitialVfs(8);
  cap.SetTotalVfs(8);
  cap.SetNumVfs(0);
  cap.SetFunctionDependencyLink(0);
  cap.SetFirstVfOffset(384);
  cap.SetVfStride(4);
  cap.SetVfDeviceId(0x1520);
  cap.SetSupportedPageSizes(0x553);
  cap.SetSystemPageSize(0x1);
  cap.SetBar(0, 0xa0180000 | 0xc);
  cap.SetBar(1, 0);
  cap.SetBar(3, 0xa01a0000 | 0xc);
  cap.SetBar(4, 0);
  cap.SetVfMigrationState(0);
  for (size_t i = 0; i < kI350.size(); ++i)
    EXPECT_EQ(cs.Read8(kAt + 4 + i), kI350[i]) << "at capability offset 0x" << std::hex << 4 + i;
  EXPECT_EQ(cs.Read32(kAt), 0x00010010u);  // header: SR-IOV, version 1, last capability
  EXPECT_EQ(cs.Read32(kAt + SriovCapability::kSizeof), 0u);  // nothing written past 0x40
}

TEST(SriovCapability, HostWritesGoThroughTheMasks) {
  ConfigSpace cs;
  SriovCapability cap(cs, kAt);
  cap.SetTotalVfs(8);
  cap.SetControlWriteMask(SriovCapability::kCtrlVfe | SriovCapability::kCtrlMse |
                          SriovCapability::kCtrlAri);
  cap.SetSystemPageSizeWriteMask(0x553);
  cap.SetNumVfsWritable(true);
  EXPECT_TRUE(cap.num_vfs_writable());
  cap.WriteControl(0xffff);
  EXPECT_EQ(cap.control(), 0x0019);  // VF Migration (Interrupt) Enable are RO 0
  cap.WriteNumVfs(5);
  EXPECT_EQ(cap.num_vfs(), 5);
  cap.SetNumVfsWritable(false);
  EXPECT_FALSE(cap.num_vfs_writable());
  cap.WriteNumVfs(2);
  EXPECT_EQ(cap.num_vfs(), 5);
  cap.WriteSystemPageSize(0xffffffff);
  EXPECT_EQ(cap.system_page_size(), 0x553u);
  cs.HostWrite(kAt + SriovCapability::kTotalVfs, 100, 2);  // TotalVFs is RO
  EXPECT_EQ(cap.total_vfs(), 8);
}

TEST(SriovCapability, VfBarSizingReadsBackTheSize) {
  // A 16 KiB 64-bit prefetchable VF BAR: writing all ones reads back ~(16K-1) | type.
  ConfigSpace cs;
  SriovCapability cap(cs, kAt);
  cap.SetBar(0, 0xa018000c);
  cap.SetBarWriteMask(0, ~(0x4000u - 1) & ~0xfu);
  cap.SetBarWriteMask(1, 0xffffffff);
  cap.WriteBar(0, 0xffffffff);
  EXPECT_EQ(cap.bar(0), 0xffffc00cu);
  cap.WriteBar(0, 0xa0180000);
  EXPECT_EQ(cap.bar(0), 0xa018000cu);
  cap.WriteBar(1, 0x12345678);
  EXPECT_EQ(cap.bar(1), 0x12345678u);
}

// Reference §1.4 vectors: the lowest supported page size not below the host's pages.
TEST(ChooseSystemPageSize, ReferenceVectors) {
  EXPECT_EQ(ChooseSystemPageSize(0x553, 12), 0x1u);   // 4K host
  EXPECT_EQ(ChooseSystemPageSize(0x553, 16), 0x10u);  // 64K host
  EXPECT_EQ(ChooseSystemPageSize(0x1, 16), 0u);       // none fits: Linux -EIO
  EXPECT_EQ(ChooseSystemPageSize(0x7ff, 12), 0x1u);   // mlx5, 4K host
}

TEST(ChooseSystemPageSize, MoreCases) {
  EXPECT_EQ(ChooseSystemPageSize(0x552, 12), 0x2u);   // no 4K: 8K
  EXPECT_EQ(ChooseSystemPageSize(0x553, 13), 0x2u);   // 8K host
  EXPECT_EQ(ChooseSystemPageSize(0x553, 14), 0x10u);  // 16K host: 16K, 32K unsupported
  EXPECT_EQ(ChooseSystemPageSize(0x7ff, 16), 0x10u);
  EXPECT_EQ(ChooseSystemPageSize(0, 12), 0u);
  EXPECT_EQ(ChooseSystemPageSize(0x80000000, 43), 0x80000000u);
  EXPECT_EQ(ChooseSystemPageSize(0xffffffff, 44), 0u);  // past bit 31
}

}  // namespace
}  // namespace softvf
