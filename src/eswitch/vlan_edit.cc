#include "eswitch/vlan_edit.h"

#include <cstring>

namespace softvf::eswitch {

size_t CopyWithVlanEdit(const uint8_t* frame, size_t len, VlanAction action, VlanTag push,
                        uint8_t* out, size_t out_cap) {
  if (len < kEthernetHeaderLen) return 0;
  switch (action) {
    case VlanAction::kNone:
      if (out_cap < len) return 0;
      std::memcpy(out, frame, len);
      return len;
    case VlanAction::kPush: {
      if (out_cap < len + kVlanTagLen) return 0;
      const VlanHeader tag = push.ToWire();
      std::memcpy(out, frame, kTagOffset);
      std::memcpy(out + kTagOffset, &tag, sizeof tag);
      std::memcpy(out + kTagOffset + kVlanTagLen, frame + kTagOffset, len - kTagOffset);
      return len + kVlanTagLen;
    }
    case VlanAction::kPop: {
      const uint16_t tpid = Be16{{frame[kTagOffset], frame[kTagOffset + 1]}}.value();
      if (len < kEthernetHeaderLen + kVlanTagLen || !IsVlanTpid(tpid)) return 0;
      if (out_cap < len - kVlanTagLen) return 0;
      std::memcpy(out, frame, kTagOffset);
      std::memcpy(out + kTagOffset, frame + kTagOffset + kVlanTagLen,
                  len - kTagOffset - kVlanTagLen);
      return len - kVlanTagLen;
    }
  }
  return 0;
}

}  // namespace softvf::eswitch
