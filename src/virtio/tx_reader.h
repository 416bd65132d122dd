// Reads one frame out of a virtio-net transmit chain (virtio 1.x 5.1.6.2 "Packet
// Transmission").
//
// The chain's device-readable bytes are the header followed by the frame. Under
// VERSION_1 (or legacy ANY_LAYOUT) the driver may lay them out any way (2.7.4): header
// and frame in one descriptor, the header alone, or even the header split across
// descriptors. The header is copied out; the frame is exposed as a FrameView of the
// sender's guest memory so the switch can copy it once, straight into the receiver's
// buffers. Writable descriptors (none are expected on TX) are ignored; the TX used
// length is 0 because the device writes nothing.
//
// The guest can rewrite its TX buffer while we look at it. Decide on copies: classify on
// a local copy of the headers (FrameView::CopyOut) and deliver that copy followed by
// FrameView::AppendFrom(frame, copied_len), never re-read guest bytes already judged.
#pragma once

#include <cstdint>

#include "virtio/descriptor_chain.h"
#include "virtio/frame_view.h"
#include "virtio/net_header.h"

namespace softvf::virtio {

// False if the readable part is shorter than header_len (a malformed TX buffer: drop it
// and give it back used with length 0). header_len is NetHeaderLength(): 12 or 10; with 10
// the header's num_buffers is left 0. A null header is not read (the switch offers no
// offloads, so it has no use for one: reading it would only touch guest memory).
bool ReadTxFrame(const DescriptorChain& chain, uint32_t header_len, VirtioNetHeader* header,
                 FrameView* frame);

}  // namespace softvf::virtio
