// The sriov_* sysfs attributes with Linux's semantics (reference §2.1-§2.3,
// drivers/pci/iov.c sriov_numvfs_store, lib/kstrtox.c): read formats, the errno of
// every write in Linux's decision order, and the §2.3 test-vector table row by row.
#include "sriov/sysfs.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "test_profiles.h"

namespace softvf {
namespace {

using testing::Builtin;
using testing::TestPf;

// QEMU's igb (reference §1.3/§2.3): TotalVFs 8, offset 0x80, stride 2, VF device 0x10ca,
// bound to a driver with pci_sriov_configure_simple semantics (no driver VF limit).
DeviceProfile QemuIgb() {
  DeviceProfile p = Builtin("i350");
  p.ports = 1;
  p.vf_device_id = 0x10ca;
  p.sriov.first_vf_offset = p.sriov.ari_first_vf_offset = 0x80;
  p.sriov.vf_stride = p.sriov.ari_vf_stride = 2;
  p.driver.max_vfs = 0;
  return p;
}

const Bdf kQemuPf(0, 0x01, 0, 0);

std::string Read(const PhysicalFunction& pf, const char* attr) {
  Result<std::string> r = SysfsRead(pf, attr);
  return r.ok() ? r.value() : "errno " + std::to_string(r.status().errnum());
}

std::vector<std::string> VirtfnLinks(const PhysicalFunction& pf) {
  std::vector<std::string> out;
  for (const VirtualFunction& vf : pf.vfs())
    if (vf.enabled())
      out.push_back("virtfn" + std::to_string(vf.index()) + " -> ../" + vf.bdf().ToString());
  return out;
}

class SysfsTable : public ::testing::Test {
 protected:
  DeviceProfile profile_ = QemuIgb();
  TestPf pf_{profile_, kQemuPf};
  PhysicalFunction& pf() { return *pf_; }
  int Write(const char* value) { return SysfsWrite(pf(), "sriov_numvfs", value).errnum(); }
  std::string NumVfs() { return Read(pf(), "sriov_numvfs"); }
};

// §2.3 row 1: 0 -> "4\n" succeeds, virtfn0..virtfn3 appear.
TEST_F(SysfsTable, Row1EnableFour) {
  EXPECT_EQ(Write("4\n"), 0);
  EXPECT_EQ(NumVfs(), "4\n");
  EXPECT_EQ(VirtfnLinks(pf()),
            (std::vector<std::string>{"virtfn0 -> ../0000:01:10.0", "virtfn1 -> ../0000:01:10.2",
                                      "virtfn2 -> ../0000:01:10.4", "virtfn3 -> ../0000:01:10.6"}));
}

// Row 2: 4 -> "4" is a successful no-op.
TEST_F(SysfsTable, Row2SameValueIsNoOp) {
  ASSERT_EQ(Write("4"), 0);
  const VirtualFunction* vf0 = &pf().vfs()[0];
  pf().vfs()[0].settings().vlan = 7;  // survives: nothing was re-created
  EXPECT_EQ(Write("4"), 0);
  EXPECT_EQ(NumVfs(), "4\n");
  EXPECT_EQ(&pf().vfs()[0], vf0);
  EXPECT_EQ(pf().vfs()[0].settings().vlan, 7);
}

// Row 3: 4 -> "2" is EBUSY, with the kernel's log line as the message.
TEST_F(SysfsTable, Row3ChangingNonZeroIsEbusy) {
  ASSERT_EQ(Write("4"), 0);
  Status st = SysfsWrite(pf(), "sriov_numvfs", "2");
  EXPECT_EQ(st.errnum(), EBUSY);
  EXPECT_EQ(st.message(), "4 VFs already enabled. Disable before enabling 2 VFs");
  EXPECT_EQ(NumVfs(), "4\n");
}

// Row 4: 4 -> "0" disables, virtfn* removed.
TEST_F(SysfsTable, Row4ZeroDisables) {
  ASSERT_EQ(Write("4"), 0);
  EXPECT_EQ(Write("0"), 0);
  EXPECT_EQ(NumVfs(), "0\n");
  EXPECT_TRUE(VirtfnLinks(pf()).empty());
  EXPECT_FALSE(pf().sriov().vf_enable());
  EXPECT_EQ(pf().sriov().num_vfs(), 0);
}

// Row 5: "9" with TotalVFs 8 is ERANGE.
TEST_F(SysfsTable, Row5AboveTotalIsErange) {
  EXPECT_EQ(Write("9"), ERANGE);
  EXPECT_EQ(NumVfs(), "0\n");
}

// Row 6: "65536" is EINVAL on kernels since mid-2021 (every parse error is -EINVAL).
TEST_F(SysfsTable, Row6TooBigForU16IsEinval) {
  EXPECT_EQ(Write("65536"), EINVAL);
  EXPECT_EQ(NumVfs(), "0\n");
}

// Row 7: "abc", "-1", " 4" are EINVAL.
TEST_F(SysfsTable, Row7GarbageIsEinval) {
  for (const char* bad : {"abc", "-1", " 4", "", "4 ", "4\n\n", "0x", "08", "4x"})
    EXPECT_EQ(Write(bad), EINVAL) << "\"" << bad << "\"";
  EXPECT_EQ(NumVfs(), "0\n");
}

// Row 8: "0x4" is hex 4.
TEST_F(SysfsTable, Row8HexPrefix) {
  EXPECT_EQ(Write("0x4"), 0);
  EXPECT_EQ(NumVfs(), "4\n");
}

// Row 9: "010" is octal 8.
TEST_F(SysfsTable, Row9LeadingZeroIsOctal) {
  EXPECT_EQ(Write("010"), 0);
  EXPECT_EQ(NumVfs(), "8\n");
}

// Row 10: no driver bound: "4" is ENOENT with the kernel's log line.
TEST_F(SysfsTable, Row10NoDriverIsEnoent) {
  pf().host().driver.clear();
  Status st = SysfsWrite(pf(), "sriov_numvfs", "4");
  EXPECT_EQ(st.errnum(), ENOENT);
  EXPECT_EQ(st.message(), "no driver bound to device; cannot configure SR-IOV");
  EXPECT_EQ(NumVfs(), "0\n");
}

// Row 11: no driver bound: "0" succeeds (the no-op check precedes the driver check).
TEST_F(SysfsTable, Row11NoDriverZeroIsOk) {
  pf().host().driver.clear();
  EXPECT_EQ(Write("0"), 0);
}

// Row 12: the driver lowered TotalVFs to 4: "5" is ERANGE and sriov_totalvfs reads 4.
TEST_F(SysfsTable, Row12DriverTotalVfs) {
  ASSERT_TRUE(pf().SetDriverTotalVfs(4).ok());
  EXPECT_EQ(Read(pf(), "sriov_totalvfs"), "4\n");
  EXPECT_EQ(Write("5"), ERANGE);
  EXPECT_EQ(Write("4"), 0);
}

// Row 13: VFs assigned to a guest: "0" is EPERM (pci_sriov_configure_simple).
TEST_F(SysfsTable, Row13AssignedVfsAreEperm) {
  ASSERT_EQ(Write("2"), 0);
  pf().vfs()[1].Bind(Binding::kConsumer, "vm1");
  Status st = SysfsWrite(pf(), "sriov_numvfs", "0");
  EXPECT_EQ(st.errnum(), EPERM);
  EXPECT_EQ(st.message(), "Cannot modify SR-IOV while VFs are assigned");
  EXPECT_EQ(NumVfs(), "2\n");
  EXPECT_EQ(pf().enabled_vf_count(), 2);
}

// Row 14: sriov_drivers_autoprobe <- "x" is EINVAL.
TEST_F(SysfsTable, Row14AutoprobeGarbageIsEinval) {
  EXPECT_EQ(SysfsWrite(pf(), "sriov_drivers_autoprobe", "x").errnum(), EINVAL);
  EXPECT_EQ(Read(pf(), "sriov_drivers_autoprobe"), "1\n");
}

// ---- decision order (§2.2)

TEST_F(SysfsTable, ErangeIsCheckedBeforeTheDriverAndTheNoOp) {
  pf().host().driver.clear();
  EXPECT_EQ(Write("9"), ERANGE);
  EXPECT_EQ(Write("x"), EINVAL);
}

TEST_F(SysfsTable, EbusyIsCheckedBeforeTheDriversAssignedCheck) {
  ASSERT_EQ(Write("2"), 0);
  pf().vfs()[0].Bind(Binding::kConsumer, "vm1");
  EXPECT_EQ(Write("3"), EBUSY);
  EXPECT_EQ(Write("2"), 0);  // no-op precedes everything
}

TEST_F(SysfsTable, EnableErrorsOfTheDeviceComeThrough) {
  IovEnvironment env;
  env.bus_end = 0x01;
  DeviceProfile far = QemuIgb();
  far.sriov.first_vf_offset = far.sriov.ari_first_vf_offset = 0x100;  // next bus
  TestPf pf(far, kQemuPf, 1, env);
  Status st = SysfsWrite(*pf, "sriov_numvfs", "1");
  EXPECT_EQ(st.errnum(), ENOMEM);
  EXPECT_EQ(st.message(), "can't enable 1 VFs (bus 02 out of range of [bus 01])");
  EXPECT_EQ(Read(*pf, "sriov_numvfs"), "0\n");
}

// ---- read formats (§2.1)

TEST_F(SysfsTable, ReadFormatsOfQemuIgb) {
  EXPECT_EQ(Read(pf(), "sriov_totalvfs"), "8\n");
  EXPECT_EQ(Read(pf(), "sriov_numvfs"), "0\n");
  EXPECT_EQ(Read(pf(), "sriov_offset"), "128\n");  // decimal
  EXPECT_EQ(Read(pf(), "sriov_stride"), "2\n");
  EXPECT_EQ(Read(pf(), "sriov_vf_device"), "10ca\n");  // %x: lower case, no 0x, no padding
  EXPECT_EQ(Read(pf(), "sriov_drivers_autoprobe"), "1\n");
  EXPECT_EQ(Read(pf(), "sriov_vf_total_msix"), "0\n");
}

TEST(SysfsRead, VfDeviceIsNotZeroPadded) {
  DeviceProfile p = QemuIgb();
  p.vf_device_id = 0x00ab;
  TestPf pf(p, kQemuPf);
  EXPECT_EQ(Read(*pf, "sriov_vf_device"), "ab\n");
}

TEST(SysfsRead, BuiltinProfiles) {
  struct Case {
    const char* profile;
    Bdf bdf;
    const char *total, *offset, *stride, *device;
  };
  for (const Case& c : {Case{"i350", Bdf(0, 0x31, 0, 1), "7\n", "128\n", "4\n", "1520\n"},
                        Case{"82599", Bdf(0, 0x05, 0, 0), "63\n", "128\n", "2\n", "10ed\n"},
                        Case{"cx6dx", Bdf(0, 0x3b, 0, 0), "127\n", "2\n", "1\n", "101e\n"},
                        Case{"virtio-net", Bdf(0, 0x07, 0, 0), "16\n", "1\n", "1\n", "1041\n"}}) {
    DeviceProfile p = Builtin(c.profile);
    TestPf pf(p, c.bdf, p.ports);
    ASSERT_TRUE(pf.init.ok()) << c.profile;
    EXPECT_EQ(Read(*pf, "sriov_totalvfs"), c.total) << c.profile;
    EXPECT_EQ(Read(*pf, "sriov_offset"), c.offset) << c.profile;
    EXPECT_EQ(Read(*pf, "sriov_stride"), c.stride) << c.profile;
    EXPECT_EQ(Read(*pf, "sriov_vf_device"), c.device) << c.profile;
  }
}

TEST(SysfsAttributes, NamesInListingOrder) {
  EXPECT_EQ(SriovAttributeNames(),
            (std::vector<std::string>{"sriov_totalvfs", "sriov_numvfs", "sriov_offset",
                                      "sriov_stride", "sriov_vf_device", "sriov_drivers_autoprobe",
                                      "sriov_vf_total_msix"}));
}

// ---- the I350 and igb's limit of 7

class I350Sysfs : public ::testing::Test {
 protected:
  DeviceProfile profile_ = Builtin("i350");
  TestPf pf_{profile_, Bdf(0, 0x31, 0, 1), 2};
  int Write(const char* value) { return SysfsWrite(*pf_, "sriov_numvfs", value).errnum(); }
};

TEST_F(I350Sysfs, TotalVfsReadsTheDriversSeven) {
  EXPECT_EQ(pf_->sriov().total_vfs(), 8);  // the register says 8
  EXPECT_EQ(Read(*pf_, "sriov_totalvfs"), "7\n");
}

TEST_F(I350Sysfs, EightIsErange) {
  EXPECT_EQ(Write("8"), ERANGE);
}

TEST_F(I350Sysfs, SevenThenThreeIsEbusySameIsNoOpZeroDisables) {
  EXPECT_EQ(Write("7"), 0);
  EXPECT_EQ(Read(*pf_, "sriov_numvfs"), "7\n");
  EXPECT_EQ(pf_->enabled_vf_count(), 7);
  EXPECT_EQ(Write("3"), EBUSY);
  EXPECT_EQ(Write("7"), 0);
  EXPECT_EQ(Write("0"), 0);
  EXPECT_EQ(Read(*pf_, "sriov_numvfs"), "0\n");
  EXPECT_EQ(pf_->enabled_vf_count(), 0);
}

// ---- attributes that do not take writes, or do not exist

TEST_F(I350Sysfs, WritingAReadOnlyAttributeIsEacces) {
  for (const char* ro :
       {"sriov_totalvfs", "sriov_offset", "sriov_stride", "sriov_vf_device", "sriov_vf_total_msix"})
    EXPECT_EQ(SysfsWrite(*pf_, ro, "1").errnum(), EACCES) << ro;
}

TEST_F(I350Sysfs, UnknownAttributeIsEnoent) {
  EXPECT_EQ(SysfsRead(*pf_, "sriov_bogus").status().errnum(), ENOENT);
  EXPECT_EQ(SysfsWrite(*pf_, "sriov_bogus", "1").errnum(), ENOENT);
  EXPECT_EQ(SysfsRead(*pf_, "").status().errnum(), ENOENT);
}

TEST(SysfsNotAPf, AttributesAreAbsentWhenSriovInitFailed) {
  DeviceProfile p = Builtin("i350");
  p.sriov.first_vf_offset = p.sriov.ari_first_vf_offset = 0;  // sriov_init: -EIO
  TestPf pf(p, Bdf(0, 0x31, 0, 0), 2);
  ASSERT_EQ(pf.init.errnum(), EIO);
  for (const std::string& attr : SriovAttributeNames()) {
    EXPECT_EQ(SysfsRead(*pf, attr).status().errnum(), ENOENT) << attr;
    EXPECT_EQ(SysfsWrite(*pf, attr, "0").errnum(), ENOENT) << attr;
  }
}

// ---- sriov_drivers_autoprobe

TEST_F(SysfsTable, AutoprobeOffLeavesNewVfsUnbound) {
  EXPECT_EQ(SysfsWrite(pf(), "sriov_drivers_autoprobe", "0").errnum(), 0);
  EXPECT_EQ(Read(pf(), "sriov_drivers_autoprobe"), "0\n");
  ASSERT_EQ(Write("2"), 0);
  EXPECT_EQ(pf().vfs()[0].binding(), Binding::kUnbound);
  ASSERT_EQ(Write("0"), 0);
  EXPECT_EQ(SysfsWrite(pf(), "sriov_drivers_autoprobe", "on\n").errnum(), 0);
  EXPECT_EQ(Read(pf(), "sriov_drivers_autoprobe"), "1\n");
  ASSERT_EQ(Write("2"), 0);
  EXPECT_EQ(pf().vfs()[0].binding(), Binding::kHostDriver);
}

// ---- the parsers (lib/kstrtox.c)

int U16Errno(const char* s) {
  return KstrToU16(s).status().errnum();
}

TEST(KstrToU16, Base0Prefixes) {
  EXPECT_EQ(KstrToU16("0x4").value(), 4);
  EXPECT_EQ(KstrToU16("0X1f").value(), 31);
  EXPECT_EQ(KstrToU16("010").value(), 8);
  EXPECT_EQ(KstrToU16("0").value(), 0);
  EXPECT_EQ(KstrToU16("00").value(), 0);
  EXPECT_EQ(KstrToU16("65535").value(), 65535);
  EXPECT_EQ(KstrToU16("0xffff").value(), 65535);
  EXPECT_EQ(KstrToU16("0177777").value(), 65535);
}

TEST(KstrToU16, OnePlusAndOneTrailingNewline) {
  EXPECT_EQ(KstrToU16("+4").value(), 4);
  EXPECT_EQ(KstrToU16("4\n").value(), 4);
  EXPECT_EQ(KstrToU16("+0x10\n").value(), 16);
  EXPECT_EQ(KstrToU16("0\n").value(), 0);
  EXPECT_EQ(U16Errno("++4"), EINVAL);
  EXPECT_EQ(U16Errno("4\n\n"), EINVAL);
  EXPECT_EQ(U16Errno("\n"), EINVAL);
  EXPECT_EQ(U16Errno("+"), EINVAL);
}

TEST(KstrToU16, Einval) {
  for (const char* bad : {" 4", "-1", "abc", "", "4 ", "0x", "0xg", "08", "09", "1a", "0x4\n "})
    EXPECT_EQ(U16Errno(bad), EINVAL) << "\"" << bad << "\"";
}

TEST(KstrToU16, Erange) {
  EXPECT_EQ(U16Errno("65536"), ERANGE);
  EXPECT_EQ(U16Errno("0x10000"), ERANGE);
  EXPECT_EQ(U16Errno("99999999999999999999999"), ERANGE);  // u64 overflow
}

TEST(KstrToU16, TrailingGarbageWinsOverU16Range) {
  // _kstrtoull fails on the garbage before kstrtou16 looks at the range.
  EXPECT_EQ(U16Errno("99999x"), EINVAL);
  EXPECT_EQ(U16Errno("65536 "), EINVAL);
  // ... but a u64 overflow is reported before the garbage.
  EXPECT_EQ(U16Errno("99999999999999999999999x"), ERANGE);
}

TEST(KstrToBool, AcceptedSpellings) {
  for (const char* t : {"y", "Y", "yes", "t", "T", "true", "1", "1abc", "on", "ON", "oN"})
    EXPECT_TRUE(KstrToBool(t).value()) << t;
  for (const char* f : {"n", "N", "no", "f", "F", "false", "0", "off", "OFF", "of"})
    EXPECT_FALSE(KstrToBool(f).value()) << f;
}

TEST(KstrToBool, Rejected) {
  for (const char* bad : {"", "x", "2", " 1", "o", "ox", "-1", "\n"})
    EXPECT_EQ(KstrToBool(bad).status().errnum(), EINVAL) << "\"" << bad << "\"";
}

}  // namespace
}  // namespace softvf
