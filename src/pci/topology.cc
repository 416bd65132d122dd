#include "pci/topology.h"

#include "pci/capabilities.h"

namespace softvf {

using namespace pci;

PciBridge::PciBridge(const BridgeSpec& spec) : spec_(spec) {
  config_.Set16(kVendorId, spec.vendor_id);
  config_.Set16(kDeviceId, spec.device_id);
  config_.Set16(kCommand, kCommandMemory | kCommandMaster | 0x1);
  config_.Set16(kClassDevice, 0x0604);  // PCI bridge
  config_.Set8(kHeaderType,
               kHeaderTypeBridge | (spec.multifunction ? kHeaderTypeMultiFunction : 0));
  config_.Set8(kPrimaryBus, spec.bdf.bus());
  config_.Set8(kSecondaryBus, spec.secondary_bus);
  config_.Set8(kSubordinateBus, spec.subordinate_bus);
  CapabilityBuilder caps(config_);
  caps.AddPowerManagement(0x40);
  caps.AddPcie(0x60, spec.type, PcieLink{4, 16}, false, spec.ari_forwarding);
  if (spec.acs) caps.AddAcs(0x100, true);
}

std::optional<std::string> Topology::AddBridge(const BridgeSpec& spec) {
  if (spec.secondary_bus <= spec.bdf.bus())
    return "secondary bus must be above the bridge's own bus";
  if (spec.subordinate_bus < spec.secondary_bus)
    return "subordinate bus must not be below the secondary bus";
  for (const PciBridge& b : bridges_) {
    if (b.bdf() == spec.bdf) return "a bridge already sits at " + spec.bdf.ToString();
    const BridgeSpec& o = b.spec();
    bool overlap =
        spec.secondary_bus <= o.subordinate_bus && o.secondary_bus <= spec.subordinate_bus;
    bool nested_in_o = spec.bdf.bus() >= o.secondary_bus && spec.bdf.bus() <= o.subordinate_bus;
    bool o_nested = o.bdf.bus() >= spec.secondary_bus && o.bdf.bus() <= spec.subordinate_bus;
    if (overlap && !nested_in_o && !o_nested)
      return "bus range overlaps bridge " + o.bdf.ToString();
    if (nested_in_o && (spec.subordinate_bus > o.subordinate_bus))
      return "bus range leaves the range of upstream bridge " + o.bdf.ToString();
  }
  bridges_.emplace_back(spec);
  return std::nullopt;
}

int Topology::UpstreamBridgeOf(uint8_t bus) const {
  for (size_t i = 0; i < bridges_.size(); ++i)
    if (bridges_[i].spec().secondary_bus == bus) return static_cast<int>(i);
  return -1;
}

uint8_t Topology::BusEnd(uint8_t bus) const {
  int up = UpstreamBridgeOf(bus);
  return up < 0 ? 0xff : bridges_[up].spec().subordinate_bus;
}

bool Topology::AriEnabledOn(uint8_t bus) const {
  int up = UpstreamBridgeOf(bus);
  return up >= 0 && AriForwardingEnabled(bridges_[up].config());
}

}  // namespace softvf
