// The capability lists of a function: walking them and building them.
//
// The standard list starts at the Capabilities Pointer (0x34) and the extended list at
// 0x100 (PCIe Base spec 7.6). Walks are hop-limited so a malformed list cannot loop.
// The builder writes the headers and the registers a host reads; register layouts follow
// include/uapi/linux/pci_regs.h.
#pragma once

#include <cstdint>
#include <optional>

#include "pci/config_space.h"
#include "pci/regs.h"

namespace softvf {

std::optional<uint16_t> FindCapability(const ConfigSpace& cs, uint8_t id);
std::optional<uint16_t> FindExtCapability(const ConfigSpace& cs, uint16_t id);

struct MsixLayout {
  uint16_t table_size = 1;  // number of vectors
  uint8_t table_bir = 0;
  uint32_t table_offset = 0;
  uint8_t pba_bir = 0;
  uint32_t pba_offset = 0;
};

struct PcieLink {
  uint8_t max_speed = 2;  // 1 = 2.5GT/s, 2 = 5GT/s, 3 = 8GT/s, 4 = 16GT/s
  uint8_t max_width = 4;
};

class CapabilityBuilder {
 public:
  explicit CapabilityBuilder(ConfigSpace& cs) : cs_(cs) {}

  void AddPowerManagement(uint8_t offset);
  void AddMsix(uint8_t offset, const MsixLayout& layout);
  // flr: Function Level Reset capable (Device Capabilities bit 28).
  // ari_forwarding: Device Capabilities 2 bit 5, enabled in Device Control 2 (ports only).
  void AddPcie(uint8_t offset, pci::PcieType type, const PcieLink& link, bool flr,
               bool ari_forwarding);
  // Advanced Error Reporting (v2): status registers RW1C, masks RW, the spec's default
  // severities. Real NICs put it first, at 0x100, where the extended list must start.
  void AddAer(uint16_t offset);
  void AddAri(uint16_t offset, uint8_t next_function);
  // ACS with Source Validation, Request and Completion Redirect and Upstream Forwarding,
  // the flags Linux requires (REQ_ACS_FLAGS), all enabled when `enabled`.
  void AddAcs(uint16_t offset, bool enabled);
  // Links an SR-IOV extended capability header (version 1) at `offset`; the registers are
  // initialised by SriovCapability.
  void AddSriovHeader(uint16_t offset);

 private:
  void LinkStandard(uint8_t offset, uint8_t id);
  void LinkExtended(uint16_t offset, uint16_t id, uint8_t version);

  ConfigSpace& cs_;
  uint8_t last_standard_ = 0;
  uint16_t last_extended_ = 0;
};

// The ACS flags Linux's IOMMU grouping requires (drivers/iommu/iommu.c REQ_ACS_FLAGS):
// Source Validation | Request Redirect | Completion Redirect | Upstream Forwarding.
inline constexpr uint16_t kAcsRequiredFlags = 0x0001 | 0x0004 | 0x0008 | 0x0010;

// Whether the function's ACS control register enables all required flags.
bool AcsFlagsEnabled(const ConfigSpace& cs);
// Whether the function is a PCIe port with ARI Forwarding Enable set.
bool AriForwardingEnabled(const ConfigSpace& cs);

}  // namespace softvf
