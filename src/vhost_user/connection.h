// A vhost-user connection: one Unix stream socket to a front end (QEMU, DPDK virtio-user).
// Reads whole messages with their SCM_RIGHTS fds and writes replies. It owns every fd it
// receives until the caller takes it (TakeFd), so a rejected message leaks nothing.
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

  // Reads one message. EOF (front end gone) is ECONNRESET; a malformed header (bad
  // version, payload larger than kMaxPayload, too many fds) is EPROTO. On error every fd
  // that arrived is closed.
  Status Receive(Message& msg);
  Status SendReply(const Message& request, const void* payload, uint32_t size);
  Status SendReplyU64(const Message& request, uint64_t value);

 private:
  Status ReadFull(void* buf, size_t len);
  int fd_;
};

// Closes every fd of a message that the handler did not take (set to -1).
void CloseFds(Message& msg);

}  // namespace softvf::vhost_user
