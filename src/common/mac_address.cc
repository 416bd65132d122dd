#include "common/mac_address.h"

#include <cstdio>

namespace softvf {

namespace {
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<MacAddress> MacAddress::Parse(std::string_view text) {
  std::array<uint8_t, 6> out{};
  size_t pos = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    int value = 0;
    int digits = 0;
    while (pos < text.size() && digits < 2 && HexDigit(text[pos]) >= 0) {
      value = value * 16 + HexDigit(text[pos]);
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(value);
    if (i + 1 < out.size()) {
      if (pos >= text.size() || text[pos] != ':') return std::nullopt;
      ++pos;
    }
  }
  if (pos != text.size()) return std::nullopt;
  return MacAddress(out);
}


std::string MacAddress::ToString() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes_[0], bytes_[1], bytes_[2],
                bytes_[3], bytes_[4], bytes_[5]);
  return buf;
}

}  // namespace softvf
