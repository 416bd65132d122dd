#include "pci/bdf.h"

#include <charconv>
#include <cstdio>

namespace softvf {

namespace {
std::optional<unsigned> ParseHex(std::string_view text, size_t max_digits, unsigned max_value) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || ptr != text.data() + text.size() || value > max_value)
    return std::nullopt;
  return value;
}
}  // namespace

std::optional<Bdf> Bdf::Parse(std::string_view text) {
  unsigned domain = 0;
  size_t first = text.find(':');
  size_t second = text.find(':', first == std::string_view::npos ? 0 : first + 1);
  if (first == std::string_view::npos) return std::nullopt;
  if (second != std::string_view::npos) {
    auto d = ParseHex(text.substr(0, first), 4, 0xffff);
    if (!d) return std::nullopt;
    domain = *d;
    text = text.substr(first + 1);
  }
  size_t colon = text.find(':');
  size_t dot = text.find('.');
  if (colon == std::string_view::npos || dot == std::string_view::npos || dot < colon)
    return std::nullopt;
  auto bus = ParseHex(text.substr(0, colon), 2, 0xff);
  auto dev = ParseHex(text.substr(colon + 1, dot - colon - 1), 2, 0x1f);
  auto fn = ParseHex(text.substr(dot + 1), 1, 7);
  if (!bus || !dev || !fn) return std::nullopt;
  return Bdf(static_cast<uint16_t>(domain), static_cast<uint8_t>(*bus), static_cast<uint8_t>(*dev),
             static_cast<uint8_t>(*fn));
}

std::string Bdf::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain_, bus_, device(), function());
  return buf;
}

std::string Bdf::ToShortString() const {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%02x:%02x.%x", bus_, device(), function());
  return buf;
}

uint32_t VfBusNumber(RoutingId pf, uint16_t first_vf_offset, uint16_t vf_stride, uint32_t index) {
  uint32_t devfn = pf.devfn() + first_vf_offset + uint32_t{vf_stride} * index;
  return pf.bus() + (devfn >> 8);
}

std::optional<RoutingId> VfRoutingId(RoutingId pf, uint16_t first_vf_offset, uint16_t vf_stride,
                                     uint32_t index) {
  uint32_t bus = VfBusNumber(pf, first_vf_offset, vf_stride, index);
  if (bus > 0xff) return std::nullopt;
  uint32_t devfn = (pf.devfn() + first_vf_offset + uint32_t{vf_stride} * index) & 0xff;
  return RoutingId{static_cast<uint16_t>((bus << 8) | devfn)};
}

}  // namespace softvf
