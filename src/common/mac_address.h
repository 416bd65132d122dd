// MacAddress: a 48-bit IEEE 802 address, a value type.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace softvf {

class MacAddress {
 public:
  constexpr MacAddress() = default;
  constexpr explicit MacAddress(std::array<uint8_t, 6> bytes) : bytes_(bytes) {}

  // Parses the canonical "xx:xx:xx:xx:xx:xx" form (one or two hex digits per byte).
  static std::optional<MacAddress> Parse(std::string_view text);
  static constexpr MacAddress Broadcast() {
    return MacAddress({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  }

  const std::array<uint8_t, 6>& bytes() const { return bytes_; }
  bool is_zero() const { return Bits() == 0; }
  // The I/G bit: set for multicast and broadcast (Linux is_multicast_ether_addr).
  bool is_multicast() const { return (bytes_[0] & 0x01) != 0; }
  bool is_broadcast() const { return *this == Broadcast(); }
  // Lower-case, colon-separated, as iproute2 prints it.
  std::string ToString() const;

  // The switch compares addresses per frame: two loads, not a memcmp call for 6 bytes.
  friend bool operator==(const MacAddress& a, const MacAddress& b) { return a.Bits() == b.Bits(); }

 private:
  uint64_t Bits() const {
    uint32_t hi;
    uint16_t lo;
    std::memcpy(&hi, bytes_.data(), 4);
    std::memcpy(&lo, bytes_.data() + 4, 2);
    return (uint64_t{hi} << 16) | lo;
  }

  std::array<uint8_t, 6> bytes_{};
};

}  // namespace softvf
