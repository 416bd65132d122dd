// Why a split virtqueue stopped (virtio 1.x 2.7: every reason is a driver MUST or a
// structural limit of the ring). A misbehaving guest gets its queue stopped and one of
// these counted — never a crash, never an access outside its memory map.
#pragma once

#include <cstddef>
#include <cstdint>

namespace softvf::virtio {

enum class QueueError : uint8_t {
  kBadRingAddress,  // a ring is not inside one region, or its host address is misaligned
  kBadAddress,      // a buffer or an indirect table is not inside guest memory
  kBadLength,       // addr + len wraps 2^64, or the chain totals more than 2^32 - 1 bytes
  kBadHead,         // an available ring entry >= queue size
  kBadNext,         // a next field >= the size of the table it indexes
  kBadIndex,        // avail idx moved more than queue size past what we consumed (2.7.6)
  kLoop,            // a chain revisits a descriptor (2.7.5: loops are forbidden)
  kTooLong,         // more descriptors than the queue size, or more segments than we hold
  kBadIndirect,     // 2.7.5.3.1: not negotiated, nested, with NEXT, len not 16*n (n >= 1),
                    // or more entries than the queue size
  kBadOrder,        // a device-readable descriptor after a device-writable one (2.7.4.2)
};
inline constexpr size_t kQueueErrorCount = static_cast<size_t>(QueueError::kBadOrder) + 1;

// Stable snake_case names for counters in show output, e.g. "bad_address".
const char* QueueErrorName(QueueError error);

}  // namespace softvf::virtio
