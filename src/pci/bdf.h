// PCI addresses: Bdf (domain:bus:device.function) and RoutingId (bus<<8 | devfn).
//
// The VF routing-ID rule follows the SR-IOV spec as Linux computes it in
// drivers/pci/iov.c (pci_iov_virtfn_bus / pci_iov_virtfn_devfn): 16-bit arithmetic on
// the PF's routing ID, so VFs spill onto the next bus numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace softvf {

struct RoutingId {
  uint16_t value = 0;
  constexpr uint8_t bus() const { return static_cast<uint8_t>(value >> 8); }
  constexpr uint8_t devfn() const { return static_cast<uint8_t>(value & 0xff); }
  friend bool operator==(RoutingId, RoutingId) = default;
  friend auto operator<=>(RoutingId, RoutingId) = default;
};

class Bdf {
 public:
  constexpr Bdf() = default;
  constexpr Bdf(uint16_t domain, uint8_t bus, uint8_t device, uint8_t function)
      : domain_(domain), bus_(bus), devfn_(static_cast<uint8_t>((device << 3) | (function & 7))) {}
  static constexpr Bdf FromRoutingId(uint16_t domain, RoutingId rid) {
    Bdf b;
    b.domain_ = domain;
    b.bus_ = rid.bus();
    b.devfn_ = rid.devfn();
    return b;
  }

  // Accepts "DDDD:BB:DD.F" and "BB:DD.F" (domain 0), hex, as lspci and sysfs print them.
  static std::optional<Bdf> Parse(std::string_view text);

  uint16_t domain() const { return domain_; }
  uint8_t bus() const { return bus_; }
  uint8_t devfn() const { return devfn_; }
  uint8_t device() const { return devfn_ >> 3; }
  uint8_t function() const { return devfn_ & 7; }
  RoutingId routing_id() const { return RoutingId{static_cast<uint16_t>((bus_ << 8) | devfn_)}; }

  std::string ToString() const;       // "0000:31:10.1"
  std::string ToShortString() const;  // "31:10.1"

  friend bool operator==(const Bdf&, const Bdf&) = default;
  friend auto operator<=>(const Bdf&, const Bdf&) = default;

 private:
  uint16_t domain_ = 0;
  uint8_t bus_ = 0;
  uint8_t devfn_ = 0;
};

// Routing ID of VF `index` (0-based) of a PF, or nullopt when it lies past bus 255.
std::optional<RoutingId> VfRoutingId(RoutingId pf, uint16_t first_vf_offset, uint16_t vf_stride,
                                     uint32_t index);

// The bus number VF `index` lands on, which may exceed 255 (Linux pci_iov_virtfn_bus).
uint32_t VfBusNumber(RoutingId pf, uint16_t first_vf_offset, uint16_t vf_stride, uint32_t index);

}  // namespace softvf
