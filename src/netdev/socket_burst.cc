#include "netdev/socket_burst.h"

#include <cerrno>
#include <cstring>

namespace softvf::netdev {

size_t ReceiveMessages(int fd, mmsghdr* msgs, size_t count, PortCounters& counters) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    int n = ::recvmmsg(fd, msgs, static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (errno != EINTR) ++counters.socket_errors;
  }
  return 0;
}

size_t SendMessages(int fd, mmsghdr* msgs, size_t count, const uint32_t* frame_len,
                    PortCounters& counters) {
  size_t sent = 0;
  size_t i = 0;
  while (i < count) {
    int n = ::sendmmsg(fd, msgs + i, static_cast<unsigned>(count - i), MSG_DONTWAIT);
    if (n > 0) {
      for (size_t k = i; k < i + static_cast<size_t>(n); ++k) {
        ++counters.tx_frames;
        counters.tx_bytes += frame_len[k];
      }
      i += static_cast<size_t>(n);
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      counters.tx_dropped += count - i;  // never wait: the rest of the burst is lost
      break;
    }
    ++counters.tx_errors;  // frame i refused (ENETDOWN, ECONNREFUSED, EMSGSIZE, ...)
    ++i;
  }
  return sent;
}

int64_t DropCount(const msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
        c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
      uint32_t drops;
      std::memcpy(&drops, CMSG_DATA(c), sizeof(drops));
      return drops;
    }
  }
  return -1;
}

void SetSocketBuffers(int fd, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) < 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

int64_t FrameLength(const iovec* iov, int iovcnt, uint32_t max_len) {
  if (iov == nullptr || iovcnt < 1 || iovcnt > kMaxTxSlices) return -1;
  uint64_t len = 0;
  for (int i = 0; i < iovcnt; ++i) {
    if (iov[i].iov_base == nullptr && iov[i].iov_len != 0) return -1;
    len += iov[i].iov_len;
    if (len > max_len) return -1;
  }
  return static_cast<int64_t>(len);
}

}  // namespace softvf::netdev
