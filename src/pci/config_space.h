// ConfigSpace: the 4 KiB PCI Express configuration space of one function.
//
// Every byte has a write mask (bits the host may change) and a write-1-to-clear mask,
// as QEMU's hw/pci/pci.c keeps them. Host writes go through the masks; the device model
// initialises registers with the unmasked Set* calls. Reads outside the space return
// all ones, as a master abort does.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace softvf {

class ConfigSpace {
 public:
  static constexpr uint32_t kSize = 4096;

  uint8_t Read8(uint32_t offset) const;
  uint16_t Read16(uint32_t offset) const;
  uint32_t Read32(uint32_t offset) const;

  // A host (driver) write of 1, 2 or 4 bytes, little-endian, through the masks.
  // Writes that do not fit inside the space are dropped, as hardware ignores them.
  void HostWrite(uint32_t offset, uint32_t value, unsigned width);

  // Device-side initialisation: sets bytes regardless of masks.
  void Set8(uint32_t offset, uint8_t value);
  void Set16(uint32_t offset, uint16_t value);
  void Set32(uint32_t offset, uint32_t value);
  void SetWriteMask8(uint32_t offset, uint8_t mask);
  void SetWriteMask16(uint32_t offset, uint16_t mask);
  void SetWriteMask32(uint32_t offset, uint32_t mask);
  void SetW1cMask16(uint32_t offset, uint16_t mask);
  uint8_t WriteMask8(uint32_t offset) const { return InRange(offset, 1) ? wmask_[offset] : 0; }

  std::span<const uint8_t, kSize> bytes() const { return bytes_; }

 private:
  static bool InRange(uint32_t offset, unsigned width) {
    return offset < kSize && width <= kSize - offset;
  }
  std::array<uint8_t, kSize> bytes_{};
  std::array<uint8_t, kSize> wmask_{};
  std::array<uint8_t, kSize> w1cmask_{};
};

}  // namespace softvf
