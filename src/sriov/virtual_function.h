// VirtualFunction: one VF of a PF. Created once with its PF (up to TotalVFs) and then
// enabled or disabled by the PF's SR-IOV capability; never reallocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pci/bdf.h"
#include "pci/config_space.h"
#include "sriov/profile.h"
#include "sriov/vf_config.h"

namespace softvf {

// Who uses a function, as the host's driver core sees it.
enum class Binding : uint8_t {
  kUnbound,     // no driver
  kHostDriver,  // bound to the host's VF driver (a host netdev exists)
  kConsumer,    // assigned to a consumer (a VM or an application)
};

class VirtualFunction {
 public:
  VirtualFunction(const DeviceProfile& profile, uint16_t index);

  uint16_t index() const { return index_; }
  bool enabled() const { return enabled_; }
  Bdf bdf() const { return bdf_; }
  const ConfigSpace& config() const { return config_; }
  const std::vector<uint64_t>& bar_addresses() const { return bar_addresses_; }

  VfConfig& settings() { return settings_; }
  const VfConfig& settings() const { return settings_; }
  Binding binding() const { return binding_; }
  const std::string& consumer() const { return consumer_; }

  // Called by the PF when VF Enable turns on or off.
  void Enable(Bdf bdf, std::vector<uint64_t> bar_addresses);
  void Disable();
  void Bind(Binding binding, std::string consumer = {});

 private:
  uint16_t index_;
  bool enabled_ = false;
  Bdf bdf_;
  ConfigSpace config_;
  std::vector<uint64_t> bar_addresses_;
  VfConfig defaults_;
  VfConfig settings_;
  Binding binding_ = Binding::kUnbound;
  std::string consumer_;
};

}  // namespace softvf
