#include "vhost_user/request_table.h"

#include <cerrno>
#include <string>

namespace softvf::vhost_user {

namespace {

constexpr uint32_t kU64 = sizeof(uint64_t);
constexpr uint32_t kState = sizeof(VringState);
constexpr uint32_t kMemMin = 8 + sizeof(MemoryRegion);
constexpr uint32_t kConfigMin = 12;

constexpr RequestInfo kTable[] = {
    {Request::kGetFeatures, "GET_FEATURES", 0, 0, FdRule::kNone, ReplyRule::kAlways, true},
    {Request::kSetFeatures, "SET_FEATURES", kU64, kU64, FdRule::kNone, ReplyRule::kNone, true},
    {Request::kSetOwner, "SET_OWNER", 0, 0, FdRule::kNone, ReplyRule::kNone, true},
    {Request::kResetOwner, "RESET_OWNER", 0, 0, FdRule::kNone, ReplyRule::kNone, true},
    {Request::kSetMemTable, "SET_MEM_TABLE", kMemMin, sizeof(Memory), FdRule::kPerRegion,
     ReplyRule::kNone, true},
    {Request::kSetLogBase, "SET_LOG_BASE", sizeof(Log), sizeof(Log), FdRule::kOne,
     ReplyRule::kAlways, false},
    {Request::kSetLogFd, "SET_LOG_FD", 0, 0, FdRule::kOne, ReplyRule::kNone, false},
    {Request::kSetVringNum, "SET_VRING_NUM", kState, kState, FdRule::kNone, ReplyRule::kNone, true},
    {Request::kSetVringAddr, "SET_VRING_ADDR", sizeof(VringAddr), sizeof(VringAddr), FdRule::kNone,
     ReplyRule::kNone, true},
    {Request::kSetVringBase, "SET_VRING_BASE", kState, kState, FdRule::kNone, ReplyRule::kNone,
     true},
    {Request::kGetVringBase, "GET_VRING_BASE", kState, kState, FdRule::kNone, ReplyRule::kAlways,
     true},
    {Request::kSetVringKick, "SET_VRING_KICK", kU64, kU64, FdRule::kOneUnlessNoFd, ReplyRule::kNone,
     true},
    {Request::kSetVringCall, "SET_VRING_CALL", kU64, kU64, FdRule::kOneUnlessNoFd, ReplyRule::kNone,
     true},
    {Request::kSetVringErr, "SET_VRING_ERR", kU64, kU64, FdRule::kOneUnlessNoFd, ReplyRule::kNone,
     true},
    {Request::kGetProtocolFeatures, "GET_PROTOCOL_FEATURES", 0, 0, FdRule::kNone,
     ReplyRule::kAlways, true},
    {Request::kSetProtocolFeatures, "SET_PROTOCOL_FEATURES", kU64, kU64, FdRule::kNone,
     ReplyRule::kNone, true},
    {Request::kGetQueueNum, "GET_QUEUE_NUM", 0, 0, FdRule::kNone, ReplyRule::kAlways, true},
    {Request::kSetVringEnable, "SET_VRING_ENABLE", kState, kState, FdRule::kNone, ReplyRule::kNone,
     true},
    {Request::kSendRarp, "SEND_RARP", kU64, kU64, FdRule::kNone, ReplyRule::kNone, false},
    {Request::kNetSetMtu, "NET_SET_MTU", kU64, kU64, FdRule::kNone, ReplyRule::kNone, true},
    {Request::kSetBackendReqFd, "SET_BACKEND_REQ_FD", 0, 0, FdRule::kOne, ReplyRule::kNone, false},
    {Request::kIotlbMsg, "IOTLB_MSG", 0, kMaxPayload, FdRule::kNone, ReplyRule::kNone, false},
    {Request::kSetVringEndian, "SET_VRING_ENDIAN", kState, kState, FdRule::kNone, ReplyRule::kNone,
     false},
    {Request::kGetConfig, "GET_CONFIG", kConfigMin, sizeof(Config), FdRule::kNone,
     ReplyRule::kAlways, true},
    {Request::kSetConfig, "SET_CONFIG", kConfigMin, sizeof(Config), FdRule::kNone, ReplyRule::kNone,
     true},
    {Request::kGetInflightFd, "GET_INFLIGHT_FD", 0, kMaxPayload, FdRule::kNone, ReplyRule::kNone,
     false},
    {Request::kSetInflightFd, "SET_INFLIGHT_FD", 0, kMaxPayload, FdRule::kOne, ReplyRule::kNone,
     false},
    {Request::kResetDevice, "RESET_DEVICE", 0, 0, FdRule::kNone, ReplyRule::kNone, true},
    {Request::kGetMaxMemSlots, "GET_MAX_MEM_SLOTS", 0, 0, FdRule::kNone, ReplyRule::kAlways, false},
    {Request::kAddMemReg, "ADD_MEM_REG", 0, kMaxPayload, FdRule::kOne, ReplyRule::kNone, false},
    {Request::kRemMemReg, "REM_MEM_REG", 0, kMaxPayload, FdRule::kNone, ReplyRule::kNone, false},
    {Request::kSetStatus, "SET_STATUS", kU64, kU64, FdRule::kNone, ReplyRule::kNone, true},
    {Request::kGetStatus, "GET_STATUS", 0, 0, FdRule::kNone, ReplyRule::kAlways, true},
};

Status Bad(const RequestInfo& info, const std::string& what) {
  return Status::Errno(EPROTO, std::string(info.name) + ": " + what);
}

}  // namespace

const RequestInfo* FindRequest(uint32_t request) {
  for (const RequestInfo& r : kTable)
    if (static_cast<uint32_t>(r.request) == request) return &r;
  return nullptr;
}

const char* RequestName(uint32_t request) {
  const RequestInfo* r = FindRequest(request);
  return r ? r->name : "UNKNOWN";
}

Status Validate(const RequestInfo& info, const Message& msg) {
  uint32_t size = msg.header.size;
  if (size < info.min_size || size > info.max_size)
    return Bad(info, "payload of " + std::to_string(size) + " bytes (expected " +
                         std::to_string(info.min_size) + ".." + std::to_string(info.max_size) +
                         ")");
  int want = 0;
  switch (info.fds) {
    case FdRule::kNone:
      want = 0;
      break;
    case FdRule::kOne:
      want = 1;
      break;
    case FdRule::kOneUnlessNoFd:
      want = (msg.As<uint64_t>() & kVringNoFdFlag) ? 0 : 1;
      break;
    case FdRule::kPerRegion: {
      uint32_t n = msg.As<Memory>().nregions;
      if (n == 0 || n > kMaxMemRegions) return Bad(info, std::to_string(n) + " memory regions");
      if (size < 8 + n * sizeof(MemoryRegion)) return Bad(info, "payload shorter than its regions");
      want = static_cast<int>(n);
      break;
    }
  }
  if (msg.nfds != want)
    return Bad(info, std::to_string(msg.nfds) + " file descriptors (expected " +
                         std::to_string(want) + ")");
  if (info.request == Request::kGetConfig || info.request == Request::kSetConfig) {
    const Config& c = msg.As<Config>();
    if (c.size > sizeof c.payload || size < kConfigMin + c.size)
      return Bad(info, "config size " + std::to_string(c.size));
  }
  return Status::Ok();
}

}  // namespace softvf::vhost_user
