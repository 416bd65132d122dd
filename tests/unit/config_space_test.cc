// ConfigSpace: per-byte write masks, write-1-to-clear bits, little-endian widths, and
// all-ones reads outside the 4 KiB space (QEMU hw/pci/pci.c pci_default_write_config).
#include "pci/config_space.h"

#include <gtest/gtest.h>

namespace softvf {
namespace {

TEST(ConfigSpace, FreshSpaceReadsZeroAndIsReadOnly) {
  ConfigSpace cs;
  EXPECT_EQ(cs.Read32(0), 0u);
  EXPECT_EQ(cs.Read32(0xffc), 0u);
  cs.HostWrite(0x10, 0xffffffff, 4);
  EXPECT_EQ(cs.Read32(0x10), 0u);
  EXPECT_EQ(cs.WriteMask8(0x10), 0);
}

TEST(ConfigSpace, ReadsAreLittleEndian) {
  ConfigSpace cs;
  cs.Set32(0x20, 0x11223344);
  EXPECT_EQ(cs.Read8(0x20), 0x44);
  EXPECT_EQ(cs.Read8(0x21), 0x33);
  EXPECT_EQ(cs.Read8(0x22), 0x22);
  EXPECT_EQ(cs.Read8(0x23), 0x11);
  EXPECT_EQ(cs.Read16(0x20), 0x3344);
  EXPECT_EQ(cs.Read16(0x22), 0x1122);
  EXPECT_EQ(cs.Read16(0x21), 0x2233);  // unaligned reads are byte-exact too
  EXPECT_EQ(cs.Read32(0x20), 0x11223344u);
  EXPECT_EQ(cs.bytes()[0x23], 0x11);
}

TEST(ConfigSpace, HostWriteKeepsBitsOutsideTheMask) {
  ConfigSpace cs;
  cs.Set16(0x04, 0xa5a5);
  cs.SetWriteMask16(0x04, 0x0ff0);
  cs.HostWrite(0x04, 0x5a5a, 2);
  // (old & ~mask) | (new & mask) = 0xa005 | 0x0a50
  EXPECT_EQ(cs.Read16(0x04), 0xaa55);
  cs.HostWrite(0x04, 0x0000, 2);
  EXPECT_EQ(cs.Read16(0x04), 0xa005);
}

TEST(ConfigSpace, HostWriteWidthsTouchOnlyTheirBytes) {
  ConfigSpace cs;
  cs.SetWriteMask32(0x40, 0xffffffff);
  cs.HostWrite(0x40, 0xdeadbeef, 4);
  EXPECT_EQ(cs.Read32(0x40), 0xdeadbeefu);
  cs.HostWrite(0x41, 0x1234, 2);  // bytes 0x41, 0x42
  EXPECT_EQ(cs.Read32(0x40), 0xde1234efu);
  cs.HostWrite(0x43, 0xffffff00, 1);  // only the low byte of the value is written
  EXPECT_EQ(cs.Read32(0x40), 0x001234efu);
}

TEST(ConfigSpace, HostWriteWithInvalidWidthIsDropped) {
  ConfigSpace cs;
  cs.SetWriteMask32(0x40, 0xffffffff);
  cs.HostWrite(0x40, 0xffffffff, 3);
  cs.HostWrite(0x40, 0xffffffff, 0);
  cs.HostWrite(0x40, 0xffffffff, 8);
  EXPECT_EQ(cs.Read32(0x40), 0u);
}

TEST(ConfigSpace, W1cBitsClearOnlyWhereOnesAreWritten) {
  ConfigSpace cs;
  // A status register: bits 15 and 3 are RW1C, bits 1..0 plain RW, the rest RO.
  cs.Set16(0x06, 0x8018);
  cs.SetWriteMask16(0x06, 0x0003);
  cs.SetW1cMask16(0x06, 0x8008);
  cs.HostWrite(0x06, 0x0000, 2);  // writing 0 clears nothing
  EXPECT_EQ(cs.Read16(0x06), 0x8018);
  cs.HostWrite(0x06, 0x0010, 2);  // RO bit 4: a 1 neither sets nor clears it
  EXPECT_EQ(cs.Read16(0x06), 0x8018);
  cs.HostWrite(0x06, 0x8000, 2);
  EXPECT_EQ(cs.Read16(0x06), 0x0018);
  cs.HostWrite(0x06, 0x0009, 2);  // clears bit 3, sets RW bit 0
  EXPECT_EQ(cs.Read16(0x06), 0x0011);
  cs.HostWrite(0x06, 0x8009, 2);  // clearing already clear bits is harmless
  EXPECT_EQ(cs.Read16(0x06), 0x0011);
  cs.HostWrite(0x06, 0x8008, 2);  // RW bit 0 takes the written 0
  EXPECT_EQ(cs.Read16(0x06), 0x0010);
}

TEST(ConfigSpace, W1cWithByteWriteToTheHighByte) {
  ConfigSpace cs;
  cs.Set16(0x06, 0x8000);
  cs.SetW1cMask16(0x06, 0x8000);
  cs.HostWrite(0x06, 0x80, 1);  // low byte: bit 7 of byte 0x06 is not W1C
  EXPECT_EQ(cs.Read16(0x06), 0x8000);
  cs.HostWrite(0x07, 0x80, 1);
  EXPECT_EQ(cs.Read16(0x06), 0x0000);
}

TEST(ConfigSpace, OutOfRangeReadsReturnAllOnes) {
  ConfigSpace cs;
  cs.Set32(0xffc, 0);
  EXPECT_EQ(cs.Read8(0xfff), 0x00);
  EXPECT_EQ(cs.Read8(0x1000), 0xff);
  EXPECT_EQ(cs.Read16(0xffe), 0x0000);
  EXPECT_EQ(cs.Read16(0xfff), 0xffff);  // straddles the end
  EXPECT_EQ(cs.Read16(0x1000), 0xffff);
  EXPECT_EQ(cs.Read32(0xffc), 0u);
  EXPECT_EQ(cs.Read32(0xffd), 0xffffffffu);
  EXPECT_EQ(cs.Read32(0xffffffff), 0xffffffffu);  // no wrap-around
}

TEST(ConfigSpace, OutOfRangeWritesAreDroppedWhole) {
  ConfigSpace cs;
  cs.SetWriteMask32(0xffc, 0xffffffff);
  cs.HostWrite(0xffe, 0xffffffff, 4);  // would straddle the end: nothing is written
  EXPECT_EQ(cs.Read32(0xffc), 0u);
  cs.HostWrite(0xffe, 0xabcd, 2);
  EXPECT_EQ(cs.Read32(0xffc), 0xabcd0000u);
  cs.Set8(0x1000, 0x55);  // device-side setters ignore out-of-range offsets too
  cs.SetWriteMask8(0x1000, 0xff);
  EXPECT_EQ(cs.WriteMask8(0x1000), 0);
}

TEST(ConfigSpace, DeviceSettersIgnoreWriteMasks) {
  ConfigSpace cs;
  cs.SetWriteMask16(0x00, 0x0000);
  cs.Set16(0x00, 0x8086);
  EXPECT_EQ(cs.Read16(0x00), 0x8086);
  cs.HostWrite(0x00, 0xffff, 2);
  EXPECT_EQ(cs.Read16(0x00), 0x8086);
}

}  // namespace
}  // namespace softvf
