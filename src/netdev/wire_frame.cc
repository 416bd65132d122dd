#include "netdev/wire_frame.h"

#include <cstring>

namespace softvf::netdev {

void ReinsertVlanTag(uint8_t* buffer, uint32_t& offset, uint32_t& len, uint16_t tpid,
                     uint16_t tci) {
  uint8_t* frame = buffer + offset - 4;
  std::memmove(frame, buffer + offset, 12);
  const uint8_t tag[4] = {static_cast<uint8_t>(tpid >> 8), static_cast<uint8_t>(tpid),
                          static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)};
  std::memcpy(frame + 12, tag, sizeof(tag));
  offset -= 4;
  len += 4;
}

uint16_t OnesComplementSum(const uint8_t* data, uint32_t len) {
  // Byte-order independent (RFC 1071 2.(B)): sum 32-bit words in memory order, fold.
  uint64_t sum = 0;
  uint32_t i = 0;
  for (; i + 4 <= len; i += 4) {
    uint32_t word;
    std::memcpy(&word, data + i, 4);
    sum += word;
  }
  if (i + 2 <= len) {
    uint16_t half;
    std::memcpy(&half, data + i, 2);
    sum += half;
    i += 2;
  }
  if (i < len) {  // the odd last byte, padded with a zero byte after it
    const uint8_t last[2] = {data[i], 0};
    uint16_t half;
    std::memcpy(&half, last, 2);
    sum += half;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

bool CompleteChecksum(uint8_t* frame, uint32_t len, uint32_t start, uint32_t field_offset) {
  if (start > len || field_offset > len - start || len - start - field_offset < 2) return false;
  uint16_t csum = static_cast<uint16_t>(~OnesComplementSum(frame + start, len - start));
  if (csum == 0) csum = 0xffff;  // CSUM_MANGLED_0: 0 means "no checksum" to UDP
  std::memcpy(frame + start + field_offset, &csum, 2);
  return true;
}

}  // namespace softvf::netdev
