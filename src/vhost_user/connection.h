// A vhost-user connection: one Unix stream socket to a front end (QEMU, DPDK virtio-user).
// Reads whole messages with their SCM_RIGHTS fds and writes replies. It owns every fd it
// receives until the caller takes it (TakeFd), so a rejected message leaks nothing.
//
// It never blocks: the worker thread that owns the connection also forwards every other
// VF's frames, so a front end that stops half-way through a message, or never reads its
// replies, must not stall it. A partial message is kept here until the rest arrives.
#pragma once

#include "common/status.h"
#include "vhost_user/message.h"

namespace softvf::vhost_user {

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }

  // Reads what is readable. A whole message: Ok, in msg. Part of one: EAGAIN (call again
  // when the socket is readable; the part is kept). EOF (front end gone) is ECONNRESET;
  // a malformed header (bad version, payload larger than kMaxPayload, too many fds) is
  // EPROTO. On error every fd that arrived is closed.
  Status Receive(Message& msg);
  // Replies never block: a front end whose socket buffer is full (it does not read its
  // replies) gets ENOBUFS, a protocol error.
  Status SendReply(const Message& request, const void* payload, uint32_t size);
  Status SendReplyU64(const Message& request, uint64_t value);

 private:
  void DropPending();
  int fd_;
  Message pending_;   // the message being read
  size_t have_ = 0;   // bytes of it (header, then payload) read so far
};

// Closes every fd of a message that the handler did not take (set to -1).
void CloseFds(Message& msg);

}  // namespace softvf::vhost_user
