// A scripted vhost-user front end for tests: sends messages with fds over a socketpair
// the way QEMU and DPDK virtio-user do, and reads replies. Usable for hostile sequences.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "vhost_rig.h"
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
    ASSERT_TRUE(
        ::softvf::testing::SendMessage(fd_, static_cast<uint32_t>(r), payload, size, fds, flags));
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
