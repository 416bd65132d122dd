// Message framing and validation: real socketpairs, real fds (memfd/eventfd).
#include "vhost_user/request_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "front_end.h"
#include "vhost_user/connection.h"

namespace softvf::vhost_user {
namespace {

// The scripted front end, sending raw request numbers (some unknown to the table).
struct Pair {
  testing::FrontEnd fe;
  Connection* back = &fe.backend_side();
  int front = fe.fd();
  void Send(uint32_t request, uint32_t flags, const void* payload, uint32_t size,
            std::vector<int> fds = {}) {
    fe.Send(static_cast<Request>(request), payload, size, std::move(fds), flags);
  }
};

bool FdOpen(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

Status ReceiveAndValidate(Pair& p, Message& msg) {
  SOFTVF_RETURN_IF_ERROR(p.back->Receive(msg));
  const RequestInfo* info = FindRequest(msg.header.request);
  if (!info) return Status::Errno(EPROTO, "unknown request");
  return Validate(*info, msg);
}

TEST(VhostUserFraming, GetFeaturesHasNoPayload) {
  Pair p;
  p.Send(1, kFlagVersion, nullptr, 0);
  Message msg;
  ASSERT_TRUE(ReceiveAndValidate(p, msg).ok());
  EXPECT_EQ(msg.request(), Request::kGetFeatures);
  EXPECT_EQ(msg.nfds, 0);
}

TEST(VhostUserFraming, ReplyCarriesTheRequestAndReplyFlag) {
  Pair p;
  p.Send(1, kFlagVersion, nullptr, 0);
  Message msg;
  ASSERT_TRUE(p.back->Receive(msg).ok());
  ASSERT_TRUE(p.back->SendReplyU64(msg, 0x140008000ull).ok());
  struct {
    Header h;
    uint64_t v;
  } __attribute__((packed)) reply;
  ASSERT_EQ(recv(p.front, &reply, sizeof reply, MSG_WAITALL), static_cast<ssize_t>(sizeof reply));
  EXPECT_EQ(reply.h.request, 1u);
  EXPECT_EQ(reply.h.flags, kFlagVersion | kFlagReply);
  EXPECT_EQ(reply.h.size, 8u);
  EXPECT_EQ(reply.v, 0x140008000ull);
}

TEST(VhostUserFraming, WrongPayloadSizeIsRefused) {
  Pair p;
  uint32_t four = 4;
  p.Send(2 /* SET_FEATURES */, kFlagVersion, &four, 4);
  Message msg;
  Status st = ReceiveAndValidate(p, msg);
  EXPECT_EQ(st.errnum(), EPROTO);
  EXPECT_EQ(st.message(), "SET_FEATURES: payload of 4 bytes (expected 8..8)");
}

TEST(VhostUserFraming, OversizedPayloadIsRefusedBeforeReading) {
  Pair p;
  Header h{2, kFlagVersion, 1u << 20};
  ASSERT_EQ(send(p.front, &h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
  Message msg;
  Status st = p.back->Receive(msg);
  EXPECT_EQ(st.errnum(), EPROTO);
}

TEST(VhostUserFraming, BadVersionIsRefused) {
  Pair p;
  p.Send(1, 0x2, nullptr, 0);
  Message msg;
  EXPECT_EQ(p.back->Receive(msg).errnum(), EPROTO);
}

TEST(VhostUserFraming, EofIsConnectionReset) {
  Pair p;
  shutdown(p.front, SHUT_WR);
  Message msg;
  EXPECT_EQ(p.back->Receive(msg).errnum(), ECONNRESET);
}

// The worker that reads this connection forwards every other VF's frames: a front end
// that stops half-way through a message must not block it.
TEST(VhostUserFraming, PartialMessageDoesNotBlock) {
  Pair p;
  uint64_t features = 0x1234;
  Header h{2, kFlagVersion, sizeof features};
  char bytes[sizeof h + sizeof features];
  std::memcpy(bytes, &h, sizeof h);
  std::memcpy(bytes + sizeof h, &features, sizeof features);
  Message msg;
  EXPECT_EQ(p.back->Receive(msg).errnum(), EAGAIN);  // nothing yet
  ASSERT_EQ(send(p.front, bytes, 5, 0), 5);          // part of the header
  EXPECT_EQ(p.back->Receive(msg).errnum(), EAGAIN);
  ASSERT_EQ(send(p.front, bytes + 5, sizeof h - 5 + 3, 0), static_cast<ssize_t>(sizeof h - 2));
  EXPECT_EQ(p.back->Receive(msg).errnum(), EAGAIN);  // part of the payload
  int efd = eventfd(0, EFD_CLOEXEC);
  // The rest, and a whole second message with an fd right behind it.
  ASSERT_EQ(send(p.front, bytes + sizeof h + 3, sizeof features - 3, 0), 5);
  p.Send(12, kFlagVersion, &features, sizeof features, {efd});
  ASSERT_TRUE(p.back->Receive(msg).ok());
  EXPECT_EQ(msg.header.request, 2u);
  EXPECT_EQ(msg.As<uint64_t>(), 0x1234u);
  EXPECT_EQ(msg.nfds, 0);  // the next message's fd is not taken with this one
  ASSERT_TRUE(p.back->Receive(msg).ok());
  EXPECT_EQ(msg.header.request, 12u);
  EXPECT_EQ(msg.nfds, 1);
  CloseFds(msg);
  close(efd);
}

TEST(VhostUserFraming, TruncatedMessageThenCloseIsConnectionReset) {
  Pair p;
  Header h{9, kFlagVersion, 40};
  ASSERT_EQ(send(p.front, &h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
  ASSERT_EQ(send(p.front, "0123456789", 10, 0), 10);
  Message msg;
  EXPECT_EQ(p.back->Receive(msg).errnum(), EAGAIN);
  shutdown(p.front, SHUT_WR);
  EXPECT_EQ(p.back->Receive(msg).errnum(), ECONNRESET);
}

// A front end that never reads its replies fills the socket: the reply fails at once
// (ENOBUFS) instead of blocking the worker.
TEST(VhostUserFraming, ReplyToAFrontEndThatDoesNotReadFailsInsteadOfBlocking) {
  Pair p;
  Message req;
  req.header = Header{1, kFlagVersion, 0};
  Status st = Status::Ok();
  for (int i = 0; i < 1000000 && st.ok(); ++i) st = p.back->SendReplyU64(req, 0);
  EXPECT_EQ(st.errnum(), ENOBUFS);
}

TEST(VhostUserFraming, KickCarriesOneFdOrNoneWithTheNoFdBit) {
  Pair p;
  int efd = eventfd(0, EFD_CLOEXEC);
  uint64_t index = 1;
  p.Send(12, kFlagVersion, &index, 8, {efd});
  Message msg;
  ASSERT_TRUE(ReceiveAndValidate(p, msg).ok());
  ASSERT_EQ(msg.nfds, 1);
  EXPECT_TRUE(FdOpen(msg.fds[0]));
  CloseFds(msg);

  uint64_t nofd = 1 | kVringNoFdFlag;
  p.Send(12, kFlagVersion, &nofd, 8);
  ASSERT_TRUE(ReceiveAndValidate(p, msg).ok());
  EXPECT_EQ(msg.nfds, 0);
  close(efd);
}

TEST(VhostUserFraming, MissingOrExtraFdsAreRefusedAndClosed) {
  Pair p;
  uint64_t index = 0;
  p.Send(13 /* SET_VRING_CALL */, kFlagVersion, &index, 8);
  Message msg;
  EXPECT_EQ(ReceiveAndValidate(p, msg).message(),
            "SET_VRING_CALL: 0 file descriptors (expected 1)");

  int a = eventfd(0, 0), b = eventfd(0, 0);
  p.Send(13, kFlagVersion, &index, 8, {a, b});
  Status st = ReceiveAndValidate(p, msg);
  EXPECT_EQ(st.message(), "SET_VRING_CALL: 2 file descriptors (expected 1)");
  int got0 = msg.fds[0], got1 = msg.fds[1];
  CloseFds(msg);  // what the backend does with a refused message
  EXPECT_FALSE(FdOpen(got0));
  EXPECT_FALSE(FdOpen(got1));
  close(a);
  close(b);
}

TEST(VhostUserFraming, MemTableNeedsOneFdPerRegionAndAtMostEight) {
  Pair p;
  Memory mem{};
  mem.nregions = 2;
  int a = eventfd(0, 0);
  p.Send(5, kFlagVersion, &mem, 8 + 2 * sizeof(MemoryRegion), {a});
  Message msg;
  EXPECT_EQ(ReceiveAndValidate(p, msg).message(), "SET_MEM_TABLE: 1 file descriptors (expected 2)");
  CloseFds(msg);

  mem.nregions = 9;
  p.Send(5, kFlagVersion, &mem, sizeof mem);
  EXPECT_EQ(ReceiveAndValidate(p, msg).message(), "SET_MEM_TABLE: 9 memory regions");

  mem.nregions = 3;
  int fds[3] = {eventfd(0, 0), eventfd(0, 0), eventfd(0, 0)};
  p.Send(5, kFlagVersion, &mem, 8 + 2 * sizeof(MemoryRegion), {fds[0], fds[1], fds[2]});
  EXPECT_EQ(ReceiveAndValidate(p, msg).message(),
            "SET_MEM_TABLE: payload shorter than its regions");
  CloseFds(msg);
  for (int fd : fds) close(fd);
  close(a);
}

TEST(VhostUserFraming, ConfigSizeMustFitItsPayload) {
  Pair p;
  Config c{};
  c.size = 300;
  p.Send(24, kFlagVersion, &c, sizeof c);
  Message msg;
  EXPECT_EQ(ReceiveAndValidate(p, msg).message(), "GET_CONFIG: config size 300");
}

TEST(VhostUserFraming, EveryKnownRequestHasARowAndUnknownHasNone) {
  for (uint32_t r : {1u, 2u, 3u, 5u, 8u, 9u, 10u, 11u, 12u, 13u, 15u, 16u, 17u, 18u, 24u, 39u, 40u})
    EXPECT_NE(FindRequest(r), nullptr) << r;
  EXPECT_EQ(FindRequest(0), nullptr);
  EXPECT_EQ(FindRequest(1000), nullptr);
  EXPECT_STREQ(RequestName(11), "GET_VRING_BASE");
}

}  // namespace
}  // namespace softvf::vhost_user
