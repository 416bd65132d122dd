// vhost-user messages as NetBackend::Handle receives them from Connection::Receive: the
// input is a sequence of messages, each a header (request, flags, size), a payload, and
// real fds when the input asks for them (memfds for SET_MEM_TABLE, eventfds for
// SET_VRING_KICK/CALL/ERR), on one connection. After each message the data path's view
// is rebuilt (memory mapped, ring addresses translated, queues run); at the end no fd
// may be left open.
//
// Most messages are shaped as a front end would send them (the payload size and fd
// count their request takes, memory tables whose regions fit their memfds, ring
// addresses inside them), so the fuzzer gets past SET_OWNER and validation to the
// handlers and the data path; the rest are raw.
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/socket.h>

#include "vhost_user/connection.h"
#include "vhost_user/features.h"
#include "vhost_user/message.h"
#include "vhost_user/request_table.h"
#include "vhost_user_fuzz_util.h"

using namespace softvf;
using namespace softvf::vhost_user;

namespace {

// Request numbers: mostly known ones (1..40), sometimes anything.
uint32_t RequestNumber(FuzzedDataProvider& in) {
  uint8_t r = in.ConsumeIntegral<uint8_t>();
  return r < 240 ? 1 + r % 40 : in.ConsumeIntegral<uint32_t>();
}

constexpr uint64_t kUserBase = 0x7f0000000000ull;
constexpr uint64_t kRegionStride = 0x10000;  // region i at guest 0x10000 * i, 64 KiB memfds

template <typename T>
uint32_t Put(Message& msg, const T& value) {
  std::memcpy(msg.payload, &value, sizeof value);
  return sizeof value;
}

// A message as a front end would build it; returns false to fall back to a raw one.
bool Shaped(FuzzedDataProvider& in, Message& msg) {
  static const uint32_t kRequests[] = {1,  2,  3,  5,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                       17, 18, 20, 24, 25, 34, 39, 40, 4,  19, 6,  7};
  const uint32_t request = kRequests[in.ConsumeIntegral<uint8_t>() % std::size(kRequests)];
  const RequestInfo* info = FindRequest(request);
  if (!info) return false;
  msg.header.request = request;
  msg.header.flags = kFlagVersion | (in.ConsumeBool() ? kFlagNeedReply : 0);
  uint32_t size = info->min_size;
  int fds = info->fds == FdRule::kOne ? 1 : 0;
  auto small = [&](uint32_t max) { return in.ConsumeIntegralInRange<uint32_t>(0, max); };
  switch (static_cast<Request>(request)) {
    case Request::kSetFeatures: {
      uint64_t f = in.ConsumeIntegral<uint64_t>();
      size = Put(msg, in.ConsumeBool() ? f & kOfferedFeatures : f);
      break;
    }
    case Request::kSetProtocolFeatures: {
      uint64_t f = in.ConsumeIntegral<uint64_t>();
      size = Put(msg, in.ConsumeBool() ? f & kOfferedProtocolFeatures : f);
      break;
    }
    case Request::kSetMemTable: {
      Memory mem{};
      mem.nregions = in.ConsumeIntegralInRange<uint32_t>(1, kMaxMemRegions);
      for (uint32_t i = 0; i < mem.nregions; ++i) {
        MemoryRegion& r = mem.regions[i];
        r.guest_phys_addr = kRegionStride * i + (in.ConsumeBool() ? 0 : small(0x2000));
        r.mmap_offset = in.ConsumeBool() ? 0 : 0x1000 * small(4);
        r.memory_size = in.ConsumeBool() ? 0x10000 - r.mmap_offset
                                         : (in.ConsumeBool() ? 0x1000 * small(16)
                                                             : in.ConsumeIntegral<uint64_t>());
        r.userspace_addr = kUserBase + r.guest_phys_addr;
      }
      size = 8 + mem.nregions * sizeof(MemoryRegion);
      std::memcpy(msg.payload, &mem, size);
      fds = static_cast<int>(mem.nregions);
      break;
    }
    case Request::kSetVringNum:
    case Request::kSetVringBase:
    case Request::kGetVringBase:
    case Request::kSetVringEnable: {
      uint32_t num = in.ConsumeBool() ? 1u << small(16) : in.ConsumeIntegral<uint32_t>();
      if (static_cast<Request>(request) == Request::kSetVringEnable) num = small(2);
      size = Put(msg, VringState{small(2 * kMaxQueuePairs), num});
      break;
    }
    case Request::kSetVringAddr: {
      VringAddr a{};
      a.index = small(2 * kMaxQueuePairs);
      const uint64_t base = kUserBase + kRegionStride * small(2);
      a.desc_user_addr = base + 16 * small(0x100);
      a.avail_user_addr = base + 0x4000 + 2 * small(0x100);
      a.used_user_addr = base + 0x8000 + 4 * small(0x100);
      if (in.ConsumeIntegral<uint8_t>() > 240) a.used_user_addr = in.ConsumeIntegral<uint64_t>();
      a.flags = small(1);
      size = Put(msg, a);
      break;
    }
    case Request::kSetVringKick:
    case Request::kSetVringCall:
    case Request::kSetVringErr: {
      uint64_t v =
          small(2 * kMaxQueuePairs) | (in.ConsumeIntegral<uint8_t>() < 32 ? kVringNoFdFlag : 0);
      size = Put(msg, v);
      fds = (v & kVringNoFdFlag) ? 0 : 1;
      break;
    }
    case Request::kGetConfig:
    case Request::kSetConfig: {
      Config c{};
      c.offset = small(300);
      c.size = small(256);
      size = 12 + c.size;
      std::memcpy(msg.payload, &c, 12);
      break;
    }
    default:
      if (size == sizeof(uint64_t)) size = Put(msg, in.ConsumeIntegral<uint64_t>());
      break;
  }
  msg.header.size = size;
  msg.nfds = fds;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Counted per input: libFuzzer itself opens pipes (to llvm-symbolizer) now and then.
  const int baseline = fuzz::CountOpenFds();
  FuzzedDataProvider in(data, size);
  {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) abort();
    Connection conn(sv[1]);
    fuzz::Listener listener;
    BackendOptions options;
    options.queue_pairs = in.ConsumeIntegralInRange<int>(0, kMaxQueuePairs + 1);
    NetBackend backend(options, &listener);
    fuzz::DataPathView view;
    static Message msg;
    int messages = 0;
    while (in.remaining_bytes() > 0 && messages++ < 64) {
      msg = Message{};
      uint8_t kinds = in.ConsumeIntegral<uint8_t>();
      if (in.ConsumeIntegral<uint8_t>() < 200 && Shaped(in, msg)) {
        for (int i = 0; i < msg.nfds; ++i) {
          msg.fds[i] = fuzz::MakeFd(msg.header.request == 5 ? 1 : kinds >> i);
          if (msg.fds[i] < 0) abort();
        }
      } else {
        msg.header.request = RequestNumber(in);
        // Receive() guarantees version 1 and size <= kMaxPayload; the other flag bits are free.
        msg.header.flags = (in.ConsumeIntegral<uint32_t>() & ~kFlagVersionMask) | kFlagVersion;
        if (in.ConsumeBool()) msg.header.flags &= kFlagVersionMask | kFlagNeedReply;
        std::vector<uint8_t> payload =
            in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, kMaxPayload));
        if (!payload.empty()) std::memcpy(msg.payload, payload.data(), payload.size());
        msg.header.size = in.ConsumeBool() ? static_cast<uint32_t>(payload.size())
                                           : in.ConsumeIntegralInRange<uint32_t>(0, kMaxPayload);
        msg.nfds = in.ConsumeIntegralInRange<int>(0, kMaxFds);
        if (in.ConsumeIntegral<uint8_t>() < 160) msg.nfds = std::min(msg.nfds, 1);
        for (int i = 0; i < msg.nfds; ++i) {
          msg.fds[i] = fuzz::MakeFd(msg.header.request == 5 ? 1 : kinds >> i);
          if (msg.fds[i] < 0) abort();
        }
      }
      Status st = backend.Handle(msg, conn);
      for (int i = 0; i < kMaxFds; ++i) fuzz::Check(i >= msg.nfds || msg.fds[i] == -1);
      fuzz::Drain(sv[0]);
      if (!st.ok()) {
        backend.Reset();  // what the endpoint does: drop the connection, start over
        if (in.ConsumeBool()) break;
        continue;
      }
      view.Sync(backend);
    }
    close(sv[0]);
  }
  fuzz::Check(fuzz::CountOpenFds() == baseline);
  return 0;
}
