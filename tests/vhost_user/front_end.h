// A scripted vhost-user front end for tests: sends messages with fds over a socketpair
// the way QEMU and DPDK virtio-user do, and reads replies. Usable for hostile sequences.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "vhost_user/connection.h"
#include "vhost_user/message.h"

namespace softvf::vhost_user::testing {

class FrontEnd {
 public:
  FrontEnd() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    fd_ = sv[0];
    backend_side_ = std::make_unique<Connection>(sv[1]);
  }
  ~FrontEnd() { close(fd_); }
  Connection& backend_side() { return *backend_side_; }
  int fd() const { return fd_; }

  void Send(Request r, const void* payload, uint32_t size, std::vector<int> fds = {},
            uint32_t flags = kFlagVersion) {
    Header h{static_cast<uint32_t>(r), flags, size};
    std::vector<uint8_t> buf(sizeof h + size);
    std::memcpy(buf.data(), &h, sizeof h);
    if (size) std::memcpy(buf.data() + sizeof h, payload, size);
    iovec iov{buf.data(), buf.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
    if (!fds.empty()) {
      mh.msg_control = control;
      mh.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* c = CMSG_FIRSTHDR(&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ASSERT_EQ(sendmsg(fd_, &mh, MSG_NOSIGNAL), static_cast<ssize_t>(buf.size()));
  }
  void SendU64(Request r, uint64_t v, std::vector<int> fds = {}, uint32_t flags = kFlagVersion) {
    Send(r, &v, sizeof v, std::move(fds), flags);
  }
  void SendState(Request r, uint32_t index, uint32_t num, uint32_t flags = kFlagVersion) {
    VringState s{index, num};
    Send(r, &s, sizeof s, {}, flags);
  }

  // Reads one reply; returns its payload.
  std::vector<uint8_t> Reply(Request expect) {
    Header h{};
    EXPECT_EQ(recv(fd_, &h, sizeof h, MSG_WAITALL), static_cast<ssize_t>(sizeof h));
    EXPECT_EQ(h.request, static_cast<uint32_t>(expect));
    EXPECT_EQ(h.flags, kFlagVersion | kFlagReply);
    std::vector<uint8_t> payload(h.size);
    if (h.size) {
      EXPECT_EQ(recv(fd_, payload.data(), h.size, MSG_WAITALL), static_cast<ssize_t>(h.size));
    }
    return payload;
  }
  uint64_t ReplyU64(Request expect) {
    std::vector<uint8_t> p = Reply(expect);
    uint64_t v = 0;
    EXPECT_EQ(p.size(), 8u);
    if (p.size() == 8) std::memcpy(&v, p.data(), 8);
    return v;
  }
  // True when nothing is waiting to be read (no unexpected reply was sent).
  bool Quiet() {
    char c;
    return recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK) < 0 && errno == EAGAIN;
  }

 private:
  int fd_ = -1;
  std::unique_ptr<Connection> backend_side_;
};

}  // namespace softvf::vhost_user::testing
