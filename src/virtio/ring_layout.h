// The split virtqueue's memory layout (virtio 1.x 2.7: descriptor table 2.7.5, available
// ring 2.7.6, used ring 2.7.8) and the only ways this code touches it.
//
// The driver writes the available ring and the descriptors while we read them, and
// reads the used ring while we write it. So: descriptors are copied out once (16 bytes,
// then validated on our copy — never re-read, so the guest cannot change a field between
// check and use); the shared indices and flags go through relaxed atomic accesses (the
// callers add the fences the spec asks for); everything is little-endian.
#pragma once

#include <cstdint>
#include <cstring>

#include "virtio/le.h"

namespace softvf::virtio::ring {

// Descriptor flags (2.7.5).
inline constexpr uint16_t kDescFNext = 1;
inline constexpr uint16_t kDescFWrite = 2;
inline constexpr uint16_t kDescFIndirect = 4;
// Available ring flags (2.7.7) and used ring flags (2.7.10).
inline constexpr uint16_t kAvailFNoInterrupt = 1;
inline constexpr uint16_t kUsedFNoNotify = 1;

inline constexpr uint32_t kMaxQueueSize = 32768;  // 2.7: the largest power of 2 in 16 bits
inline constexpr uint64_t kDescSize = 16;
inline constexpr uint64_t kUsedElemSize = 8;
// Alignment the driver MUST give each part (2.7, table "Virtqueue Part / Alignment").
inline constexpr uint64_t kDescAlign = 16;
inline constexpr uint64_t kAvailAlign = 2;
inline constexpr uint64_t kUsedAlign = 4;

// Offsets inside the available ring: flags, idx, ring[size], used_event.
inline constexpr uint64_t kAvailFlags = 0;
inline constexpr uint64_t kAvailIdx = 2;
constexpr uint64_t AvailRingEntry(uint32_t slot) {
  return 4 + 2ull * slot;
}
constexpr uint64_t UsedEventOffset(uint32_t size) {
  return 4 + 2ull * size;
}
// Offsets inside the used ring: flags, idx, ring[size] of {le32 id, le32 len}, avail_event.
inline constexpr uint64_t kUsedFlags = 0;
inline constexpr uint64_t kUsedIdx = 2;
constexpr uint64_t UsedRingEntry(uint32_t slot) {
  return 4 + kUsedElemSize * slot;
}
constexpr uint64_t AvailEventOffset(uint32_t size) {
  return 4 + kUsedElemSize * size;
}

// Bytes each part spans; the trailing event field exists only with VIRTIO_F_EVENT_IDX.
constexpr uint64_t DescTableBytes(uint32_t size) {
  return kDescSize * size;
}
constexpr uint64_t AvailRingBytes(uint32_t size, bool event_idx) {
  return 4 + 2ull * size + (event_idx ? 2 : 0);
}
constexpr uint64_t UsedRingBytes(uint32_t size, bool event_idx) {
  return 4 + kUsedElemSize * size + (event_idx ? 2 : 0);
}

// struct virtq_desc, host byte order.
struct Descriptor {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(Descriptor) == kDescSize);

inline Descriptor LoadDescriptor(const uint8_t* p) {
  Descriptor d;
  std::memcpy(&d, p, sizeof(d));
  return Descriptor{Le64(d.addr), Le32(d.len), Le16(d.flags), Le16(d.next)};
}

// Shared 16-bit fields (avail idx/flags/used_event, used idx/flags/avail_event). The
// caller guarantees 2-byte alignment (checked when the rings are resolved).
inline uint16_t LoadShared16(const uint8_t* p) {
  return Le16(__atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_RELAXED));
}
inline void StoreShared16(uint8_t* p, uint16_t v) {
  __atomic_store_n(reinterpret_cast<uint16_t*>(p), Le16(v), __ATOMIC_RELAXED);
}

// A used element is only read by the driver after it sees the used idx move past it, so
// a plain copy suffices; the release fence before the idx store orders it.
inline void StoreUsedElem(uint8_t* p, uint32_t id, uint32_t len) {
  const uint32_t elem[2] = {Le32(id), Le32(len)};
  std::memcpy(p, elem, sizeof(elem));
}

}  // namespace softvf::virtio::ring
