// PortPolicy: what the switch enforces on one port, derived from the VF's `ip link set
// ... vf N` settings (VfConfig) and, for `state auto`, the uplink's carrier. PolicyTable:
// the policies of all ports of one switch plus the sets the data path needs per frame.
//
// A table is immutable once built: the control plane builds a new one after any change
// and the worker swaps it in between bursts (Veb::SetPolicies), so a burst never sees a
// half-applied change. Building allocates; reading never does.
//
// What the settings mean on the wire (the decisions themselves are in veb.h):
// - vlan V [qos Q] [proto P]: the VF is an access port of VLAN (P, V). Its frames enter
//   untagged and get the tag (P, Q, V) toward the uplink, the PF and VFs without a port
//   VLAN (trunks); tagged frames from it are dropped; frames to it lose the tag. vlan 0
//   means no port VLAN (ip-link(8): "vlan 0 disables VLAN tagging/filtering"), qos ignored.
//   A VF without a port VLAN is a trunk, as mlx5's VGT mode: it may tag its own frames and
//   it receives every VLAN (no per-VF VLAN filter exists yet; virtio's CTRL_VLAN is where
//   one would come from).
// - spoofchk: the source MAC must be the VF's MAC. With no MAC set (all zero) there is
//   nothing to check against, so nothing is checked, as igb/ixgbe check only an assigned
//   MAC; the guest's own address is then learned like any bridge port's.
// - trust: a trusted VF may change its own MAC (ip-link(8); i40e/ice grant a trusted VF's
//   MAC change even over an administratively set one), and the spoof check then follows
//   the new address. The switch never sees that request (a virtio-net guest sends
//   CTRL_MAC_ADDR_SET on the control queue, which QEMU keeps), so a trusted VF's source
//   is taken as granted: spoofchk checks untrusted VFs only.
//   The VF also receives unicast not addressed to its MAC (unknown unicast of its
//   VLAN and anything the FDB sends it). Linux trust only permits promiscuous mode; the
//   issue asks for a trusted VF to be promiscuous, and no virtio RX-mode command is wired
//   yet, so trust means promiscuous here. A VF whose MAC is not set cannot be filtered by
//   MAC either and is treated the same way. Known unicast for another port is not copied
//   to promiscuous VFs (a bridge does not either; that would be port mirroring).
// - multicast: every VF receives all multicast of its VLAN (no per-VF multicast list
//   exists yet; virtio's CTRL_MAC table is where the "multicast it joined" would come from).
// - state: enable = up, disable = down (both directions dropped), auto = the uplink's
//   carrier (so with the wire down VFs cannot talk even to each other; "enable" is for that).
// - max_tx_rate: a token bucket on the VF's ingress (veb.h), charged with the frame's
//   bytes as the VF sent it (no virtio-net header, FCS, preamble or inter-frame gap; a
//   measurement on the wire sees up to 24 bytes more per frame). A vhost-user VF's frames
//   wait in its transmit ring until the bucket lets them go (shaping, as a NIC's per-VF
//   limiter holds the VF's queue, so TCP sees backpressure rather than loss); frames from
//   a sender that cannot wait (a host TAP VF) are dropped as rate limited (policing).
// - min_tx_rate: the rate the VF is guaranteed (ip-link(8)) out of the PF's link capacity
//   when VFs contend for it, counted the same way; 0 = no guarantee. veb.h says how.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/mac_address.h"
#include "common/status.h"
#include "eswitch/ethernet.h"
#include "eswitch/port.h"
#include "eswitch/port_set.h"
#include "eswitch/vlan.h"
#include "sriov/vf_config.h"

namespace softvf::eswitch {

struct PortPolicy {
  PortKind kind = PortKind::kVf;
  bool link_up = false;
  MacAddress mac;  // a VF's administrative MAC; zero = not set
  bool spoofchk = false;
  bool trust = false;
  VlanId port_vlan;  // untagged = no port VLAN (a trunk port)
  uint8_t qos = 0;   // PCP of the inserted tag
  uint32_t min_tx_rate_mbps = 0;
  uint32_t max_tx_rate_mbps = 0;  // 0 = unlimited

