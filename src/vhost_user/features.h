// The features a softvf VF offers over vhost-user. Constant: a front end that reconnects
// after a daemon restart must see the same set, or QEMU refuses the device (the OVS
// upgrade lesson in shared/reference/vhost-user-backend-notes.md).
#pragma once

#include <cstdint>

#include "vhost_user/message.h"

namespace softvf::vhost_user {

inline constexpr int kVirtioNetFMtu = 3;
inline constexpr int kVirtioNetFMac = 5;
inline constexpr int kVirtioNetFMrgRxbuf = 15;
inline constexpr int kVirtioNetFStatus = 16;
inline constexpr int kVirtioNetFMq = 22;
inline constexpr int kVirtioRingFIndirectDesc = 28;
inline constexpr int kVirtioRingFEventIdx = 29;
inline constexpr int kVhostUserFProtocolFeatures = 30;
inline constexpr int kVirtioFVersion1 = 32;
inline constexpr int kVirtioFInOrder = 35;

constexpr uint64_t Bit(int n) {
  return uint64_t{1} << n;
}

inline constexpr uint64_t kOfferedFeatures =
    Bit(kVirtioNetFMtu) | Bit(kVirtioNetFMac) | Bit(kVirtioNetFMrgRxbuf) | Bit(kVirtioNetFStatus) |
    Bit(kVirtioNetFMq) | Bit(kVirtioRingFIndirectDesc) | Bit(kVirtioRingFEventIdx) |
    Bit(kVhostUserFProtocolFeatures) | Bit(kVirtioFVersion1) | Bit(kVirtioFInOrder);

inline constexpr uint64_t kOfferedProtocolFeatures =
    Bit(kProtocolMq) | Bit(kProtocolReplyAck) | Bit(kProtocolConfig) | Bit(kProtocolStatus);

}  // namespace softvf::vhost_user
