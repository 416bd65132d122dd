#include "vhost_user/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace softvf::vhost_user {

Connection::~Connection() {
  CloseFds(pending_);
  if (fd_ >= 0) close(fd_);
}

void CloseFds(Message& msg) {
  for (int i = 0; i < msg.nfds; ++i) {
    if (msg.fds[i] >= 0) close(msg.fds[i]);
    msg.fds[i] = -1;
  }
  msg.nfds = 0;
}

void Connection::DropPending() {
  CloseFds(pending_);
  have_ = 0;
}

Status Connection::Receive(Message& msg) {
  msg.nfds = 0;
  constexpr size_t kHeader = sizeof(Header);
  for (;;) {
    // Never read past the current message: the next one's fds belong to it.
    const size_t total = kHeader + (have_ >= kHeader ? pending_.header.size : 0);
    char* dst = have_ < kHeader ? reinterpret_cast<char*>(&pending_.header) + have_
                                : reinterpret_cast<char*>(pending_.payload) + (have_ - kHeader);
    iovec iov{dst, (have_ < kHeader ? kHeader : total) - have_};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return Status::Errno(EAGAIN, "part of a message");
    if (n <= 0) {
      const int err = n == 0 ? ECONNRESET : errno;
      DropPending();
      return Status::Errno(err, n == 0 ? std::string("front end closed the connection")
                                       : std::string("recvmsg: ") + std::strerror(err));
    }
    bool too_many = (mh.msg_flags & MSG_CTRUNC) != 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const int* in = reinterpret_cast<const int*>(CMSG_DATA(c));
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, in + i, sizeof fd);
        if (pending_.nfds < kMaxFds) {
          pending_.fds[pending_.nfds++] = fd;
        } else {
          close(fd);
          too_many = true;
        }
      }
    }
    const size_t before = have_;
    have_ += static_cast<size_t>(n);
    Status st = Status::Ok();
    if (too_many) st = Status::Errno(EPROTO, "too many file descriptors");
    if (st.ok() && before < kHeader && have_ >= kHeader) {  // the header is complete
      if ((pending_.header.flags & kFlagVersionMask) != kFlagVersion)
        st = Status::Errno(EPROTO, "unsupported vhost-user version");
      else if (pending_.header.size > kMaxPayload)
        st = Status::Errno(EPROTO,
                           "payload of " + std::to_string(pending_.header.size) + " bytes");
    }
    if (!st.ok()) {
      DropPending();
      return st;
    }
    if (have_ >= kHeader && have_ == kHeader + pending_.header.size) {
      msg.header = pending_.header;
      std::memcpy(msg.payload, pending_.payload, pending_.header.size);
      std::memcpy(msg.fds, pending_.fds, sizeof msg.fds);
      msg.nfds = pending_.nfds;
      pending_.nfds = 0;
      have_ = 0;
      return Status::Ok();
    }
  }
}

Status Connection::SendReply(const Message& request, const void* payload, uint32_t size) {
  Header h{request.header.request, kFlagVersion | kFlagReply, size};
  iovec iov[2] = {{&h, sizeof h}, {const_cast<void*>(payload), size}};
  msghdr mh{};
  mh.msg_iov = iov;
  mh.msg_iovlen = size ? 2 : 1;
  ssize_t want = static_cast<ssize_t>(sizeof h + size);
  ssize_t n;
  do {
    n = sendmsg(fd_, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return Status::Errno(ENOBUFS, "the front end does not read its replies (socket full)");
  if (n != want) return Status::Errno(n < 0 ? errno : EIO, "short reply to the front end");
  return Status::Ok();
}

Status Connection::SendReplyU64(const Message& request, uint64_t value) {
  return SendReply(request, &value, sizeof value);
}

}  // namespace softvf::vhost_user
