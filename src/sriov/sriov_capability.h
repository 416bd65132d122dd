// SriovCapability: a typed view of the SR-IOV Extended Capability (ID 0x0010) inside a
// PF's ConfigSpace. Register layout and bits from include/uapi/linux/pci_regs.h
// (PCI_SRIOV_*); attributes (RO/RW) from the SR-IOV spec as QEMU hw/pci/pcie_sriov.c
// models them. The view never owns memory and never does arithmetic outside the 0x40
// bytes of the capability.
#pragma once

#include <cstdint>

#include "pci/config_space.h"

namespace softvf {

class SriovCapability {
 public:
  static constexpr uint16_t kSizeof = 0x40;
  static constexpr int kNumBars = 6;
  // Register offsets, relative to the capability.
  static constexpr uint16_t kCap = 0x04, kCtrl = 0x08, kStatus = 0x0a, kInitialVfs = 0x0c,
                            kTotalVfs = 0x0e, kNumVfs = 0x10, kFuncLink = 0x12, kVfOffset = 0x14,
                            kVfStride = 0x16, kVfDeviceId = 0x1a, kSupportedPageSizes = 0x1c,
                            kSystemPageSize = 0x20, kBar = 0x24, kVfMigrationState = 0x3c;
  // SR-IOV Control bits.
  static constexpr uint16_t kCtrlVfe = 0x0001, kCtrlVfm = 0x0002, kCtrlIntr = 0x0004,
                            kCtrlMse = 0x0008, kCtrlAri = 0x0010;
  // SR-IOV Capabilities bits.
  static constexpr uint32_t kCapVfMigration = 0x1, kCapAriPreserved = 0x2;

  SriovCapability(ConfigSpace& cs, uint16_t offset) : cs_(&cs), at_(offset) {}

  uint16_t offset() const { return at_; }

  uint32_t capabilities() const { return cs_->Read32(at_ + kCap); }
  uint16_t control() const { return cs_->Read16(at_ + kCtrl); }
  uint16_t status() const { return cs_->Read16(at_ + kStatus); }
  uint16_t initial_vfs() const { return cs_->Read16(at_ + kInitialVfs); }
  uint16_t total_vfs() const { return cs_->Read16(at_ + kTotalVfs); }
  uint16_t num_vfs() const { return cs_->Read16(at_ + kNumVfs); }
  uint8_t function_dependency_link() const { return cs_->Read8(at_ + kFuncLink); }
  uint16_t first_vf_offset() const { return cs_->Read16(at_ + kVfOffset); }
  uint16_t vf_stride() const { return cs_->Read16(at_ + kVfStride); }
  uint16_t vf_device_id() const { return cs_->Read16(at_ + kVfDeviceId); }
  uint32_t supported_page_sizes() const { return cs_->Read32(at_ + kSupportedPageSizes); }
  uint32_t system_page_size() const { return cs_->Read32(at_ + kSystemPageSize); }
  uint32_t bar(int i) const { return cs_->Read32(at_ + kBar + 4 * i); }
  uint32_t vf_migration_state() const { return cs_->Read32(at_ + kVfMigrationState); }

  bool vf_enable() const { return control() & kCtrlVfe; }
  bool vf_mse() const { return control() & kCtrlMse; }
  bool ari_capable_hierarchy() const { return control() & kCtrlAri; }

  // Host-side writes (through the write masks), as a driver issues them.
  void WriteControl(uint16_t value) { cs_->HostWrite(at_ + kCtrl, value, 2); }
  void WriteNumVfs(uint16_t value) { cs_->HostWrite(at_ + kNumVfs, value, 2); }
  void WriteSystemPageSize(uint32_t value) { cs_->HostWrite(at_ + kSystemPageSize, value, 4); }
  void WriteBar(int i, uint32_t value) { cs_->HostWrite(at_ + kBar + 4 * i, value, 4); }

  // Device-side setters for read-only registers (HwInit values and derived fields).
  void SetCapabilities(uint32_t v) { cs_->Set32(at_ + kCap, v); }
  void SetControl(uint16_t v) { cs_->Set16(at_ + kCtrl, v); }
  void SetStatus(uint16_t v) { cs_->Set16(at_ + kStatus, v); }
  void SetInitialVfs(uint16_t v) { cs_->Set16(at_ + kInitialVfs, v); }
  void SetTotalVfs(uint16_t v) { cs_->Set16(at_ + kTotalVfs, v); }
  void SetNumVfs(uint16_t v) { cs_->Set16(at_ + kNumVfs, v); }
  void SetFunctionDependencyLink(uint8_t v) { cs_->Set8(at_ + kFuncLink, v); }
  void SetFirstVfOffset(uint16_t v) { cs_->Set16(at_ + kVfOffset, v); }
  void SetVfStride(uint16_t v) { cs_->Set16(at_ + kVfStride, v); }
  void SetVfDeviceId(uint16_t v) { cs_->Set16(at_ + kVfDeviceId, v); }
  void SetSupportedPageSizes(uint32_t v) { cs_->Set32(at_ + kSupportedPageSizes, v); }
  void SetSystemPageSize(uint32_t v) { cs_->Set32(at_ + kSystemPageSize, v); }
  void SetBar(int i, uint32_t v) { cs_->Set32(at_ + kBar + 4 * i, v); }
  void SetVfMigrationState(uint32_t v) { cs_->Set32(at_ + kVfMigrationState, v); }

  // Write masks: NumVFs is writable only while VF Enable is clear.
  void SetControlWriteMask(uint16_t m) { cs_->SetWriteMask16(at_ + kCtrl, m); }
  void SetNumVfsWritable(bool writable) {
    cs_->SetWriteMask16(at_ + kNumVfs, writable ? 0xffff : 0);
  }
  void SetSystemPageSizeWriteMask(uint32_t m) { cs_->SetWriteMask32(at_ + kSystemPageSize, m); }
  void SetBarWriteMask(int i, uint32_t m) { cs_->SetWriteMask32(at_ + kBar + 4 * i, m); }
  bool num_vfs_writable() const { return cs_->WriteMask8(at_ + kNumVfs) != 0; }

 private:
  ConfigSpace* cs_;
  uint16_t at_;
};

// Linux sriov_init's choice of System Page Size: the smallest supported page size that is
// at least the host's page size. Returns 0 when none fits (Linux then fails with -EIO).
uint32_t ChooseSystemPageSize(uint32_t supported_page_sizes, unsigned host_page_shift);

}  // namespace softvf
