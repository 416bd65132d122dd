// Feature bits the virtio data path acts on (virtio 1.x 6 "Reserved Feature Bits" and
// 5.1.3 "Network Device / Feature bits"). The vhost-user layer negotiates them; the
// queue and the net helpers only receive the booleans they need.
#pragma once

#include <cstdint>

namespace softvf::virtio {

inline constexpr unsigned kNetFMrgRxbuf = 15;       // VIRTIO_NET_F_MRG_RXBUF
inline constexpr unsigned kFAnyLayout = 27;         // VIRTIO_F_ANY_LAYOUT (legacy)
inline constexpr unsigned kRingFIndirectDesc = 28;  // VIRTIO_F_INDIRECT_DESC
inline constexpr unsigned kRingFEventIdx = 29;      // VIRTIO_F_EVENT_IDX
inline constexpr unsigned kFVersion1 = 32;          // VIRTIO_F_VERSION_1
inline constexpr unsigned kFAccessPlatform = 33;    // VIRTIO_F_ACCESS_PLATFORM (not handled here)
inline constexpr unsigned kFRingPacked = 34;        // VIRTIO_F_RING_PACKED (not handled here)

constexpr bool HasFeature(uint64_t features, unsigned bit) {
  return (features >> bit) & 1;
}

}  // namespace softvf::virtio
