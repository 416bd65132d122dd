// The vhost-user request table: one row per message (DPDK lib/vhost style) with the payload
// sizes it may have and the fds it must carry. Validate() is the one place where a
// message's shape is checked, before any handler sees it.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "vhost_user/message.h"

namespace softvf::vhost_user {

enum class FdRule : uint8_t {
  kNone,           // no fds
  kOne,            // exactly one
  kOneUnlessNoFd,  // one, or none when the payload's bit 8 (NOFD) is set
  kPerRegion,      // one per memory region (SET_MEM_TABLE)
};

enum class ReplyRule : uint8_t {
  kNone,    // no reply unless REPLY_ACK asks for one
  kAlways,  // the request has its own reply (GET_*)
};

struct RequestInfo {
  Request request;
  const char* name;
  uint32_t min_size;
  uint32_t max_size;
  FdRule fds;
  ReplyRule reply;
  bool supported;  // false: refused (EOPNOTSUPP) but still validated and answered
};

// nullptr for an unknown request number.
const RequestInfo* FindRequest(uint32_t request);

// Checks size and fds of `msg` against its row. EPROTO with a message on mismatch.
Status Validate(const RequestInfo& info, const Message& msg);

}  // namespace softvf::vhost_user
