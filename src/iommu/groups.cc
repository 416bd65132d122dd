#include "iommu/groups.h"

#include <cerrno>
#include <map>
#include <numeric>

#include "pci/capabilities.h"

namespace softvf {

using pci::PcieType;

namespace {

struct UnionFind {
  std::vector<size_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  size_t Find(size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Join(size_t a, size_t b) { parent[Find(a)] = Find(b); }
};

// pci_acs_enabled for a bridge (root or downstream port needs its ACS flags; a
// single-function upstream port needs nothing).
bool BridgeAcsEnabled(const PciBridge& b) {
  switch (b.spec().type) {
    case PcieType::kRootPort:
    case PcieType::kDownstreamPort:
      return AcsFlagsEnabled(b.config());
    default:
      return !b.spec().multifunction || AcsFlagsEnabled(b.config());
  }
}

// pci_acs_path_enabled(start, NULL): every bridge from `start` up to a root bus.
bool AcsPathEnabled(const Topology& topo, int bridge) {
  for (int guard = 0; bridge >= 0 && guard < 256; ++guard) {
    const PciBridge& b = topo.bridges()[bridge];
    if (!BridgeAcsEnabled(b)) return false;
    bridge = topo.UpstreamBridgeOf(b.bdf().bus());
  }
  return true;
}

// pci_acs_enabled for an endpoint: single-function endpoints are isolated by definition.
bool EndpointAcsEnabled(const GroupMember& m) {
  return !m.multifunction || m.acs_enabled;
}

}  // namespace

std::vector<IommuGroup> ComputeIommuGroups(const Topology& topo,
                                           const std::vector<GroupMember>& members) {
  const size_t n = members.size();
  UnionFind uf(n);
  std::map<int, size_t> bridge_member;  // bridge index -> member index
  for (size_t i = 0; i < n; ++i)
    if (members[i].is_bridge) bridge_member[members[i].bridge_index] = i;

  for (size_t i = 0; i < n; ++i) {
    const GroupMember& m = members[i];
    // Walk up while the bridge above is not isolated by ACS all the way to the root.
    int anchor_bridge = -1;
    int up = m.is_bridge ? topo.UpstreamBridgeOf(m.bdf.bus()) : m.upstream_bridge;
    for (int guard = 0; up >= 0 && guard < 256; ++guard) {
      if (AcsPathEnabled(topo, up)) break;
      anchor_bridge = up;
      up = topo.UpstreamBridgeOf(topo.bridges()[up].bdf().bus());
    }
    if (anchor_bridge >= 0 && bridge_member.count(anchor_bridge)) {
      uf.Join(i, bridge_member[anchor_bridge]);
      continue;
    }
    // Non-isolated functions of the same slot share a group.
    bool isolated =
        m.is_bridge ? BridgeAcsEnabled(topo.bridges()[m.bridge_index]) : EndpointAcsEnabled(m);
    if (isolated || !m.multifunction) continue;
    for (size_t j = 0; j < n; ++j) {
      const GroupMember& o = members[j];
      if (j == i || o.bdf.domain() != m.bdf.domain() || o.bdf.bus() != m.bdf.bus() ||
          o.bdf.device() != m.bdf.device())
        continue;
      bool o_isolated =
          o.is_bridge ? BridgeAcsEnabled(topo.bridges()[o.bridge_index]) : EndpointAcsEnabled(o);
      if (!o_isolated) uf.Join(i, j);
    }
  }

  std::vector<IommuGroup> groups;
  std::map<size_t, size_t> root_to_group;
  for (size_t i = 0; i < n; ++i) {
    size_t root = uf.Find(i);
    auto [it, fresh] = root_to_group.try_emplace(root, groups.size());
    if (fresh) groups.push_back(IommuGroup{static_cast<int>(groups.size()), {}});
    groups[it->second].members.push_back(i);
  }
  return groups;
}

Status CheckViable(const std::vector<IommuGroup>& groups, const std::vector<GroupMember>& members,
                   size_t target, const std::string& consumer) {
  for (const IommuGroup& g : groups) {
    bool contains = false;
    for (size_t i : g.members) contains |= (i == target);
    if (!contains) continue;
    for (size_t i : g.members) {
      const GroupMember& m = members[i];
      if (i == target || m.is_bridge) continue;  // VFIO tolerates bridges in a group
      // VFIO accepts members that are unbound or bound to vfio-pci/pci-stub, and members
      // already held by the same user.
      bool ok = m.use == GroupMember::Use::kUnbound ||
                (m.use == GroupMember::Use::kHostDriver &&
                 (m.driver == "vfio-pci" || m.driver == "pci-stub")) ||
                (m.use == GroupMember::Use::kConsumer && m.driver == consumer);
      if (!ok) return Status::Errno(EPERM, "group " + std::to_string(g.id) + " is not viable");
    }
    return Status::Ok();
  }
  return Status::Errno(ENODEV, "no IOMMU group for this device");
}

}  // namespace softvf
