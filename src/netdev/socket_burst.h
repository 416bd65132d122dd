// Bursts over a socket with recvmmsg/sendmmsg, shared by the AF_PACKET and UDP ports:
// one syscall moves up to kMaxBurst frames, straight between the socket and the
// caller's buffers (no staging copy).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "netdev/host_port.h"

namespace softvf::netdev {

// recvmmsg without waiting. A pending socket error (ENETDOWN, ECONNREFUSED) is consumed,
// counted in socket_errors, and the receive retried once: frames may wait behind it.
size_t ReceiveMessages(int fd, mmsghdr* msgs, size_t count, PortCounters& counters);

// sendmmsg of msgs[0, count) without waiting, resuming after a frame the kernel refuses
// (counted in tx_errors); a full queue drops the rest (tx_dropped). frame_len[i] is frame
// i's Ethernet length for tx_bytes. Returns how many frames the kernel took.
size_t SendMessages(int fd, mmsghdr* msgs, size_t count, const uint32_t* frame_len,
                    PortCounters& counters);

// The socket's drop count (SO_RXQ_OVFL) carried by a received message, or -1.
int64_t DropCount(const msghdr& msg);

// Socket buffers of `bytes` each way: SO_*BUFFORCE when permitted (root, so the bound
// is ours rather than net.core.[rw]mem_max), else SO_*BUF up to the system's maximum.
void SetSocketBuffers(int fd, int bytes);

// The byte length of an iovec list, or -1 when it is malformed (count out of
// [1, kMaxTxSlices], a null base with a length, more than max_len bytes in total).
int64_t FrameLength(const iovec* iov, int iovcnt, uint32_t max_len);

}  // namespace softvf::netdev
