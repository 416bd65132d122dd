#include "pci/config_space.h"

namespace softvf {

uint8_t ConfigSpace::Read8(uint32_t offset) const {
  return InRange(offset, 1) ? bytes_[offset] : 0xff;
}

uint16_t ConfigSpace::Read16(uint32_t offset) const {
  if (!InRange(offset, 2)) return 0xffff;
  return static_cast<uint16_t>(bytes_[offset] | (bytes_[offset + 1] << 8));
}

uint32_t ConfigSpace::Read32(uint32_t offset) const {
  if (!InRange(offset, 4)) return 0xffffffff;
  return uint32_t{bytes_[offset]} | (uint32_t{bytes_[offset + 1]} << 8) |
         (uint32_t{bytes_[offset + 2]} << 16) | (uint32_t{bytes_[offset + 3]} << 24);
}

void ConfigSpace::HostWrite(uint32_t offset, uint32_t value, unsigned width) {
  if ((width != 1 && width != 2 && width != 4) || !InRange(offset, width)) return;
  for (unsigned i = 0; i < width; ++i) {
    uint8_t in = static_cast<uint8_t>(value >> (8 * i));
    uint32_t at = offset + i;
    uint8_t wm = wmask_[at];
    uint8_t w1c = w1cmask_[at];
    bytes_[at] = static_cast<uint8_t>((bytes_[at] & ~wm) | (in & wm));
    bytes_[at] = static_cast<uint8_t>(bytes_[at] & ~(in & w1c));
  }
}

void ConfigSpace::Set8(uint32_t offset, uint8_t value) {
  if (InRange(offset, 1)) bytes_[offset] = value;
}
void ConfigSpace::Set16(uint32_t offset, uint16_t value) {
  Set8(offset, static_cast<uint8_t>(value));
  Set8(offset + 1, static_cast<uint8_t>(value >> 8));
}
void ConfigSpace::Set32(uint32_t offset, uint32_t value) {
  Set16(offset, static_cast<uint16_t>(value));
  Set16(offset + 2, static_cast<uint16_t>(value >> 16));
}
void ConfigSpace::SetWriteMask8(uint32_t offset, uint8_t mask) {
  if (InRange(offset, 1)) wmask_[offset] = mask;
}
void ConfigSpace::SetWriteMask16(uint32_t offset, uint16_t mask) {
  SetWriteMask8(offset, static_cast<uint8_t>(mask));
  SetWriteMask8(offset + 1, static_cast<uint8_t>(mask >> 8));
}
void ConfigSpace::SetWriteMask32(uint32_t offset, uint32_t mask) {
  SetWriteMask16(offset, static_cast<uint16_t>(mask));
  SetWriteMask16(offset + 2, static_cast<uint16_t>(mask >> 16));
}
void ConfigSpace::SetW1cMask16(uint32_t offset, uint16_t mask) {
  if (!InRange(offset, 2)) return;
  w1cmask_[offset] = static_cast<uint8_t>(mask);
  w1cmask_[offset + 1] = static_cast<uint8_t>(mask >> 8);
}

}  // namespace softvf
