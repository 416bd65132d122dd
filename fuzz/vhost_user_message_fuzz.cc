// vhost-user messages as NetBackend::Handle receives them from Connection::Receive: the
// input is a sequence of messages, each a header (request, flags, size), a payload, and
// real fds when the input asks for them (memfds for SET_MEM_TABLE, eventfds for
// SET_VRING_KICK/CALL/ERR), on one connection. After each message the data path's view
// is rebuilt (memory mapped, ring addresses translated, queues run); at the end no fd
// may be left open.
#include <fuzzer/FuzzedDataProvider.h>

#include <sys/socket.h>

#include "vhost_user/connection.h"
#include "vhost_user/message.h"
#include "vhost_user_fuzz_util.h"

using namespace softvf;
using namespace softvf::vhost_user;

namespace {

// Request numbers: mostly known ones (1..40), sometimes anything.
uint32_t RequestNumber(FuzzedDataProvider& in) {
  uint8_t r = in.ConsumeIntegral<uint8_t>();
  return r < 240 ? 1 + r % 40 : in.ConsumeIntegral<uint32_t>();
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
      msg.header.request = RequestNumber(in);
      // Receive() guarantees version 1 and size <= kMaxPayload; the other flag bits are free.
      msg.header.flags = (in.ConsumeIntegral<uint32_t>() & ~kFlagVersionMask) | kFlagVersion;
      if (in.ConsumeBool()) msg.header.flags &= kFlagVersionMask | kFlagNeedReply;
      std::vector<uint8_t> payload =
          in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, kMaxPayload));
      if (!payload.empty()) std::memcpy(msg.payload, payload.data(), payload.size());
      msg.header.size = in.ConsumeBool()
                            ? static_cast<uint32_t>(payload.size())
                            : in.ConsumeIntegralInRange<uint32_t>(0, kMaxPayload);
      msg.nfds = in.ConsumeIntegralInRange<int>(0, kMaxFds);
      if (in.ConsumeIntegral<uint8_t>() < 160) msg.nfds = std::min(msg.nfds, 1);
      uint8_t kinds = in.ConsumeIntegral<uint8_t>();
      for (int i = 0; i < msg.nfds; ++i) {
        msg.fds[i] = fuzz::MakeFd(msg.header.request == 5 ? 1 : kinds >> i);
        if (msg.fds[i] < 0) abort();
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
