// The data path does not allocate: Forward/Decide, learning into the FDB (also when it is
// full), rate limits, the link's capacity and min_tx_rate guarantees, aging and counting
// run with a counting global operator new armed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <vector>

#include "eswitch/veb.h"
#include "frame_builder.h"

namespace {
// Counts allocations while armed. Replacing the global operator new affects the whole
// test binary, which only makes the count honest.
thread_local bool g_armed = false;
thread_local size_t g_allocations = 0;
}  // namespace

void* operator new(size_t size) {
  if (g_armed) ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace softvf::eswitch {
namespace {

using testing::Frame;
using testing::Mac;

TEST(NoAllocation, ForwardLearnAgeAndCount) {
  std::vector<VfConfig> vfs(8);
  for (uint16_t i = 0; i < vfs.size(); ++i) {
    vfs[i].mac = MacAddress({0x02, 0, 0, 0, 0, static_cast<uint8_t>(i)});
    vfs[i].link_state = LinkState::kEnable;
    vfs[i].vlan = i % 2 ? 10 : 0;
    vfs[i].max_tx_rate = i == 3 ? 10 : 0;
    vfs[i].min_tx_rate = i == 0 || i == 3 ? 5 : 0;
    vfs[i].spoofchk = i != 5;
  }
  Veb::Options o;
  o.fdb_capacity = 16;
  o.hash_seed = 1;
  o.link_speed_mbps = 100;  // offered far above it: oversubscribed drops too
  Veb veb(*PolicyTable::ForPf(true, true, vfs, vfs.size()), o, 0);

  // Frames prepared up front: every kind of decision.
  std::vector<std::vector<uint8_t>> frames;
  std::vector<PortId> from;
  for (uint16_t i = 0; i < 200; ++i) {
    const MacAddress src({0x52, 0x54, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
    frames.push_back(Frame(MacAddress::Broadcast(), src, {{0x8100, 20}}));  // learns: fills FDB
    from.push_back(PortId::Uplink());
    frames.push_back(Frame(src, Mac("02:00:00:00:00:00")));  // known / unknown unicast
    from.push_back(PortId::Vf(0));
    frames.push_back(Frame(src, Mac("02:00:00:00:00:01"), {{0x8100, 5}}));  // tagged on port VLAN
    from.push_back(PortId::Vf(1));
    frames.push_back(Frame(Mac("02:00:00:00:00:02"), src));  // spoofed
    from.push_back(PortId::Vf(4));
    frames.push_back(Frame(Mac("02:00:00:00:00:02"), Mac("02:00:00:00:00:03"), {}, 0x0800, 1400));
    from.push_back(PortId::Vf(3));  // rate limited
    frames.push_back(Frame(Mac("02:00:00:00:00:00"), Mac("02:00:00:00:00:02"), {}, 0x0800, 1400));
    from.push_back(PortId::Vf(2));  // no guarantee: oversubscribed once the link is spent
    frames.push_back(std::vector<uint8_t>(10, 0xff));  // runt
    from.push_back(PortId::Vf(6));
  }
  Decision d;
  g_allocations = 0;
  g_armed = true;
  void* volatile probe = ::operator new(16);  // the counter itself works
  ::operator delete(probe);
  ASSERT_EQ(g_allocations, 1u);
  g_allocations = 0;
  for (uint64_t round = 0; round < 3; ++round) {
    const uint64_t now = round * 400ull * 1'000'000'000;  // later rounds: everything expired
    for (size_t i = 0; i < frames.size(); ++i) {
      veb.Forward(from[i], frames[i].data(), frames[i].size(), now + i, d);
      if (d.kind == Decision::Kind::kUnicast) veb.CountTx(d.port, frames[i].size());
      if (d.kind == Decision::Kind::kFlood)
        d.ports.ForEach([&](PortId p) { veb.CountTx(p, frames[i].size(), d); });
      (void)veb.TxConforms(from[i], frames[i].size(), now + i);
    }
    veb.fdb().Age(now, 64);
  }
  g_armed = false;
  EXPECT_EQ(g_allocations, 0u);
  EXPECT_GT(veb.fdb().stats().learn_full, 0u);  // the full-table path ran too
  // ... and so did every admission path and the multicast and broadcast counters.
  EXPECT_GT(veb.counters(PortId::Vf(3)).drop(DropReason::kRateLimited), 0u);
  EXPECT_GT(veb.counters(PortId::Vf(2)).drop(DropReason::kOverSubscribed), 0u);
  EXPECT_GT(veb.counters(PortId::Vf(0)).drop(DropReason::kOverSubscribed), 0u);  // guarantee
  EXPECT_GT(veb.counters(PortId::Vf(0)).rx_packets, 0u);
  EXPECT_GT(veb.counters(PortId::Vf(0)).tx_broadcast, 0u);
}

}  // namespace
}  // namespace softvf::eswitch
