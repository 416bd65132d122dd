// The virtio-net packet header (virtio 1.x 5.1.6 "Device Operation", struct
// virtio_net_hdr, and 5.1.6.3/5.1.6.4 for num_buffers).
//
// With VIRTIO_F_VERSION_1 or VIRTIO_NET_F_MRG_RXBUF the header is always these 12 bytes,
// num_buffers included (Linux d04302b334bd); only a legacy driver without MRG_RXBUF uses
// the first 10. It precedes every frame on both queues and may share a descriptor with
// the frame (5.1.6.2, 2.7.4 "Message Framing"). Fields are little-endian on the wire;
// the struct holds wire values and is only ever copied, never accessed in guest memory.
#pragma once

#include <cstdint>

#include "virtio/le.h"

namespace softvf::virtio {

struct [[gnu::packed]] VirtioNetHeader {
  uint8_t flags = 0;
  uint8_t gso_type = 0;
  uint16_t hdr_len = 0;      // le16
  uint16_t gso_size = 0;     // le16
  uint16_t csum_start = 0;   // le16
  uint16_t csum_offset = 0;  // le16
  uint16_t num_buffers = 0;  // le16: RX buffers this frame spans; 0 on TX
};
static_assert(sizeof(VirtioNetHeader) == 12, "virtio_net_hdr_mrg_rxbuf is 12 bytes");

inline constexpr uint32_t kNetHeaderLen = 12;        // VERSION_1 or MRG_RXBUF
inline constexpr uint32_t kLegacyNetHeaderLen = 10;  // legacy, no MRG_RXBUF

// flags
inline constexpr uint8_t kNetHdrFNeedsCsum = 1;
inline constexpr uint8_t kNetHdrFDataValid = 2;
inline constexpr uint8_t kNetHdrFRscInfo = 4;
// gso_type
inline constexpr uint8_t kNetHdrGsoNone = 0;
inline constexpr uint8_t kNetHdrGsoTcpV4 = 1;
inline constexpr uint8_t kNetHdrGsoUdp = 3;
inline constexpr uint8_t kNetHdrGsoTcpV6 = 4;
inline constexpr uint8_t kNetHdrGsoUdpL4 = 5;
inline constexpr uint8_t kNetHdrGsoEcn = 0x80;

constexpr uint32_t NetHeaderLength(bool version_1, bool mrg_rxbuf) {
  return (version_1 || mrg_rxbuf) ? kNetHeaderLen : kLegacyNetHeaderLen;
}

inline uint16_t NumBuffers(const VirtioNetHeader& h) {
  return Le16(h.num_buffers);
}
inline void SetNumBuffers(VirtioNetHeader& h, uint16_t n) {
  h.num_buffers = Le16(n);
}

}  // namespace softvf::virtio
