// Micro-benchmark of the VF-to-VF hot path: the real Worker and two real VfPorts, set up
// over the real vhost-user protocol (in-process, through their sockets), forwarding bursts
// of 32 frames from VF0's transmit ring to VF1's receive ring. The driver side (posting TX
// chains, recycling used buffers) is a few stores per frame, done in the same thread.
//
// One thread and one cache: this measures the switch's own per-frame work (descriptor
// walks, parsing, policy, FDB, the copy), not the cross-core misses a real front end on
// another core adds — bench/vf_to_vf.py measures those, against testpmd. Unlike that
// system figure it is repeatable on a noisy host, so hot-path changes are judged here.
#include <benchmark/benchmark.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "datapath/worker.h"
#include "eswitch/policy.h"
#include "vhost_user/features.h"
#include "vhost_user/message.h"
#include "virtio/features.h"
#include "virtio/ring_layout.h"

namespace softvf {
namespace {

using vhost_user::Request;
namespace ring = virtio::ring;

constexpr uint32_t kRingSize = 256;
constexpr uint32_t kBufSize = 2048;
constexpr uint64_t kMemSize = 8 << 20;
constexpr uint32_t kHdr = 12;
const MacAddress kMacA = *MacAddress::Parse("02:00:00:00:00:0a");
const MacAddress kMacB = *MacAddress::Parse("02:00:00:00:00:0b");

// Guest memory shared the vhost-user way: one memfd; front-end addresses = our mapping.
struct SharedMemory {
  int fd = memfd_create("forward-bench", MFD_CLOEXEC);
  uint8_t* base = nullptr;
  SharedMemory() {
    if (fd < 0 || ftruncate(fd, kMemSize) != 0) return;
    void* p = mmap(nullptr, kMemSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    base = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
  }
  ~SharedMemory() {
    if (base) munmap(base, kMemSize);
    if (fd >= 0) close(fd);
  }
  uint64_t user(uint64_t gpa) const { return reinterpret_cast<uint64_t>(base) + gpa; }
};

// The driver side of one split ring laid out at `gpa` (descriptors, avail, used).
struct DriverRing {
  uint8_t* mem;
  uint64_t desc, avail, used, data;
  uint16_t avail_idx = 0, used_seen = 0;

  DriverRing(uint8_t* base, uint64_t gpa, uint64_t data_gpa) : mem(base) {
    desc = gpa;
    avail = desc + ring::DescTableBytes(kRingSize);
    used = (avail + ring::AvailRingBytes(kRingSize, true) + 4095) & ~uint64_t{4095};
    data = data_gpa;
  }
  template <typename T>
  T& at(uint64_t gpa) {
    return *reinterpret_cast<T*>(mem + gpa);
  }
  // Descriptor i points at buffer i (one buffer per chain, as virtio-user posts them).
  void InitDescriptors(uint32_t len, bool writable) {
    for (uint32_t i = 0; i < kRingSize; ++i) {
      uint8_t* d = mem + desc + 16 * i;
      uint64_t addr = data + uint64_t{kBufSize} * i;
      uint16_t flags = writable ? ring::kDescFWrite : 0;
      std::memcpy(d, &addr, 8);
      std::memcpy(d + 8, &len, 4);
      std::memcpy(d + 12, &flags, 2);
    }
  }
  void Offer(uint16_t head) {
    at<uint16_t>(avail + ring::AvailRingEntry(avail_idx % kRingSize)) = head;
    ++avail_idx;
  }
  void Publish() {
    __atomic_store_n(&at<uint16_t>(avail + ring::kAvailIdx), avail_idx, __ATOMIC_RELEASE);
  }
  // Re-offers every buffer the device has returned; returns how many.
  uint16_t Recycle() {
    uint16_t used_idx = __atomic_load_n(&at<uint16_t>(used + ring::kUsedIdx), __ATOMIC_ACQUIRE);
    uint16_t n = static_cast<uint16_t>(used_idx - used_seen);
    for (; used_seen != used_idx; ++used_seen)
      Offer(static_cast<uint16_t>(at<uint32_t>(used + ring::UsedRingEntry(used_seen % kRingSize))));
    return n;
  }
};

// A minimal vhost-user front end: enough messages to start rings 0 (RX) and 1 (TX).
class FrontEnd {
 public:
  FrontEnd(const std::string& path, const SharedMemory& mem) : mem_(mem) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~FrontEnd() {
    close(fd_);
    for (int fd : eventfds_) close(fd);
  }
  bool ok() const { return ok_; }

  void Setup(DriverRing& rx, DriverRing& tx, uint64_t features) {
    Send(Request::kSetOwner, nullptr, 0);
    Send(Request::kSetFeatures, &features, 8);
    vhost_user::Memory m{};
    m.nregions = 1;
    m.regions[0] = {0, kMemSize, mem_.user(0), 0};
    Send(Request::kSetMemTable, &m, 8 + sizeof(vhost_user::MemoryRegion), mem_.fd);
    StartRing(0, rx);
    StartRing(1, tx);
  }

