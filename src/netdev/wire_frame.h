// Restoring a received frame to the bytes that were on the wire, for frames an AF_PACKET
// socket hands over in the kernel's form rather than the wire's:
//   - the outer VLAN tag stripped into metadata (PACKET_AUXDATA's tp_vlan_tci and
//     tp_vlan_tpid): net/core/dev.c __netif_receive_skb_core untags every 802.1Q/802.1ad
//     frame, in software if the device did not, before any packet tap sees it;
//   - the L4 checksum left to hardware (CHECKSUM_PARTIAL, PACKET_VNET_HDR's
//     VIRTIO_NET_HDR_F_NEEDS_CSUM): a sender on the same host (a veth peer's stack) hands
//     over frames whose checksum field holds only the pseudo-header sum.
// Pure functions on a buffer, so they are tested without a kernel.
#pragma once

#include <cstdint>

namespace softvf::netdev {

// The frame is buffer[offset, offset + len) with offset >= 4 and len >= 12. Moves its two
// MAC addresses 4 bytes towards the buffer's start and writes the tag (TPID, TCI in
// network order) behind them: offset -= 4, len += 4.
void ReinsertVlanTag(uint8_t* buffer, uint32_t& offset, uint32_t& len, uint16_t tpid, uint16_t tci);

// What a NIC does for CHECKSUM_PARTIAL (net/core/dev.c skb_checksum_help): the
// ones'-complement sum of frame[start, len) — the field at start + field_offset holds the
// pseudo-header sum — complemented into that field, 0 sent as 0xffff. False (frame
// untouched) when the field does not lie inside the frame.
bool CompleteChecksum(uint8_t* frame, uint32_t len, uint32_t start, uint32_t field_offset);

// The 16-bit ones'-complement sum of data[0, len) in memory order (RFC 1071), not folded
// past 16 bits and not complemented. Stored back in memory order it reads correctly in
// network order on any host.
uint16_t OnesComplementSum(const uint8_t* data, uint32_t len);

}  // namespace softvf::netdev
