// vhost-user wire format (QEMU docs/interop/vhost-user.rst): a 12-byte header (request,
// flags, size) and a payload of at most kMaxPayload bytes; file descriptors travel as
// SCM_RIGHTS ancillary data. Packed wire structs with static_assert'ed sizes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace softvf::vhost_user {

enum class Request : uint32_t {
  kGetFeatures = 1,
  kSetFeatures = 2,
  kSetOwner = 3,
  kResetOwner = 4,
  kSetMemTable = 5,
  kSetLogBase = 6,
  kSetLogFd = 7,
  kSetVringNum = 8,
  kSetVringAddr = 9,
  kSetVringBase = 10,
  kGetVringBase = 11,
  kSetVringKick = 12,
  kSetVringCall = 13,
  kSetVringErr = 14,
  kGetProtocolFeatures = 15,
  kSetProtocolFeatures = 16,
  kGetQueueNum = 17,
  kSetVringEnable = 18,
  kSendRarp = 19,
  kNetSetMtu = 20,
  kSetBackendReqFd = 21,
  kIotlbMsg = 22,
  kSetVringEndian = 23,
  kGetConfig = 24,
  kSetConfig = 25,
  kGetInflightFd = 31,
  kSetInflightFd = 32,
  kResetDevice = 34,
  kGetMaxMemSlots = 36,
  kAddMemReg = 37,
  kRemMemReg = 38,
  kSetStatus = 39,
  kGetStatus = 40,
};

inline constexpr uint32_t kFlagVersion = 0x1;  // bits 0-1: protocol version 1
inline constexpr uint32_t kFlagVersionMask = 0x3;
inline constexpr uint32_t kFlagReply = 0x4;
inline constexpr uint32_t kFlagNeedReply = 0x8;

// Protocol feature bits (VHOST_USER_PROTOCOL_F_*).
inline constexpr int kProtocolMq = 0;
inline constexpr int kProtocolLogShmfd = 1;
inline constexpr int kProtocolRarp = 2;
inline constexpr int kProtocolReplyAck = 3;
inline constexpr int kProtocolNetMtu = 4;
inline constexpr int kProtocolConfig = 9;
inline constexpr int kProtocolStatus = 16;

inline constexpr int kMaxMemRegions = 8;  // VHOST_MEMORY_BASELINE_NREGIONS
inline constexpr int kMaxFds = 8;
inline constexpr uint64_t kVringIndexMask = 0xff;  // SET_VRING_KICK/CALL/ERR payload
inline constexpr uint64_t kVringNoFdFlag = 0x100;  // VHOST_USER_VRING_NOFD_MASK

#pragma pack(push, 1)
struct Header {
  uint32_t request;
  uint32_t flags;
  uint32_t size;
};
static_assert(sizeof(Header) == 12);

struct VringState {
  uint32_t index;
  uint32_t num;
};
static_assert(sizeof(VringState) == 8);

struct VringAddr {
  uint32_t index;
  uint32_t flags;  // bit 0: VHOST_VRING_F_LOG
  uint64_t desc_user_addr;
  uint64_t used_user_addr;
  uint64_t avail_user_addr;
  uint64_t log_guest_addr;
};
static_assert(sizeof(VringAddr) == 40);

struct MemoryRegion {
  uint64_t guest_phys_addr;
  uint64_t memory_size;
  uint64_t userspace_addr;
  uint64_t mmap_offset;
};
static_assert(sizeof(MemoryRegion) == 32);

struct Memory {
  uint32_t nregions;
  uint32_t padding;
  MemoryRegion regions[kMaxMemRegions];
};
static_assert(sizeof(Memory) == 8 + 8 * 32);

struct Log {
  uint64_t mmap_size;
  uint64_t mmap_offset;
};
static_assert(sizeof(Log) == 16);

struct Config {
  uint32_t offset;
  uint32_t size;
  uint32_t flags;
  uint8_t payload[256];
};
static_assert(sizeof(Config) == 12 + 256);
#pragma pack(pop)

inline constexpr size_t kMaxPayload = 4096;

// One message as received: header, payload bytes and the fds that came with it.
struct Message {
  Header header{};
  alignas(8) uint8_t payload[kMaxPayload]{};
  int fds[kMaxFds]{};
  int nfds = 0;

  Request request() const { return static_cast<Request>(header.request); }
  bool need_reply() const { return header.flags & kFlagNeedReply; }
  template <typename T>
  const T& As() const {
    return *reinterpret_cast<const T*>(payload);
  }
};

const char* RequestName(uint32_t request);

}  // namespace softvf::vhost_user
