// The VLAN edit a frame gets on its way to one egress port, and the copy that applies it.
//
// Port VLANs are access ports: frames inside the VF carry no tag and frames on the wire,
// on the PF and on VFs without a port VLAN (trunks) carry it. So a frame needs a tag
// pushed when it goes from a port-VLAN VF to a trunk, popped when it goes from a trunk to
// a port-VLAN VF, and nothing otherwise. The tag always sits at byte 12.
#pragma once

#include <cstddef>
#include <cstdint>

#include "eswitch/ethernet.h"

namespace softvf::eswitch {

enum class VlanAction : uint8_t {
  kNone,
  kPush,  // insert a tag after the source MAC
  kPop,   // remove the outer tag
};

constexpr size_t EditedLength(size_t len, VlanAction action) {
  return action == VlanAction::kPush  ? len + kVlanTagLen
         : action == VlanAction::kPop ? len - kVlanTagLen
                                      : len;
}

// Copies `frame` into `out` applying `action` (`push` is the tag for kPush). Returns the
// bytes written, or 0 when `out_cap` is too small or a pop finds no outer tag (a frame
// shorter than a tagged header). This is the contiguous-buffer case (pooled buffers, the
// wire, TAP); a scatter copy into guest buffers does the same three pieces: bytes 0..11,
// the tag (or nothing), the rest.
size_t CopyWithVlanEdit(const uint8_t* frame, size_t len, VlanAction action, VlanTag push,
                        uint8_t* out, size_t out_cap);

}  // namespace softvf::eswitch
