// The 64-bit mixer both of the switch's hash tables use (MurmurHash3's fmix64 finalizer:
// a bijection, so distinct keys never collide on the full 64 bits, and every input bit
// reaches every output bit, so the low bits used as a table index are well spread).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "common/mac_address.h"

namespace softvf::eswitch {

constexpr uint64_t Mix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

// The 48 address bits in the low bits of a word, for packing into keys.
// Big-endian, so the value reads like the address; one load and a byte swap.
inline uint64_t MacBits(const MacAddress& mac) {
  uint64_t v = 0;
  std::memcpy(&v, mac.bytes().data(), 6);
  if constexpr (std::endian::native == std::endian::big) return v >> 16;
  return __builtin_bswap64(v) >> 16;
}

}  // namespace softvf::eswitch
