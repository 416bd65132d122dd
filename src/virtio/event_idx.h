// The event-index notification test (virtio 1.x 2.7.7/2.7.10 and the vring_need_event()
// helper of the spec's virtio_ring.h appendix).
//
// With VIRTIO_F_EVENT_IDX the other side publishes "wake me once you write the entry
// with index event_idx". Having moved our index from old_idx to new_idx, we must notify
// iff event_idx lies in [old_idx, new_idx) — computed in 16-bit modular arithmetic
// because the indices are free-running and wrap at 65536.
#pragma once

#include <cstdint>

namespace softvf::virtio {

constexpr bool VringNeedEvent(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event_idx - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

}  // namespace softvf::virtio
