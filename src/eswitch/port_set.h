// PortSet: a fixed-size bitset over every port a switch can have, the flood set of one
// frame. Fixed size so a forwarding decision never allocates; iteration jumps from set
// bit to set bit so flooding to a few ports of a 1026-port switch costs a few words.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "eswitch/port.h"

namespace softvf::eswitch {

class PortSet {
 public:
  static constexpr size_t kWords = (kMaxPorts + 63) / 64;

  // Out-of-range ports are ignored rather than trusted: a set is never written past its end.
  void Set(PortId p) {
    if (p.valid()) words_[p.value() / 64] |= Bit(p);
  }
  void Reset(PortId p) {
    if (p.valid()) words_[p.value() / 64] &= ~Bit(p);
  }
  bool Test(PortId p) const { return p.valid() && (words_[p.value() / 64] & Bit(p)) != 0; }
  void Clear() { words_ = {}; }

  bool Empty() const {
    for (uint64_t w : words_)
      if (w != 0) return false;
    return true;
  }
  size_t Count() const {
    size_t n = 0;
    for (uint64_t w : words_) n += static_cast<size_t>(std::popcount(w));
    return n;
  }

  PortSet& operator|=(const PortSet& o) {
    for (size_t i = 0; i < kWords; ++i) words_[i] |= o.words_[i];
    return *this;
  }
  PortSet& operator&=(const PortSet& o) {
    for (size_t i = 0; i < kWords; ++i) words_[i] &= o.words_[i];
    return *this;
  }

  // Calls fn(PortId) for each member in increasing port order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < kWords; ++i) {
      for (uint64_t w = words_[i]; w != 0; w &= w - 1)
        fn(PortId(static_cast<uint16_t>(i * 64 + static_cast<size_t>(std::countr_zero(w)))));
    }
  }

  friend bool operator==(const PortSet&, const PortSet&) = default;

 private:
  static uint64_t Bit(PortId p) { return uint64_t{1} << (p.value() % 64); }
  std::array<uint64_t, kWords> words_{};
};

}  // namespace softvf::eswitch
