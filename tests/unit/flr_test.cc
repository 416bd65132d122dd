// Function Level Reset through PCIe Device Control (bit 15, Initiate FLR): an FLR of a PF
// disables its VFs, like a conventional reset (SR-IOV 1.1 2.2.2).
#include <gtest/gtest.h>

#include <vector>

#include "pci/capabilities.h"
#include "sriov/sysfs.h"
#include "test_profiles.h"

namespace softvf {
namespace {

using testing::Builtin;
using testing::TestPf;

TEST(FunctionLevelReset, InitiateFlrDisablesVfsAndReadsZero) {
  DeviceProfile i350 = Builtin("i350");
  TestPf pf(i350, Bdf(0, 0x31, 0, 1), 2);
  ASSERT_TRUE(pf.init.ok());
  ASSERT_TRUE(SysfsWrite(*pf, "sriov_numvfs", "7").ok());
  ASSERT_EQ(pf->enabled_vf_count(), 7);
  uint16_t devctl = i350.caps.pcie + 8;
  ASSERT_EQ(FindCapability(pf->config(), pci::kCapIdExp), i350.caps.pcie);

  pf->ConfigWrite(devctl, 0x8000, 2);

  EXPECT_EQ(pf->enabled_vf_count(), 0);
  EXPECT_FALSE(pf->sriov().vf_enable());
  EXPECT_EQ(pf->sriov().num_vfs(), 0);
  EXPECT_EQ(pf->host().num_vfs, 0);
  EXPECT_FALSE(pf->vfs()[0].enabled());
  EXPECT_EQ(pf->config().Read16(devctl) & 0x8000, 0);  // the bit always reads 0
  // The PF can be configured again after the reset.
  EXPECT_TRUE(SysfsWrite(*pf, "sriov_numvfs", "3").ok());
  EXPECT_EQ(pf->enabled_vf_count(), 3);
}

TEST(FunctionLevelReset, ByteWriteOfTheHighByteAlsoResets) {
  DeviceProfile i350 = Builtin("i350");
  TestPf pf(i350, Bdf(0, 0x31, 0, 1), 2);
  ASSERT_TRUE(SysfsWrite(*pf, "sriov_numvfs", "2").ok());
  pf->ConfigWrite(i350.caps.pcie + 9, 0x80, 1);
  EXPECT_EQ(pf->enabled_vf_count(), 0);
}

TEST(FunctionLevelReset, OtherDeviceControlBitsDoNotReset) {
  DeviceProfile i350 = Builtin("i350");
  TestPf pf(i350, Bdf(0, 0x31, 0, 1), 2);
  ASSERT_TRUE(SysfsWrite(*pf, "sriov_numvfs", "2").ok());
  pf->ConfigWrite(i350.caps.pcie + 8, 0x2810, 2);  // MaxReadReq, RlxdOrd, ExtTag...
  EXPECT_EQ(pf->enabled_vf_count(), 2);
  EXPECT_EQ(pf->config().Read16(i350.caps.pcie + 8), 0x2810);
}

// fuzz/corpus/config_space/regress-configwrite-wide-width: a write wider than 4 bytes
// that covers the FLR byte shifted the value by 32 bits or more (undefined behaviour)
// before ConfigSpace could drop it. Such writes do nothing, as ConfigSpace::HostWrite.
TEST(FunctionLevelReset, WritesOfOtherWidthsAreIgnored) {
  DeviceProfile i350 = Builtin("i350");
  TestPf pf(i350, Bdf(0, 0x31, 0, 1), 2);
  ASSERT_TRUE(SysfsWrite(*pf, "sriov_numvfs", "2").ok());
  const uint32_t devctl = i350.caps.pcie + 8u;
  const auto before = std::vector<uint8_t>(pf->config().bytes().begin(), pf->config().bytes().end());
  for (unsigned width : {0u, 3u, 5u, 8u, 1024u}) {
    pf->ConfigWrite(devctl - 4, 0xffffffff, width);
    pf->ConfigWrite(devctl, 0xffffffff, width);
  }
  EXPECT_EQ(pf->enabled_vf_count(), 2);
  EXPECT_EQ(std::vector<uint8_t>(pf->config().bytes().begin(), pf->config().bytes().end()), before);
}

TEST(FunctionLevelReset, IgnoredByAFunctionWithoutFlr) {
  DeviceProfile i350 = Builtin("i350");
  i350.flr = false;
  TestPf pf(i350, Bdf(0, 0x31, 0, 1), 2);
  ASSERT_TRUE(SysfsWrite(*pf, "sriov_numvfs", "2").ok());
  pf->ConfigWrite(i350.caps.pcie + 8, 0x8000, 2);
  EXPECT_EQ(pf->enabled_vf_count(), 2);
}

}  // namespace
}  // namespace softvf
