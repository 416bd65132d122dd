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

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "datapath/worker.h"
#include "eswitch/policy.h"
#include "temp_dir.h"
#include "vhost_rig.h"
#include "virtio/features.h"
#include "virtio/ring_layout.h"

namespace softvf {
namespace {

namespace ring = virtio::ring;
using testing::DriverRing;
using testing::FrontEnd;
using testing::SharedMemory;

constexpr uint32_t kRingSize = 256;
constexpr uint32_t kBufSize = 2048;
constexpr uint64_t kMemSize = 8 << 20;
constexpr uint32_t kHdr = 12;
const MacAddress kMacA = *MacAddress::Parse("02:00:00:00:00:0a");
const MacAddress kMacB = *MacAddress::Parse("02:00:00:00:00:0b");

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
  SharedMemory mem0(kMemSize), mem1(kMemSize);
  if (!mem0.base || !mem1.base) return state.SkipWithError("memfd");
  // VF0 transmits from mem0; VF1 receives into mem1.
  DriverRing rx0(mem0.base, kRingSize, 0, 1 << 20, kBufSize);
  DriverRing tx0(mem0.base, kRingSize, 64 << 10, 2 << 20, kBufSize);
  DriverRing rx1(mem1.base, kRingSize, 0, 1 << 20, kBufSize);
  DriverRing tx1(mem1.base, kRingSize, 64 << 10, 2 << 20, kBufSize);
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

  const testing::TempDir dir("softvf-bench");  // outlives the worker and its sockets
  if (dir.path().empty()) return state.SkipWithError("mkdtemp");
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
    std::string path = dir.File("vf" + std::to_string(vf) + ".sock");
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
}
BENCHMARK(BM_ForwardVfToVf)->Arg(64)->Arg(1500);

}  // namespace
}  // namespace softvf

BENCHMARK_MAIN();
