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
// Big-endian, so the value reads like the address. Two loads of the sizes the address is
// usually stored with (ParseFrame writes it 4 + 2): one 8-byte load over a 6-byte copy
// on the stack missed store forwarding, a stall on every frame (~5% at 64 B).
inline uint64_t MacBits(const MacAddress& mac) {
  uint32_t hi;
  uint16_t lo;
  std::memcpy(&hi, mac.bytes().data(), 4);
  std::memcpy(&lo, mac.bytes().data() + 4, 2);
  if constexpr (std::endian::native == std::endian::big) return uint64_t{hi} << 16 | lo;
  return uint64_t{__builtin_bswap32(hi)} << 16 | __builtin_bswap16(lo);
}

}  // namespace softvf::eswitch