  static PortPolicy Uplink(bool carrier);
  // `vlan`: the host netdev is an access port of that VLAN (tags pushed toward the wire
  // and popped toward the host), for hosts whose kernel cannot tag (no 8021q).
  static PortPolicy PfHost(bool up, VlanId vlan = VlanId::Untagged());
  static PortPolicy Vf(const VfConfig& config, bool uplink_carrier);
  static PortPolicy Absent();  // a VF that is not enabled: no traffic either way

  bool has_port_vlan() const { return !port_vlan.is_untagged(); }
  VlanTag port_vlan_tag() const {
    return VlanTag::Make(port_vlan.tpid(), qos, false, port_vlan.vid());
  }
  // Whether frames of `vlan` may be delivered to this port (link aside).
  bool InVlan(VlanId vlan) const { return !has_port_vlan() || port_vlan == vlan; }
  // Whether the source MAC of the port's frames is checked.
  bool checks_source() const {
    return kind == PortKind::kVf && spoofchk && !trust && !mac.is_zero();
  }
  // Whether the port takes unicast addressed to a MAC other than its own.
  bool accepts_any_unicast() const { return kind != PortKind::kVf || trust || mac.is_zero(); }

  friend bool operator==(const PortPolicy&, const PortPolicy&) = default;
};

class PolicyTable {
 public:
  // `ports[i]` is the policy of PortId(i): the uplink, the PF, then VF 0, 1, ... (at most
  // kMaxVfs). EINVAL if the shape is wrong.
  static Result<std::shared_ptr<const PolicyTable>> Create(std::vector<PortPolicy> ports);
  // The usual case: one policy per VF config; VFs at index >= num_enabled are Absent.
  static Result<std::shared_ptr<const PolicyTable>> ForPf(bool uplink_carrier, bool pf_up,
                                                          const std::vector<VfConfig>& vfs,
                                                          size_t num_enabled,
                                                          VlanId pf_vlan = VlanId::Untagged());

  size_t size() const { return ports_.size(); }
  bool contains(PortId p) const { return p.value() < ports_.size(); }
  const PortPolicy& operator[](PortId p) const { return ports_[p.value()]; }

  // Link-up ports that may receive frames of `vlan`: every trunk plus the VFs whose port
  // VLAN it is. Writes `out`; no allocation.
  void Members(VlanId vlan, PortSet& out) const;
  // Ports that take unicast not addressed to them (uplink, PF, trusted or MAC-less VFs).
  const PortSet& any_unicast() const { return any_unicast_; }
  // The VF whose administrative MAC is `mac` and which is in `vlan` (the lowest such port
  // if several share it), link up or not: a NIC's exact MAC filter, consulted before
  // the FDB so a VF's own address always reaches it.
  std::optional<PortId> MacOwner(const MacAddress& mac, VlanId vlan) const;
  // The hot path's form: an invalid PortId when no VF owns the MAC in that VLAN.
  PortId MacOwnerPort(const MacAddress& mac, VlanId vlan) const;

 private:
  explicit PolicyTable(std::vector<PortPolicy> ports);

  static constexpr uint16_t kNoIndex = 0xffff;
  // Every VlanId raw value: 4096 customer plus 4096 service VLANs.
  static constexpr size_t kVlanSlots = 0x2000;
  struct MacSlot {
    uint64_t mac = 0;
    PortId port;  // invalid = empty
  };

  std::vector<PortPolicy> ports_;
  PortSet trunks_;  // link up, no port VLAN
  PortSet any_unicast_;
  std::vector<uint16_t> vlan_index_;  // VlanId raw -> index into access_, or kNoIndex
  std::vector<PortSet> access_;       // link-up VFs per port VLAN
  std::vector<MacSlot> mac_owners_;   // open addressing, duplicates kept in port order
  size_t mac_mask_ = 0;
};

}  // namespace softvf::eswitch
