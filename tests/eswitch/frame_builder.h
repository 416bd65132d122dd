// Test helper: builds Ethernet frames byte by byte (and MAC addresses from text), so the
// tests state frames the way a capture shows them.
#pragma once

#include <cstdint>
#include <vector>

#include "common/mac_address.h"
#include "eswitch/ethernet.h"

namespace softvf::eswitch::testing {

inline MacAddress Mac(const char* text) {
  return *MacAddress::Parse(text);
}

struct Tag {
  uint16_t tpid;
  uint16_t tci;
};

// dst, src, the tags in order, the EtherType, then `payload` bytes counting 0, 1, 2, ...
inline std::vector<uint8_t> Frame(const MacAddress& dst, const MacAddress& src,
                                  std::vector<Tag> tags = {}, uint16_t ethertype = 0x0800,
                                  size_t payload = 46) {
  std::vector<uint8_t> f;
  for (uint8_t b : dst.bytes()) f.push_back(b);
  for (uint8_t b : src.bytes()) f.push_back(b);
  for (const Tag& t : tags) {
    f.push_back(static_cast<uint8_t>(t.tpid >> 8));
    f.push_back(static_cast<uint8_t>(t.tpid));
    f.push_back(static_cast<uint8_t>(t.tci >> 8));
    f.push_back(static_cast<uint8_t>(t.tci));
  }
  f.push_back(static_cast<uint8_t>(ethertype >> 8));
  f.push_back(static_cast<uint8_t>(ethertype));
  for (size_t i = 0; i < payload; ++i) f.push_back(static_cast<uint8_t>(i));
  return f;
}

}  // namespace softvf::eswitch::testing
