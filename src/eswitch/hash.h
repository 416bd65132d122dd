// The 64-bit mixer both of the switch's hash tables use (MurmurHash3's fmix64 finalizer:
// a bijection, so distinct keys never collide on the full 64 bits, and every input bit
// reaches every output bit, so the low bits used as a table index are well spread).
#pragma once

#include <cstdint>

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
inline uint64_t MacBits(const MacAddress& mac) {
  uint64_t v = 0;
  for (uint8_t b : mac.bytes()) v = v << 8 | b;
  return v;
}

}  // namespace softvf::eswitch
