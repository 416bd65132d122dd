// Little-endian helpers for virtio 1.x wire fields.
//
// Virtio 1.x rings and device headers are little-endian (spec 2.7 "le16/le32/le64"; the
// legacy native-endian layout is not supported). On little-endian hosts these compile to
// nothing; they exist so every guest-visible field goes through one named conversion.
#pragma once

#include <bit>
#include <cstdint>

namespace softvf::virtio {

constexpr uint16_t Le16(uint16_t v) {
  if constexpr (std::endian::native == std::endian::big) return __builtin_bswap16(v);
  return v;
}
constexpr uint32_t Le32(uint32_t v) {
  if constexpr (std::endian::native == std::endian::big) return __builtin_bswap32(v);
  return v;
}
constexpr uint64_t Le64(uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) return __builtin_bswap64(v);
  return v;
}

}  // namespace softvf::virtio
