// Ethernet and 802.1Q/802.1ad wire formats, and the one parser the switch runs on every
// frame a port hands it.
//
// Wire structs hold bytes only (alignment 1, sizes asserted) and are filled by memcpy, so
// a frame at any address can be read without aliasing or alignment tricks. Frames come
// from guests: the parser never reads past the length it is given.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/mac_address.h"
#include "sriov/vf_config.h"  // kEthP8021Q, kEthP8021AD

namespace softvf::eswitch {

// A big-endian 16-bit field as it sits in the frame.
struct Be16 {
  std::array<uint8_t, 2> bytes{};
  constexpr uint16_t value() const { return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]); }
  static constexpr Be16 Of(uint16_t v) {
    return Be16{{static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v & 0xff)}};
  }
};
static_assert(sizeof(Be16) == 2);

struct EthernetHeader {
  std::array<uint8_t, 6> dst;
  std::array<uint8_t, 6> src;
  Be16 ethertype;  // or a TPID when a VLAN tag follows
};
static_assert(sizeof(EthernetHeader) == 14);

// One VLAN tag as it follows the source MAC: TPID then TCI = PCP(3) | DEI(1) | VID(12).
struct VlanHeader {
  Be16 tpid;
  Be16 tci;
};
static_assert(sizeof(VlanHeader) == 4);

inline constexpr size_t kEthernetHeaderLen = sizeof(EthernetHeader);
inline constexpr size_t kVlanTagLen = sizeof(VlanHeader);
// Where the outer tag (or the EtherType) starts: right after the two MAC addresses.
inline constexpr size_t kTagOffset = 12;

constexpr bool IsVlanTpid(uint16_t tpid) {
  return tpid == kEthP8021Q || tpid == kEthP8021AD;
}

// A tag's value in host order, e.g. the port VLAN tag the switch inserts.
struct VlanTag {
  uint16_t tpid = kEthP8021Q;
  uint16_t tci = 0;

  static constexpr VlanTag Make(uint16_t tpid, uint8_t pcp, bool dei, uint16_t vid) {
    return VlanTag{tpid,
                   static_cast<uint16_t>((pcp & 0x7) << 13 | (dei ? 1 : 0) << 12 | (vid & 0x0fff))};
  }
  constexpr uint16_t vid() const { return tci & 0x0fff; }
  constexpr uint8_t pcp() const { return static_cast<uint8_t>(tci >> 13); }
  constexpr bool dei() const { return (tci & 0x1000) != 0; }
  constexpr VlanHeader ToWire() const { return VlanHeader{Be16::Of(tpid), Be16::Of(tci)}; }
  friend constexpr bool operator==(const VlanTag&, const VlanTag&) = default;
};

// What the switch needs to know about a frame, read once at ingress.
struct FrameInfo {
  MacAddress dst;
  MacAddress src;
  bool tagged = false;  // an outer 802.1Q (0x8100) or 802.1ad (0x88a8) tag is present
  uint16_t tpid = 0;    // the outer tag's fields, valid when tagged
  uint16_t vid = 0;
  uint8_t pcp = 0;
  bool dei = false;
  bool double_tagged = false;  // a second tag follows the outer one (QinQ)
  uint16_t ethertype = 0;      // the EtherType after the (at most two) tags
  uint16_t l2_len = 0;         // 14, 18 or 22: header plus the tags parsed
};

// Reads the Ethernet header and up to two VLAN tags. Returns nullopt for a runt: fewer
// than 14 bytes, or a tag announced by its TPID that does not fit in `len`. Frames shorter
// than the 60-byte Ethernet minimum are accepted (guests do not pad; Linux accepts them).
std::optional<FrameInfo> ParseFrame(const uint8_t* data, size_t len);
// The same, filling `out` in place: the hot path's form. Returning the optional makes the
// compiler assemble FrameInfo on the stack with narrow stores and reload it wide, a
// store-forwarding stall per frame. `out` is unspecified when false is returned.
bool ParseFrame(const uint8_t* data, size_t len, FrameInfo& out);

}  // namespace softvf::eswitch
