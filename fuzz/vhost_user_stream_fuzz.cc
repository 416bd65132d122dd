// Raw bytes on a vhost-user socket: the input is cut into chunks, each sent with
// sendmsg and, when the input asks, with real fds (memfds or eventfds) as SCM_RIGHTS;
// the back end reads them with Connection::Receive and handles every message with
// NetBackend::Handle until the stream ends or breaks, as the endpoint does. No fd may be
// left open afterwards.
#include <fuzzer/FuzzedDataProvider.h>

#include <sys/socket.h>

#include "vhost_user/connection.h"
#include "vhost_user/message.h"
#include "vhost_user_fuzz_util.h"

using namespace softvf;
using namespace softvf::vhost_user;

namespace {

// Sends one chunk with n fds; false when the socket is full (the rest is not sent).
bool SendChunk(int fd, const std::vector<uint8_t>& bytes, int nfds, uint8_t kinds) {
  iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
  int fds[16];
  if (nfds > 0) {
    for (int i = 0; i < nfds; ++i) fds[i] = fuzz::MakeFd(kinds >> (i % 8));
    mh.msg_control = control;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    std::memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  for (int i = 0; i < nfds; ++i) close(fds[i]);  // in flight: the receiver has its own
  return n == static_cast<ssize_t>(bytes.size());
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
    NetBackend backend(BackendOptions{}, &listener);
    fuzz::DataPathView view;
    // Chunk sizes and fds come first, the bytes after.
    int chunks = in.ConsumeIntegralInRange<int>(1, 16);
    struct Chunk {
      size_t len;
      int nfds;
      uint8_t kinds;
    };
    std::vector<Chunk> plan;
    for (int i = 0; i < chunks; ++i) {
      Chunk c{in.ConsumeIntegralInRange<size_t>(1, 600), 0, in.ConsumeIntegral<uint8_t>()};
      uint8_t f = in.ConsumeIntegral<uint8_t>();
      c.nfds = f < 128 ? 0 : f < 224 ? 1 : 1 + f % 12;  // over kMaxFds sometimes
      plan.push_back(c);
    }
    for (const Chunk& c : plan) {
      std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(c.len);
      if (bytes.empty() || !SendChunk(sv[0], bytes, c.nfds, c.kinds)) break;
    }
    shutdown(sv[0], SHUT_WR);  // the end of the input is the front end going away
    static Message msg;
    for (int i = 0; i < 256; ++i) {
      Status st = conn.Receive(msg);
      if (!st.ok()) break;
      fuzz::Check(msg.header.size <= kMaxPayload && msg.nfds <= kMaxFds);
      st = backend.Handle(msg, conn);
      for (int k = 0; k < kMaxFds; ++k) fuzz::Check(k >= msg.nfds || msg.fds[k] == -1);
      fuzz::Drain(sv[0]);
      if (!st.ok()) break;  // the endpoint drops the connection
      view.Sync(backend);
    }
    backend.Reset();
    close(sv[0]);
  }
  fuzz::Check(fuzz::CountOpenFds() == baseline);
  return 0;
}