 private:
  void StartRing(uint32_t index, DriverRing& r) {
    vhost_user::VringState num{index, kRingSize}, base{index, 0};
    Send(Request::kSetVringNum, &num, sizeof num);
    vhost_user::VringAddr addr{index, 0, mem_.user(r.desc), mem_.user(r.used), mem_.user(r.avail),
                               0};
    Send(Request::kSetVringAddr, &addr, sizeof addr);
    Send(Request::kSetVringBase, &base, sizeof base);
    uint64_t i = index;
    Send(Request::kSetVringCall, &i, 8, NewEventFd());
    Send(Request::kSetVringKick, &i, 8, NewEventFd());
  }
  int NewEventFd() {
    eventfds_.push_back(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    return eventfds_.back();
  }
  void Send(Request r, const void* payload, uint32_t size, int fd = -1) {
    vhost_user::Header h{static_cast<uint32_t>(r), vhost_user::kFlagVersion, size};
    std::vector<uint8_t> buf(sizeof h + size);
    std::memcpy(buf.data(), &h, sizeof h);
    if (size) std::memcpy(buf.data() + sizeof h, payload, size);
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (fd >= 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ok_ = ok_ && sendmsg(fd_, &msg, 0) == static_cast<ssize_t>(buf.size());
  }

  const SharedMemory& mem_;
  int fd_ = -1;
  bool ok_ = false;
  std::vector<int> eventfds_;
};

// Two VFs as `ip link set ... vf N mac M` leaves them: spoof check on, no trust.
std::shared_ptr<const eswitch::PolicyTable> TwoVfPolicies() {
  std::vector<VfConfig> vfs(2);
  vfs[0].mac = kMacA;
  vfs[1].mac = kMacB;
  auto table = eswitch::PolicyTable::ForPf(true, true, vfs, 2);
  return table.ok() ? *table : nullptr;
}

void BM_ForwardVfToVf(benchmark::State& state) {
  const uint32_t frame_len = static_cast<uint32_t>(state.range(0));
  SharedMemory mem0, mem1;
  if (!mem0.base || !mem1.base) return state.SkipWithError("memfd");
  // VF0 transmits from mem0; VF1 receives into mem1.
  DriverRing rx0(mem0.base, 0, 1 << 20), tx0(mem0.base, 64 << 10, 2 << 20);
  DriverRing rx1(mem1.base, 0, 1 << 20), tx1(mem1.base, 64 << 10, 2 << 20);
  tx0.InitDescriptors(kHdr + frame_len, false);
  rx1.InitDescriptors(kBufSize, true);
  for (uint32_t i = 0; i < kRingSize; ++i) {  // header zero, then dst B, src A, payload
    uint8_t* f = mem0.base + tx0.data + uint64_t{kBufSize} * i + kHdr;
    std::memcpy(f, kMacB.bytes().data(), 6);
    std::memcpy(f + 6, kMacA.bytes().data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    for (uint32_t k = 14; k < frame_len; ++k) f[k] = static_cast<uint8_t>(k + i);
  }
  // Polling drivers (DPDK's virtio PMD) ask for no used-buffer interrupts.
  tx0.at<uint16_t>(tx0.avail + ring::kAvailFlags) = ring::kAvailFNoInterrupt;
  rx1.at<uint16_t>(rx1.avail + ring::kAvailFlags) = ring::kAvailFNoInterrupt;
  for (uint32_t i = 0; i < kRingSize; ++i) rx1.Offer(static_cast<uint16_t>(i));
  rx1.Publish();

  char dir[] = "/tmp/softvf-bench-XXXXXX";
  if (!mkdtemp(dir)) return state.SkipWithError("mkdtemp");
  eswitch::Veb::Options options;
  // As the daemon sizes it from the profile (cx6dx, the system bench's card): with the
  // default of 0 no source is ever held and every frame would sweep the table instead.
  options.fdb_capacity = 4096;
  Worker worker(TwoVfPolicies(), options);
  vhost_user::BackendOptions bo;
  std::vector<std::unique_ptr<FrontEnd>> fes;
  SharedMemory* mems[2] = {&mem0, &mem1};
  DriverRing* rings[2][2] = {{&rx0, &tx0}, {&rx1, &tx1}};
  const uint64_t features = (1ull << virtio::kFVersion1) | (1ull << virtio::kNetFMrgRxbuf);
  for (uint16_t vf = 0; vf < 2; ++vf) {
    std::string path = std::string(dir) + "/vf" + std::to_string(vf) + ".sock";
    auto port = std::make_unique<VfPort>(path, vhost_user::Mode::kServer, bo);
    if (!port->Open().ok() || !worker.Attach(vf, std::move(port)).ok())
      return state.SkipWithError("attach");
    fes.push_back(std::make_unique<FrontEnd>(path, *mems[vf]));
    worker.PollEvents(0, false);  // accept
    fes.back()->Setup(*rings[vf][0], *rings[vf][1], features);
    for (int i = 0; i < 16; ++i) worker.PollEvents(0, false);  // one message each
    if (!fes.back()->ok() || !worker.port(vf)->TxReady(0)) return state.SkipWithError("setup");
  }

  uint64_t frames = 0;
  for (auto _ : state) {
    for (uint16_t i = 0; i < Worker::kBurst; ++i)
      tx0.Offer(static_cast<uint16_t>((tx0.avail_idx) % kRingSize));
    tx0.Publish();
    worker.Burst(MonotonicNs());
    tx0.Recycle();
    tx0.avail_idx = tx0.used_seen;  // TX chains are re-offered by the next iteration
    frames += rx1.Recycle();
    rx1.Publish();
  }
  if (frames != state.iterations() * Worker::kBurst)
    state.SkipWithError(("delivered " + std::to_string(frames) + " frames, expected " +
                         std::to_string(state.iterations() * Worker::kBurst))
                            .c_str());
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.SetBytesProcessed(static_cast<int64_t>(frames) * frame_len);
  fes.clear();
  for (uint16_t vf = 0; vf < 2; ++vf) worker.Detach(vf);
  std::string cmd = std::string("rm -rf ") + dir;
  if (std::system(cmd.c_str()) != 0) state.SkipWithError("cleanup");
}
BENCHMARK(BM_ForwardVfToVf)->Arg(64)->Arg(1500);

}  // namespace
}  // namespace softvf

BENCHMARK_MAIN();
