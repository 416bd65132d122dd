#include "pci/capabilities.h"

namespace softvf {

using namespace pci;

namespace {
// Offsets inside the capabilities, from pci_regs.h.
constexpr uint16_t kExpFlags = 2, kExpDevCap = 4, kExpDevCtl = 8, kExpLinkCap = 12,
                   kExpLinkSta = 18, kExpDevCap2 = 36, kExpDevCtl2 = 40;
constexpr uint32_t kExpDevCapFlr = 1u << 28;
constexpr uint32_t kExpDevCap2Ari = 1u << 5;
constexpr uint16_t kExpDevCtl2Ari = 1u << 5;
constexpr uint16_t kAcsCap = 4, kAcsCtrl = 6;
constexpr int kMaxStandardHops = 48;  // (256 - 64) / 4
constexpr int kMaxExtendedHops = (ConfigSpace::kSize - kExtCapStart) / 4;
}  // namespace

std::optional<uint16_t> FindCapability(const ConfigSpace& cs, uint8_t id) {
  if (!(cs.Read16(kStatus) & kStatusCapList)) return std::nullopt;
  uint8_t pos = cs.Read8(kCapabilityList) & ~3;
  for (int hops = 0; pos >= 0x40 && hops < kMaxStandardHops; ++hops) {
    if (cs.Read8(pos) == id) return pos;
    pos = cs.Read8(pos + 1) & ~3;
  }
  return std::nullopt;
}

std::optional<uint16_t> FindExtCapability(const ConfigSpace& cs, uint16_t id) {
  uint16_t pos = kExtCapStart;
  for (int hops = 0; pos >= kExtCapStart && hops < kMaxExtendedHops; ++hops) {
    uint32_t header = cs.Read32(pos);
    if (header == 0) return std::nullopt;
    if ((header & 0xffff) == id) return pos;
    pos = static_cast<uint16_t>((header >> 20) & ~3u);
  }
  return std::nullopt;
}

void CapabilityBuilder::LinkStandard(uint8_t offset, uint8_t id) {
  cs_.Set8(offset, id);
  cs_.Set8(offset + 1, 0);
  if (last_standard_ == 0) {
    cs_.Set8(kCapabilityList, offset);
    cs_.Set16(kStatus, cs_.Read16(kStatus) | kStatusCapList);
  } else {
    cs_.Set8(last_standard_ + 1, offset);
  }
  last_standard_ = offset;
}

void CapabilityBuilder::LinkExtended(uint16_t offset, uint16_t id, uint8_t version) {
  uint32_t header = id | (uint32_t{version} << 16);
  if (last_extended_ == 0) {
    // The extended list always starts at 0x100 (PCIe Base 7.6.3). When the first
    // capability sits higher, a Null capability (ID 0, version 0) there points to it, so
    // the list stays walkable from 0x100 (lspci shows "[100 v0] Null").
    if (offset != kExtCapStart) cs_.Set32(kExtCapStart, uint32_t{offset} << 20);
  } else if (offset == kExtCapStart) {
    // A capability placed at 0x100 later replaces that Null head and keeps its link.
    cs_.Set32(offset, header | (cs_.Read32(kExtCapStart) & 0xfff00000));
    return;
  } else {
    uint32_t prev = cs_.Read32(last_extended_);
    cs_.Set32(last_extended_, (prev & 0x000fffff) | (uint32_t{offset} << 20));
  }
  cs_.Set32(offset, header);
  last_extended_ = offset;
}

void CapabilityBuilder::AddPowerManagement(uint8_t offset) {
  LinkStandard(offset, kCapIdPm);
  // PM version 1.2 (3), D0-D3hot; PMCSR: PowerState writable, PME_Status RW1C.
  cs_.Set16(offset + 2, 0x0003 | (1u << 11) | (1u << 14) | (1u << 15));
  cs_.SetWriteMask16(offset + 4, 0x0103);
  cs_.SetW1cMask16(offset + 4, 0x8000);
}

void CapabilityBuilder::AddMsix(uint8_t offset, const MsixLayout& layout) {
  LinkStandard(offset, kCapIdMsix);
  cs_.Set16(offset + 2, static_cast<uint16_t>((layout.table_size - 1) & 0x7ff));
  cs_.SetWriteMask16(offset + 2, 0xc000);  // MSI-X Enable and Function Mask
  cs_.Set32(offset + 4, (layout.table_offset & ~7u) | (layout.table_bir & 7));
  cs_.Set32(offset + 8, (layout.pba_offset & ~7u) | (layout.pba_bir & 7));
}

void CapabilityBuilder::AddPcie(uint8_t offset, PcieType type, const PcieLink& link, bool flr,
                                bool ari_forwarding) {
  LinkStandard(offset, kCapIdExp);
  cs_.Set16(offset + kExpFlags, static_cast<uint16_t>(0x2 | (static_cast<uint8_t>(type) << 4)));
  cs_.Set32(offset + kExpDevCap, 0x2 /* MPS 512 */ | (flr ? kExpDevCapFlr : 0));
  cs_.SetWriteMask16(offset + kExpDevCtl, 0x7fff);
  cs_.Set32(offset + kExpLinkCap, uint32_t{link.max_speed} | (uint32_t{link.max_width} << 4));
  cs_.Set16(offset + kExpLinkSta, static_cast<uint16_t>(link.max_speed | (link.max_width << 4)));
  if (ari_forwarding) {
    cs_.Set32(offset + kExpDevCap2, kExpDevCap2Ari);
    cs_.Set16(offset + kExpDevCtl2, kExpDevCtl2Ari);
    cs_.SetWriteMask16(offset + kExpDevCtl2, kExpDevCtl2Ari);
  }
}

void CapabilityBuilder::AddAer(uint16_t offset) {
  LinkExtended(offset, kExtCapIdAer, 2);
  cs_.SetW1cMask16(offset + 4, 0xffff);  // Uncorrectable Error Status (low half)
  cs_.SetW1cMask16(offset + 6, 0x03ff);
  cs_.SetWriteMask32(offset + 8, 0x03fff030);  // Uncorrectable Error Mask
  cs_.Set32(offset + 12, 0x00462030);          // Uncorrectable Error Severity default
  cs_.SetWriteMask32(offset + 12, 0x03fff030);
  cs_.SetW1cMask16(offset + 16, 0xf1c1);  // Correctable Error Status
  cs_.Set32(offset + 20, 0x00002000);     // Correctable Error Mask: Advisory masked
  cs_.SetWriteMask32(offset + 20, 0x0000f1c1);
}

void CapabilityBuilder::AddAri(uint16_t offset, uint8_t next_function) {
  LinkExtended(offset, kExtCapIdAri, 1);
  cs_.Set16(offset + 4, static_cast<uint16_t>(next_function) << 8);
}

void CapabilityBuilder::AddAcs(uint16_t offset, bool enabled) {
  LinkExtended(offset, kExtCapIdAcs, 1);
  cs_.Set16(offset + kAcsCap, kAcsRequiredFlags);
  cs_.Set16(offset + kAcsCtrl, enabled ? kAcsRequiredFlags : 0);
  cs_.SetWriteMask16(offset + kAcsCtrl, kAcsRequiredFlags);
}

void CapabilityBuilder::AddSriovHeader(uint16_t offset) {
  LinkExtended(offset, kExtCapIdSriov, 1);
}

bool AcsFlagsEnabled(const ConfigSpace& cs) {
  auto pos = FindExtCapability(cs, kExtCapIdAcs);
  if (!pos) return false;
  uint16_t cap = cs.Read16(*pos + kAcsCap);
  uint16_t ctrl = cs.Read16(*pos + kAcsCtrl);
  // Linux pci_acs_flags_enabled: a flag the function does not implement counts as
  // hard-wired enabled, so only implemented flags must be set.
  uint16_t required = kAcsRequiredFlags & cap;
  return (ctrl & required) == required;
}

bool AriForwardingEnabled(const ConfigSpace& cs) {
  auto pos = FindCapability(cs, kCapIdExp);
  return pos && (cs.Read16(*pos + kExpDevCtl2) & kExpDevCtl2Ari);
}

}  // namespace softvf
