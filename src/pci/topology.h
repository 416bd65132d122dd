// PCI topology: root ports and switch ports (type-1 functions) with or without ACS, and
// the bus numbers each one routes. Endpoints (PFs, VFs) are placed by their BDF.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pci/bdf.h"
#include "pci/config_space.h"
#include "pci/regs.h"

namespace softvf {

struct BridgeSpec {
  Bdf bdf;
  pci::PcieType type = pci::PcieType::kRootPort;  // root port, switch upstream/downstream
  uint8_t secondary_bus = 0;
  uint8_t subordinate_bus = 0;
  bool acs = true;             // implements ACS and has the required flags enabled
  bool ari_forwarding = true;  // ARI Forwarding Supported and enabled by Linux
  bool multifunction = false;
  uint16_t vendor_id = 0x8086;
  uint16_t device_id = 0x0000;
};

class PciBridge {
 public:
  explicit PciBridge(const BridgeSpec& spec);
  const BridgeSpec& spec() const { return spec_; }
  Bdf bdf() const { return spec_.bdf; }
  const ConfigSpace& config() const { return config_; }

 private:
  BridgeSpec spec_;
  ConfigSpace config_;
};

class Topology {
 public:
  // Validates bus ranges (nested, no overlaps with siblings) and adds the bridge.
  // Returns an error message on a bad spec.
  std::optional<std::string> AddBridge(const BridgeSpec& spec);

  const std::vector<PciBridge>& bridges() const { return bridges_; }
  // The bridge whose secondary bus is `bus` (the bus's `self`), or -1 for a root bus.
  int UpstreamBridgeOf(uint8_t bus) const;
  // The last bus number reachable on `bus` (busn_res.end): the subordinate number of
  // its upstream bridge, or 0xff on a root bus.
  uint8_t BusEnd(uint8_t bus) const;
  // Whether ARI forwarding is enabled for devices on `bus` (root buses: no).
  bool AriEnabledOn(uint8_t bus) const;

 private:
  std::vector<PciBridge> bridges_;
};

}  // namespace softvf
