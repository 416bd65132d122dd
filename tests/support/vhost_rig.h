// The driver side for the real Worker and VfPorts in one process: guest memory shared the
// vhost-user way (one memfd; front-end addresses are our mapping of it), split rings laid
// out in it, and a minimal front end that sets rings 0 (RX) and 1 (TX) up over the VF's
// socket with the messages QEMU and virtio-user send. Used by bench/forward_bench.cc and
// tests/datapath.
#pragma once

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "vhost_user/message.h"
#include "virtio/ring_layout.h"

namespace softvf::testing {

// Writes `len` bytes and passes `fds` with them (SCM_RIGHTS), as one sendmsg; true when
// all of it went out (false once the other side has closed). Any number of fds: the
// hostile front end sends more than the protocol allows.
inline bool SendBytes(int fd, const void* data, size_t len, const std::vector<int>& fds = {}) {
  iovec iov{const_cast<void*>(data), len};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (fds.empty() ? 1 : fds.size())));
  if (!fds.empty()) {
    mh.msg_control = control.data();
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = sendmsg(fd, &mh, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(len);
}

// One vhost-user message: the header (claiming `header_size` bytes, by default the
// payload's), the payload and its fds.
inline bool SendMessage(int fd, uint32_t request, const void* payload, uint32_t size,
                        const std::vector<int>& fds = {}, uint32_t flags = vhost_user::kFlagVersion,
                        std::optional<uint32_t> header_size = std::nullopt) {
  vhost_user::Header h{request, flags, header_size.value_or(size)};
  std::vector<uint8_t> buf(sizeof h + size);
  std::memcpy(buf.data(), &h, sizeof h);
  if (size) std::memcpy(buf.data() + sizeof h, payload, size);
  return SendBytes(fd, buf.data(), buf.size(), fds);
}

struct SharedMemory {
  explicit SharedMemory(uint64_t bytes) : size(bytes) {
    fd = memfd_create("softvf-rig", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) return;
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    base = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
  }
  ~SharedMemory() {
    if (base) munmap(base, size);
    if (fd >= 0) close(fd);
  }
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  uint64_t user(uint64_t gpa) const { return reinterpret_cast<uint64_t>(base) + gpa; }

  uint64_t size;
  int fd = -1;
  uint8_t* base = nullptr;
};

// The driver side of one split ring at `gpa` (descriptors, avail, used), with `size`
// buffers of `buf_size` bytes from `data_gpa` on: descriptor i points at buffer i.
struct DriverRing {
  DriverRing(uint8_t* base, uint32_t ring_size, uint64_t gpa, uint64_t data_gpa,
             uint32_t buffer_size)
      : mem(base), size(ring_size), buf_size(buffer_size), desc(gpa), data(data_gpa) {
    avail = desc + virtio::ring::DescTableBytes(size);
    used = (avail + virtio::ring::AvailRingBytes(size, true) + 4095) & ~uint64_t{4095};
  }
  template <typename T>
  T& at(uint64_t gpa) {
    return *reinterpret_cast<T*>(mem + gpa);
  }
  uint64_t buffer(uint32_t i) const { return data + uint64_t{buf_size} * i; }
  void SetDescriptor(uint32_t i, uint64_t addr, uint32_t len, uint16_t flags) {
    uint8_t* d = mem + desc + 16 * i;
    std::memcpy(d, &addr, 8);
    std::memcpy(d + 8, &len, 4);
    std::memcpy(d + 12, &flags, 2);
  }
  void InitDescriptors(uint32_t len, bool writable) {
    for (uint32_t i = 0; i < size; ++i)
      SetDescriptor(i, buffer(i), len, writable ? virtio::ring::kDescFWrite : 0);
  }
  void Offer(uint16_t head) {
    at<uint16_t>(avail + virtio::ring::AvailRingEntry(avail_idx % size)) = head;
    ++avail_idx;
  }
  void Publish() {
    __atomic_store_n(&at<uint16_t>(avail + virtio::ring::kAvailIdx), avail_idx, __ATOMIC_RELEASE);
  }
  uint16_t UsedIdx() {
    return __atomic_load_n(&at<uint16_t>(used + virtio::ring::kUsedIdx), __ATOMIC_ACQUIRE);
  }
  struct Used {
    uint32_t id, len;
  };
  Used UsedAt(uint16_t k) {
    const uint64_t e = used + virtio::ring::UsedRingEntry(k % size);
    return Used{at<uint32_t>(e), at<uint32_t>(e + 4)};
  }
  // Re-offers every buffer the device has returned; returns how many.
  uint16_t Recycle() {
    const uint16_t used_idx = UsedIdx();
    const auto n = static_cast<uint16_t>(used_idx - used_seen);
    for (; used_seen != used_idx; ++used_seen) Offer(static_cast<uint16_t>(UsedAt(used_seen).id));
    return n;
  }

  uint8_t* mem;
  uint32_t size, buf_size;
  uint64_t desc, avail = 0, used = 0, data;
  uint16_t avail_idx = 0, used_seen = 0;
};

// A minimal vhost-user front end: enough messages to start rings 0 (RX) and 1 (TX).
class FrontEnd {
 public:
  FrontEnd(const std::string& path, const SharedMemory& mem) : mem_(mem) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~FrontEnd() {
    close(fd_);
    for (int fd : eventfds_) close(fd);
  }
  FrontEnd(const FrontEnd&) = delete;
  FrontEnd& operator=(const FrontEnd&) = delete;
  bool ok() const { return ok_; }

  void Setup(DriverRing& rx, DriverRing& tx, uint64_t features) {
    Send(vhost_user::Request::kSetOwner, nullptr, 0);
    Send(vhost_user::Request::kSetFeatures, &features, 8);
    vhost_user::Memory m{};
    m.nregions = 1;
    m.regions[0] = {0, mem_.size, mem_.user(0), 0};
    Send(vhost_user::Request::kSetMemTable, &m, 8 + sizeof(vhost_user::MemoryRegion), mem_.fd);
    StartRing(0, rx);
    StartRing(1, tx);
  }

 private:
  void StartRing(uint32_t index, DriverRing& r) {
    vhost_user::VringState num{index, r.size}, base{index, 0};
    Send(vhost_user::Request::kSetVringNum, &num, sizeof num);
    vhost_user::VringAddr addr{index, 0, mem_.user(r.desc), mem_.user(r.used), mem_.user(r.avail),
                               0};
    Send(vhost_user::Request::kSetVringAddr, &addr, sizeof addr);
    Send(vhost_user::Request::kSetVringBase, &base, sizeof base);
    uint64_t i = index;
    Send(vhost_user::Request::kSetVringCall, &i, 8, NewEventFd());
    Send(vhost_user::Request::kSetVringKick, &i, 8, NewEventFd());
  }
  int NewEventFd() {
    eventfds_.push_back(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    return eventfds_.back();
  }
  void Send(vhost_user::Request r, const void* payload, uint32_t size, int fd = -1) {
    ok_ = ok_ && SendMessage(fd_, static_cast<uint32_t>(r), payload, size,
                             fd >= 0 ? std::vector<int>{fd} : std::vector<int>{});
  }

  const SharedMemory& mem_;
  int fd_ = -1;
  bool ok_ = false;
  std::vector<int> eventfds_;
};

}  // namespace softvf::testing
