#include "eswitch/policy.h"

#include <algorithm>
#include <bit>
#include <cerrno>

#include "eswitch/hash.h"

namespace softvf::eswitch {

PortPolicy PortPolicy::Uplink(bool carrier) {
  PortPolicy p;
  p.kind = PortKind::kUplink;
  p.link_up = carrier;
  return p;
}

PortPolicy PortPolicy::PfHost(bool up, VlanId vlan) {
  PortPolicy p;
  p.kind = PortKind::kPfHost;
  p.link_up = up;
  p.port_vlan = vlan;
  return p;
}

PortPolicy PortPolicy::Vf(const VfConfig& config, bool uplink_carrier) {
  PortPolicy p;
  p.kind = PortKind::kVf;
  switch (config.link_state) {
    case LinkState::kAuto:
      p.link_up = uplink_carrier;
      break;
    case LinkState::kEnable:
      p.link_up = true;
      break;
    case LinkState::kDisable:
      p.link_up = false;
      break;
  }
  p.mac = config.mac;
  p.spoofchk = config.spoofchk;
  p.trust = config.trust;
  if (config.vlan != 0) {
    p.port_vlan = VlanId::FromTag(config.vlan_proto, config.vlan);
    p.qos = config.qos;
  }
  p.min_tx_rate_mbps = config.min_tx_rate;
  p.max_tx_rate_mbps = config.max_tx_rate;
  return p;
}

PortPolicy PortPolicy::Absent() {
  PortPolicy p;
  p.kind = PortKind::kVf;
  p.link_up = false;
  return p;
}

Result<std::shared_ptr<const PolicyTable>> PolicyTable::Create(std::vector<PortPolicy> ports) {
  if (ports.size() < 2 || ports.size() > kMaxPorts)
    return Status::Errno(EINVAL, "eswitch: a switch has the uplink, the PF and at most " +
                                     std::to_string(kMaxVfs) + " VFs");
  if (ports[0].kind != PortKind::kUplink || ports[1].kind != PortKind::kPfHost)
    return Status::Errno(EINVAL, "eswitch: ports 0 and 1 must be the uplink and the PF");
  for (size_t i = 2; i < ports.size(); ++i)
    if (ports[i].kind != PortKind::kVf)
      return Status::Errno(EINVAL, "eswitch: port " + std::to_string(i) + " must be a VF");
  return std::shared_ptr<const PolicyTable>(new PolicyTable(std::move(ports)));
}

Result<std::shared_ptr<const PolicyTable>> PolicyTable::ForPf(bool uplink_carrier, bool pf_up,
                                                              const std::vector<VfConfig>& vfs,
                                                              size_t num_enabled, VlanId pf_vlan) {
  std::vector<PortPolicy> ports;
  ports.reserve(vfs.size() + 2);
  ports.push_back(PortPolicy::Uplink(uplink_carrier));
  ports.push_back(PortPolicy::PfHost(pf_up, pf_vlan));
  for (size_t i = 0; i < vfs.size(); ++i)
    ports.push_back(i < num_enabled ? PortPolicy::Vf(vfs[i], uplink_carrier)
                                    : PortPolicy::Absent());
  return Create(std::move(ports));
}

PolicyTable::PolicyTable(std::vector<PortPolicy> ports)
    : ports_(std::move(ports)), vlan_index_(kVlanSlots, kNoIndex) {
  size_t with_mac = 0;
  for (size_t i = 0; i < ports_.size(); ++i) {
    const PortPolicy& p = ports_[i];
    const PortId id(static_cast<uint16_t>(i));
    if (p.kind == PortKind::kVf && !p.mac.is_zero()) ++with_mac;
    if (p.accepts_any_unicast()) any_unicast_.Set(id);
    if (!p.link_up) continue;
    if (!p.has_port_vlan()) {
      trunks_.Set(id);
      continue;
    }
    uint16_t& index = vlan_index_[p.port_vlan.raw()];
    if (index == kNoIndex) {
      index = static_cast<uint16_t>(access_.size());
      access_.emplace_back();
    }
    access_[index].Set(id);
  }

  // At most half full, so every probe chain ends at an empty slot.
  mac_owners_.resize(std::bit_ceil(std::max<size_t>(2, with_mac * 2)));
  mac_mask_ = mac_owners_.size() - 1;
  for (size_t i = 0; i < ports_.size(); ++i) {
    const PortPolicy& p = ports_[i];
    if (p.kind != PortKind::kVf || p.mac.is_zero()) continue;
    const uint64_t key = MacBits(p.mac);
    size_t s = Mix64(key) & mac_mask_;
    while (mac_owners_[s].port.valid()) s = (s + 1) & mac_mask_;
    mac_owners_[s] = MacSlot{key, PortId(static_cast<uint16_t>(i))};
  }
}

void PolicyTable::Members(VlanId vlan, PortSet& out) const {
  out = trunks_;
  const uint16_t index = vlan_index_[vlan.raw()];
  if (index != kNoIndex) out |= access_[index];
}

std::optional<PortId> PolicyTable::MacOwner(const MacAddress& mac, VlanId vlan) const {
  PortId p = MacOwnerPort(mac, vlan);
  if (!p.valid()) return std::nullopt;
  return p;
}

PortId PolicyTable::MacOwnerPort(const MacAddress& mac, VlanId vlan) const {
  const uint64_t key = MacBits(mac);
  // Owners were inserted in port order, so the first match on the chain is the lowest port.
  for (size_t s = Mix64(key) & mac_mask_; mac_owners_[s].port.valid(); s = (s + 1) & mac_mask_) {
    const MacSlot& slot = mac_owners_[s];
    if (slot.mac == key && ports_[slot.port.value()].InVlan(vlan)) return slot.port;
  }
  return PortId();
}

}  // namespace softvf::eswitch
