// IOMMU groups as Linux forms them (drivers/iommu/iommu.c pci_device_group and
// drivers/pci/pci.c pci_acs_enabled / pci_acs_path_enabled): a function shares a group
// with everything that can reach it peer-to-peer without ACS isolation on the way up,
// and with the other functions of its slot when it is multifunction without ACS.
// Viability follows VFIO: every non-bridge member is unbound or held by the same user.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "pci/bdf.h"
#include "pci/topology.h"

namespace softvf {

// One PCI function as the grouping sees it.
struct GroupMember {
  Bdf bdf;
  int upstream_bridge = -1;  // index into Topology::bridges(), -1 = on a root bus
  bool is_bridge = false;
  int bridge_index = -1;  // when is_bridge
  bool multifunction = false;
  bool acs_enabled = false;  // ACS flags enabled on the function itself, or a quirk
  enum class Use : uint8_t { kUnbound, kHostDriver, kConsumer } use = Use::kUnbound;
  std::string driver;  // host driver or consumer name
};

struct IommuGroup {
  int id = 0;
  std::vector<size_t> members;  // indices into the member list
};

// `members` must list bridges first in discovery order, then endpoints; group IDs are
// handed out in that order.
std::vector<IommuGroup> ComputeIommuGroups(const Topology& topology,
                                           const std::vector<GroupMember>& members);

// Whether `target`'s group may be given to `consumer` (VFIO's viability test). The target
// itself may be bound to its host driver: assignment unbinds it first (managed mode).
Status CheckViable(const std::vector<IommuGroup>& groups, const std::vector<GroupMember>& members,
                   size_t target, const std::string& consumer);

}  // namespace softvf
