#include "vhost_user/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace softvf::vhost_user {

Connection::~Connection() {
  if (fd_ >= 0) close(fd_);
}

void CloseFds(Message& msg) {
  for (int i = 0; i < msg.nfds; ++i) {
    if (msg.fds[i] >= 0) close(msg.fds[i]);
    msg.fds[i] = -1;
  }
  msg.nfds = 0;
}

Status Connection::ReadFull(void* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = recv(fd_, static_cast<char*>(buf) + done, len - done, 0);
    if (n == 0) return Status::Errno(ECONNRESET, "front end closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Errno(errno, std::string("recv: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status Connection::Receive(Message& msg) {
  msg.nfds = 0;
  // The header and the fds arrive together in the first recvmsg.
  iovec iov{&msg.header, sizeof msg.header};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(fd_, &mh, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return Status::Errno(ECONNRESET, "front end closed the connection");
  if (n < 0) return Status::Errno(errno, std::string("recvmsg: ") + std::strerror(errno));
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* in = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; ++i) {
      if (msg.nfds < kMaxFds)
        msg.fds[msg.nfds++] = in[i];
      else
        close(in[i]);
    }
  }
  Status st = Status::Ok();
  if (mh.msg_flags & MSG_CTRUNC) st = Status::Errno(EPROTO, "too many file descriptors");
  if (st.ok() && static_cast<size_t>(n) < sizeof msg.header)
    st = ReadFull(reinterpret_cast<char*>(&msg.header) + n, sizeof msg.header - n);
  if (st.ok() && (msg.header.flags & kFlagVersionMask) != kFlagVersion)
    st = Status::Errno(EPROTO, "unsupported vhost-user version");
  if (st.ok() && msg.header.size > kMaxPayload)
    st = Status::Errno(EPROTO, "payload of " + std::to_string(msg.header.size) + " bytes");
  if (st.ok() && msg.header.size) st = ReadFull(msg.payload, msg.header.size);
  if (!st.ok()) CloseFds(msg);
  return st;
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
    n = sendmsg(fd_, &mh, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != want) return Status::Errno(n < 0 ? errno : EIO, "short reply to the front end");
  return Status::Ok();
}

Status Connection::SendReplyU64(const Message& request, uint64_t value) {
  return SendReply(request, &value, sizeof value);
}

}  // namespace softvf::vhost_user
