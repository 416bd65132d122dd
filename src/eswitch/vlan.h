// VlanId: the VLAN a frame belongs to inside the switch, i.e. its broadcast domain and the
// first half of every FDB key.
//
// An 802.1ad service VLAN and an 802.1Q customer VLAN with the same VID are different
// domains (a VF with `vlan 10 proto 802.1ad` must not see C-VLAN 10 from the wire), so the
// identity is the VID plus the tag type. VID 0 is "untagged": a priority tag (VID 0,
// 802.1Q §9.6) carries only a PCP and leaves the frame in the untagged domain.
#pragma once

#include <cstdint>

#include "sriov/vf_config.h"  // kEthP8021Q, kEthP8021AD

namespace softvf::eswitch {

class VlanId {
 public:
  constexpr VlanId() = default;  // untagged
  static constexpr VlanId Untagged() { return VlanId(); }
  static constexpr VlanId Customer(uint16_t vid) { return Make(vid, false); }
  static constexpr VlanId Service(uint16_t vid) { return Make(vid, true); }
  // The domain of a tag with this TPID (0x8100 or 0x88a8) and VID.
  static constexpr VlanId FromTag(uint16_t tpid, uint16_t vid) {
    return Make(vid, tpid == kEthP8021AD);
  }

  // Inverse of raw().
  static constexpr VlanId FromRaw(uint16_t raw) {
    return Make(raw & 0x0fff, (raw & kServiceBit) != 0);
  }

  constexpr uint16_t vid() const { return raw_ & 0x0fff; }
  constexpr bool is_service() const { return (raw_ & kServiceBit) != 0; }
  constexpr bool is_untagged() const { return raw_ == 0; }
  constexpr uint16_t tpid() const { return is_service() ? kEthP8021AD : kEthP8021Q; }
  // 13 significant bits; distinct for distinct VLANs (for hashing and packing keys).
  constexpr uint16_t raw() const { return raw_; }

  friend constexpr bool operator==(VlanId, VlanId) = default;

 private:
  static constexpr uint16_t kServiceBit = 0x1000;
  static constexpr VlanId Make(uint16_t vid, bool service) {
    VlanId v;
    vid &= 0x0fff;
    v.raw_ = vid == 0 ? 0 : static_cast<uint16_t>(vid | (service ? kServiceBit : 0));
    return v;
  }
  uint16_t raw_ = 0;
};

}  // namespace softvf::eswitch
