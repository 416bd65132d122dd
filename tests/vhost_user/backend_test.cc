// The vhost-user backend's message semantics, driven by a scripted front end.
#include "vhost_user/backend.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "front_end.h"
#include "vhost_user/features.h"

namespace softvf::vhost_user {
namespace {

using testing::FrontEnd;

int OpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

struct Fixture : ::testing::Test {
  FrontEnd fe;
  NetBackend backend{BackendOptions{2, MacAddress({0x02, 0, 0, 0, 0, 7}), 1500}};
  Status Step() {
    Message msg;
    Status st = fe.backend_side().Receive(msg);
    if (!st.ok()) return st;
    return backend.Handle(msg, fe.backend_side());
  }
  void Ok() { ASSERT_TRUE(Step().ok()); }
  // SET_OWNER, features, one memory region, ring 0 fully set up.
  int memfd = -1;
  void SetUpRing0(bool protocol_features) {
    fe.Send(Request::kSetOwner, nullptr, 0);
    Ok();
    uint64_t features = Bit(kVirtioFVersion1) | Bit(kVirtioNetFMrgRxbuf) |
                        (protocol_features ? Bit(kVhostUserFProtocolFeatures) : 0);
    fe.SendU64(Request::kSetFeatures, features);
    Ok();
    memfd = memfd_create("guest", MFD_CLOEXEC);
    ASSERT_EQ(ftruncate(memfd, 1 << 20), 0);
    Memory mem{};
    mem.nregions = 1;
    mem.regions[0] = {0, 1 << 20, 0x7f0000000000, 0};
    fe.Send(Request::kSetMemTable, &mem, 8 + sizeof(MemoryRegion), {memfd});
    Ok();
    fe.SendState(Request::kSetVringNum, 0, 256);
    Ok();
    VringAddr a{0, 0, 0x7f0000000000, 0x7f0000002000, 0x7f0000001000, 0};
    fe.Send(Request::kSetVringAddr, &a, sizeof a);
    Ok();
    fe.SendState(Request::kSetVringBase, 0, 5);
    Ok();
    int kick = eventfd(0, EFD_CLOEXEC);
    fe.SendU64(Request::kSetVringKick, 0, {kick});
    Ok();
    close(kick);
  }
  ~Fixture() override {
    if (memfd >= 0) close(memfd);
  }
};

TEST_F(Fixture, FeaturesAreTheStableOfferedSet) {
  fe.Send(Request::kGetFeatures, nullptr, 0);
  Ok();
  EXPECT_EQ(fe.ReplyU64(Request::kGetFeatures), kOfferedFeatures);
  fe.Send(Request::kGetProtocolFeatures, nullptr, 0);
  Ok();
  EXPECT_EQ(fe.ReplyU64(Request::kGetProtocolFeatures), Bit(kProtocolMq) | Bit(kProtocolReplyAck) |
                                                            Bit(kProtocolConfig) |
                                                            Bit(kProtocolStatus));
  fe.Send(Request::kGetQueueNum, nullptr, 0);
  Ok();
  EXPECT_EQ(fe.ReplyU64(Request::kGetQueueNum), 2u);
}

TEST_F(Fixture, UnofferedFeatureBitsAreRefused) {
  fe.SendU64(Request::kSetFeatures, Bit(34));  // VIRTIO_F_RING_PACKED was not offered
  Status st = Step();
  EXPECT_EQ(st.errnum(), EINVAL);
  EXPECT_EQ(st.message(), "feature bits 0x400000000 were not offered");
  EXPECT_EQ(backend.protocol_errors(), 1u);
}

TEST_F(Fixture, RingMessagesBeforeSetOwnerAreRefused) {
  fe.SendState(Request::kSetVringNum, 0, 256);
  Status st = Step();
  EXPECT_EQ(st.errnum(), EPERM);
  EXPECT_EQ(st.message(), "SET_VRING_NUM before SET_OWNER");
}

TEST_F(Fixture, RingIndexAndSizeAreChecked) {
  fe.Send(Request::kSetOwner, nullptr, 0);
  Ok();
  fe.SendState(Request::kSetVringNum, 4, 256);
  EXPECT_EQ(Step().message(), "vring index 4 (the VF has 4 rings)");
  fe.SendState(Request::kSetVringNum, 0, 300);
  EXPECT_EQ(Step().message(), "vring size 300 (a power of 2 up to 32768)");
  fe.SendState(Request::kSetVringNum, 0, 65536);
  EXPECT_EQ(Step().errnum(), EINVAL);
  fe.SendU64(Request::kSetVringKick, 200 | kVringNoFdFlag);
  EXPECT_EQ(Step().message(), "vring index 200 (the VF has 4 rings)");
}

TEST_F(Fixture, RingStartsWithKickAndWithoutProtocolFeaturesIsEnabled) {
  SetUpRing0(false);
  EXPECT_TRUE(backend.RingReady(0));
  EXPECT_FALSE(backend.RingReady(1));
  EXPECT_EQ(backend.vring(0).last_avail_idx, 5);
}

TEST_F(Fixture, WithProtocolFeaturesARingWaitsForEnable) {
  SetUpRing0(true);
  EXPECT_FALSE(backend.RingReady(0));
  fe.SendState(Request::kSetVringEnable, 0, 1);
  Ok();
  EXPECT_TRUE(backend.RingReady(0));
  fe.SendState(Request::kSetVringEnable, 0, 0);
  Ok();
  EXPECT_FALSE(backend.RingReady(0));
}

struct Recorder : RingListener {
  int stopped = -1;
  void OnRingStop(int index, Vring& ring) override {
    stopped = index;
    ring.last_avail_idx = 77;  // where the data path got to
  }
};

TEST(Backend, GetVringBaseStopsTheRingAndReportsWhereTheDataPathGot) {
  FrontEnd fe;
  Recorder rec;
  NetBackend backend(BackendOptions{}, &rec);
  auto step = [&] {
    Message m;
    EXPECT_TRUE(fe.backend_side().Receive(m).ok());
    return backend.Handle(m, fe.backend_side());
  };
  fe.Send(Request::kSetOwner, nullptr, 0);
  EXPECT_TRUE(step().ok());
  fe.SendU64(Request::kSetVringKick, 0 | kVringNoFdFlag);
  EXPECT_TRUE(step().ok());
  EXPECT_TRUE(backend.vring(0).started);
  EXPECT_TRUE(backend.vring(0).kick_polled);
  fe.SendState(Request::kGetVringBase, 0, 0);
  EXPECT_TRUE(step().ok());
  std::vector<uint8_t> reply = fe.Reply(Request::kGetVringBase);
  ASSERT_EQ(reply.size(), 8u);
  VringState s;
  std::memcpy(&s, reply.data(), 8);
  EXPECT_EQ(s.index, 0u);
  EXPECT_EQ(s.num, 77u);
  EXPECT_EQ(rec.stopped, 0);
  EXPECT_FALSE(backend.vring(0).started);
}

TEST_F(Fixture, ReplyAckAnswersZeroOnSuccessAndOneOnFailure) {
  fe.SendU64(Request::kSetProtocolFeatures, Bit(kProtocolReplyAck));
  Ok();
  fe.Send(Request::kSetOwner, nullptr, 0, {}, kFlagVersion | kFlagNeedReply);
  Ok();
  EXPECT_EQ(fe.ReplyU64(Request::kSetOwner), 0u);
  fe.SendState(Request::kSetVringNum, 9, 256, kFlagVersion | kFlagNeedReply);
  EXPECT_FALSE(Step().ok());
  EXPECT_EQ(fe.ReplyU64(Request::kSetVringNum), 1u);
  // Without NEED_REPLY nothing is sent.
  fe.Send(Request::kSetOwner, nullptr, 0);
  Ok();
  EXPECT_TRUE(fe.Quiet());
}

TEST_F(Fixture, NoAckWithoutReplyAckNegotiated) {
  fe.Send(Request::kSetOwner, nullptr, 0, {}, kFlagVersion | kFlagNeedReply);
  Ok();
  EXPECT_TRUE(fe.Quiet());
}

TEST_F(Fixture, MemTableRegionsAreValidated) {
  fe.Send(Request::kSetOwner, nullptr, 0);
  Ok();
  int a = memfd_create("a", MFD_CLOEXEC), b = memfd_create("b", MFD_CLOEXEC);
  ASSERT_EQ(ftruncate(a, 0x100000), 0);  // each region lies inside its fd
  ASSERT_EQ(ftruncate(b, 0x2000), 0);
  Memory mem{};
  mem.nregions = 2;
  mem.regions[0] = {0x0, 0x100000, 0x1000, 0};
  mem.regions[1] = {0x80000, 0x100000, 0x900000, 0};
  fe.Send(Request::kSetMemTable, &mem, 8 + 2 * sizeof(MemoryRegion), {a, b});
  EXPECT_EQ(Step().message(), "memory region 1 overlaps another");
  mem.regions[1] = {0x200000, 0, 0x900000, 0};
  fe.Send(Request::kSetMemTable, &mem, 8 + 2 * sizeof(MemoryRegion), {a, b});
  EXPECT_EQ(Step().message(), "memory region 1 has size 0");
  mem.regions[1] = {0xfffffffffffff000ull, 0x2000, 0x900000, 0};
  fe.Send(Request::kSetMemTable, &mem, 8 + 2 * sizeof(MemoryRegion), {a, b});
  EXPECT_EQ(Step().message(), "memory region 1 wraps around 2^64");
  EXPECT_TRUE(backend.memory().empty());
  mem.regions[1] = {0x200000, 0x1000, 0x900000, 0x1000};
  fe.Send(Request::kSetMemTable, &mem, 8 + 2 * sizeof(MemoryRegion), {a, b});
  Ok();
  ASSERT_EQ(backend.memory().size(), 2u);
  EXPECT_EQ(backend.memory()[1].region.mmap_offset, 0x1000u);
  close(a);
  close(b);
}

TEST_F(Fixture, GetConfigReturnsMacStatusPairsAndMtu) {
  Config c{};
  c.offset = 0;
  c.size = 12;
  fe.Send(Request::kGetConfig, &c, 12 + 12);
  Ok();
  std::vector<uint8_t> reply = fe.Reply(Request::kGetConfig);
  ASSERT_EQ(reply.size(), 24u);
  const uint8_t expect[12] = {0x02, 0, 0, 0, 0, 7, 1, 0, 2, 0, 0xdc, 0x05};
  EXPECT_EQ(std::memcmp(reply.data() + 12, expect, 12), 0);
}

TEST_F(Fixture, ResetClosesEveryFdItHeld) {
  int before = OpenFds();
  SetUpRing0(false);
  int call = eventfd(0, EFD_CLOEXEC);
  fe.SendU64(Request::kSetVringCall, 1, {call});
  Ok();
  close(call);
  close(memfd);
  memfd = -1;
  EXPECT_GT(OpenFds(), before);  // the backend holds memfd, kick and call
  fe.Send(Request::kResetOwner, nullptr, 0);
  Ok();
  EXPECT_EQ(OpenFds(), before);
  EXPECT_FALSE(backend.RingReady(0));
  EXPECT_TRUE(backend.memory().empty());
}

// The data path keeps a ring it found broken stopped until the front end sets that ring
// up again: only ring set-up messages move the ring's set-up count.
TEST_F(Fixture, OnlyRingSetUpMessagesCountAsSettingTheRingUp) {
  SetUpRing0(true);
  EXPECT_EQ(backend.vring(0).setups, 4u);  // NUM, ADDR, BASE, KICK
  EXPECT_EQ(backend.vring(1).setups, 0u);
  fe.Send(Request::kGetFeatures, nullptr, 0);
  Ok();
  fe.ReplyU64(Request::kGetFeatures);
  fe.SendState(Request::kSetVringEnable, 0, 1);
  Ok();
  int call = eventfd(0, EFD_CLOEXEC);
  fe.SendU64(Request::kSetVringCall, 0, {call});
  Ok();
  close(call);
  EXPECT_EQ(backend.vring(0).setups, 4u);
  int kick = eventfd(0, EFD_CLOEXEC);
  fe.SendU64(Request::kSetVringKick, 0, {kick});
  Ok();
  close(kick);
  EXPECT_EQ(backend.vring(0).setups, 5u);
  backend.Reset();
  EXPECT_EQ(backend.vring(0).setups, 0u);
}

// mmap would map past the end of the fd; the daemon's first touch there would be SIGBUS.
TEST_F(Fixture, MemoryRegionBeyondItsFdIsRefused) {
  fe.Send(Request::kSetOwner, nullptr, 0);
  Ok();
  int fd = memfd_create("guest", MFD_CLOEXEC);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  Memory mem{};
  mem.nregions = 1;
  mem.regions[0] = {0, 1ull << 30, 0x7f0000000000, 0};
  fe.Send(Request::kSetMemTable, &mem, 8 + sizeof(MemoryRegion), {fd});
  Status st = Step();
  EXPECT_EQ(st.errnum(), EINVAL);
  EXPECT_EQ(st.message(), "memory region 0: mmap offset 0x0 + size 0x40000000 is beyond its fd's "
                          "0x1000 bytes");
  mem.regions[0] = {0, 4096, 0x7f0000000000, 4096};
  fe.Send(Request::kSetMemTable, &mem, 8 + sizeof(MemoryRegion), {fd});
  EXPECT_EQ(Step().errnum(), EINVAL);
  EXPECT_TRUE(backend.memory().empty());
  close(fd);
}


TEST_F(Fixture, UnsupportedRequestsAreRefusedAndTheirFdsClosed) {
  int before = OpenFds();
  int log = memfd_create("log", MFD_CLOEXEC);
  Log l{4096, 0};
  fe.Send(Request::kSetLogBase, &l, sizeof l, {log});
  close(log);
  EXPECT_EQ(Step().errnum(), EOPNOTSUPP);
  EXPECT_EQ(OpenFds(), before);
}

}  // namespace
}  // namespace softvf::vhost_user
