// Ports of the embedded switch (VEB) of one PF: the uplink (the wire), the PF's host port,
// and one port per VF.
//
// The numbering is fixed by the VF index (uplink 0, PF 1, VF n at n + 2) so that a VF's
// port, its counters and the FDB entries that name it never move when other VFs come and
// go: VFs are allocated once up to TotalVFs and only enabled or disabled, as in the model.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace softvf::eswitch {

// The largest VF count one switch serves (the 1024-VF ARI scale case); with the uplink
// and the PF this bounds every per-port table and the flood bitset.
inline constexpr uint16_t kMaxVfs = 1024;
inline constexpr uint16_t kMaxPorts = kMaxVfs + 2;

enum class PortKind : uint8_t {
  kUplink,  // the wire
  kPfHost,  // the PF's own netdev on the host
  kVf,      // a virtual function
};

class PortId {
 public:
  constexpr PortId() = default;  // invalid
  constexpr explicit PortId(uint16_t value) : value_(value) {}

  static constexpr PortId Uplink() { return PortId(0); }
  static constexpr PortId PfHost() { return PortId(1); }
  static constexpr PortId Vf(uint16_t vf) { return PortId(static_cast<uint16_t>(vf + 2)); }

  constexpr uint16_t value() const { return value_; }
  constexpr bool valid() const { return value_ < kMaxPorts; }
  constexpr PortKind kind() const {
    return value_ == 0 ? PortKind::kUplink : value_ == 1 ? PortKind::kPfHost : PortKind::kVf;
  }
  constexpr bool is_vf() const { return kind() == PortKind::kVf; }
  // Only meaningful when is_vf().
  constexpr uint16_t vf_index() const { return static_cast<uint16_t>(value_ - 2); }

  friend constexpr auto operator<=>(PortId, PortId) = default;

 private:
  uint16_t value_ = 0xffff;
};

// "uplink", "pf", "vf3": the names `softvf stats` and `fdb show` print.
std::string PortName(PortId port);

}  // namespace softvf::eswitch
