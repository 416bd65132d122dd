// DeviceProfile: everything that makes a card model a particular real card, as data.
//
// Built-in profiles (profiles/*.toml) reproduce real cards; users may load their own.
// Field names follow the registers and driver facts they set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pci/capabilities.h"

namespace softvf {

struct BarSpec {
  int index = 0;
  uint64_t size = 0;  // bytes, a power of two
  bool is_64bit = false;
  bool prefetchable = false;
  bool is_io = false;
};

// How the PF's Linux driver answers `ip link set ... vf` (its ndo_set_vf_* callbacks).
struct DriverSpec {
  std::string name;       // PF driver, e.g. "igb"
  std::string vf_driver;  // host VF driver, e.g. "igbvf"
  uint16_t max_vfs = 0;   // pci_sriov_set_totalvfs() by the driver; 0 = TotalVFs
  uint32_t link_speed_mbps = 1000;
  bool vf_config = true;     // implements ndo_get_vf_config and the setters at all
  bool vlan_8021ad = false;  // accepts proto 802.1ad (else EPROTONOSUPPORT)
  enum class Rate { kNone, kMaxOnly, kMinMax } rate = Rate::kMinMax;
  uint32_t min_max_tx_rate = 0;       // smallest nonzero max_tx_rate accepted minus one (ixgbe: 10)
  bool rate_limited_by_link = false;  // max_tx_rate above link speed refused
  bool link_state = true;             // ndo_set_vf_link_state
  bool query_rss = false;             // ndo_set_vf_rss_query_en (and reported by get_vf_config)
  bool trust = true;
  bool spoofchk = true;
  bool spoofchk_default = true;
};

struct SriovSpec {
  uint16_t total_vfs = 0;
  uint16_t initial_vfs = 0;
  uint16_t first_vf_offset = 0;
  uint16_t vf_stride = 0;
  uint16_t ari_first_vf_offset = 0;  // with ARI Capable Hierarchy set
  uint16_t ari_vf_stride = 0;
  // Added to both offsets per port index: PF n's First VF Offset is offset + n * step.
  // 0 (Intel) interleaves the ports' VFs; mlx5 packs each port's VFs after the previous
  // port's (step = TotalVFs - 1: PF1 of a 2x8-VF card reads "VF offset: 9").
  uint16_t port_vf_offset_step = 0;
  uint32_t supported_page_sizes = 0x553;
  bool ari_capable_hierarchy_preserved = false;
  std::vector<BarSpec> vf_bars;
};

struct CapabilityOffsets {
  uint8_t pm = 0x40;
  uint8_t msi = 0;  // unused; kept for profiles that document it
  uint8_t msix = 0x70;
  uint8_t pcie = 0xa0;
  uint16_t aer = 0x100;  // 0 = no AER capability
  uint16_t ari = 0x150;  // 0 = no ARI capability
  uint16_t sriov = 0x160;
  uint16_t acs = 0;  // 0 = no ACS capability on the function
};

struct DeviceProfile {
  std::string name;  // "i350"
  std::string description;
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint16_t vf_device_id = 0;
  uint16_t subsystem_vendor_id = 0;
  uint16_t subsystem_id = 0;
  uint8_t revision = 0;
  uint32_t class_code = 0x020000;
  std::string vendor_name;  // as pciutils prints them (pci.ids)
  std::string device_name;
  std::string vf_device_name;
  int ports = 1;  // PFs on the adapter
  uint16_t pf_msix_vectors = 10;
  uint16_t vf_msix_vectors = 3;
  uint8_t msix_bar = 0;     // BAR holding the PF's MSI-X table (PBA at +0x2000)
  uint8_t vf_msix_bar = 0;  // VF BAR holding each VF's MSI-X table
  uint16_t queues_per_vf = 1;
  uint32_t mac_filters = 0;  // per-port MAC filter (FDB) table size
  uint32_t vlan_filters = 0;
  bool flr = true;
  // Linux's pci_dev_acs_enabled quirk table treats some multifunction NICs (Intel
  // 82576/82580/I350/82599...) as isolated although they lack an ACS capability.
  bool mf_endpoint_acs_quirk = false;
  PcieLink link;
  CapabilityOffsets caps;
  std::vector<BarSpec> pf_bars;
  SriovSpec sriov;
  DriverSpec driver;
};

}  // namespace softvf
