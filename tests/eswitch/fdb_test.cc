// Fdb: the bound, learning, moves, aging, static entries, a full table, `fdb show`, and a
// randomized check of the open-addressing table against a reference map.
#include "eswitch/fdb.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <random>
#include <tuple>

#include "frame_builder.h"

namespace softvf::eswitch {
namespace {

using testing::Mac;

constexpr uint64_t kSec = 1'000'000'000;
constexpr uint64_t kSeed = 0x1234'5678'9abc'def1;

const VlanId kV0 = VlanId::Untagged();
const VlanId kV10 = VlanId::Customer(10);
const PortId kVf0 = PortId::Vf(0);
const PortId kVf1 = PortId::Vf(1);
const PortId kUp = PortId::Uplink();

MacAddress NthMac(uint32_t n) {
  return MacAddress({0x02, 0x00, static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                     static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
}

TEST(Fdb, CapacityIsTheBoundAndSlotsAreFixed) {
  Fdb fdb(32, Fdb::kDefaultAgingNs, kSeed);  // the i350 profile's mac_filters
  EXPECT_EQ(fdb.capacity(), 32u);
  EXPECT_EQ(fdb.slot_count(), 64u);  // load stays at or below one half
  EXPECT_EQ(fdb.aging_ns(), 300 * kSec);
  for (uint32_t i = 0; i < 1000; ++i) fdb.Learn(kV0, NthMac(i), kVf0, 0);
  EXPECT_EQ(fdb.size(), 32u);
  EXPECT_EQ(fdb.slot_count(), 64u);
  EXPECT_EQ(fdb.stats().learned, 32u);
  EXPECT_EQ(fdb.stats().learn_full, 968u);
}

TEST(Fdb, CapacityIsClampedToTheProfileLimit) {
  Fdb fdb(UINT32_MAX, Fdb::kDefaultAgingNs, kSeed);
  EXPECT_EQ(fdb.capacity(), Fdb::kMaxCapacity);
}

TEST(Fdb, ZeroCapacityLearnsNothing) {
  Fdb fdb(0, Fdb::kDefaultAgingNs, kSeed);
  fdb.Learn(kV0, NthMac(1), kVf0, 0);
  EXPECT_FALSE(fdb.Lookup(kV0, NthMac(1), 0));
  EXPECT_EQ(fdb.stats().learn_full, 1u);
  EXPECT_EQ(fdb.AddStatic(kV0, NthMac(1), kVf0, 0).errnum(), ENOSPC);
}

TEST(Fdb, LearnThenLookupPerVlan) {
  Fdb fdb(64, Fdb::kDefaultAgingNs, kSeed);
  const MacAddress m = Mac("52:54:00:12:34:56");
  fdb.Learn(kV10, m, kVf0, 0);
  EXPECT_EQ(fdb.Lookup(kV10, m, 0), kVf0);
  EXPECT_FALSE(fdb.Lookup(kV0, m, 0));
  EXPECT_FALSE(fdb.Lookup(VlanId::Service(10), m, 0));  // S-VLAN 10 is another domain
  fdb.Learn(VlanId::Service(10), m, kVf1, 0);           // the same MAC in two VLANs: two entries
  EXPECT_EQ(fdb.Lookup(kV10, m, 0), kVf0);
  EXPECT_EQ(fdb.Lookup(VlanId::Service(10), m, 0), kVf1);
  EXPECT_EQ(fdb.size(), 2u);
}

TEST(Fdb, MacMovingToAnotherPortIsRelearned) {
  Fdb fdb(64, Fdb::kDefaultAgingNs, kSeed);
  const MacAddress m = NthMac(7);
  fdb.Learn(kV0, m, kVf0, 0);
  fdb.Learn(kV0, m, kVf0, 1);
  EXPECT_EQ(fdb.stats().moved, 0u);
  fdb.Learn(kV0, m, kUp, 2);
  EXPECT_EQ(fdb.Lookup(kV0, m, 2), kUp);
  EXPECT_EQ(fdb.stats().moved, 1u);
  EXPECT_EQ(fdb.stats().learned, 1u);
  EXPECT_EQ(fdb.size(), 1u);
}

TEST(Fdb, LearnedEntriesAgeAfter300Seconds) {
  Fdb fdb(64, Fdb::kDefaultAgingNs, kSeed);
  const MacAddress m = NthMac(1);
  fdb.Learn(kV0, m, kVf0, 10 * kSec);
  EXPECT_EQ(fdb.Lookup(kV0, m, 310 * kSec - 1), kVf0);
  EXPECT_FALSE(fdb.Lookup(kV0, m, 310 * kSec));  // expired when now >= seen + aging
  // Seeing the MAC again refreshes it.
  fdb.Learn(kV0, m, kVf0, 200 * kSec);
  EXPECT_EQ(fdb.Lookup(kV0, m, 499 * kSec), kVf0);
  EXPECT_FALSE(fdb.Lookup(kV0, m, 500 * kSec));
}

TEST(Fdb, AgingTimeIsSettable) {
  Fdb fdb(64, 5 * kSec, kSeed);
  fdb.Learn(kV0, NthMac(1), kVf0, 0);
  EXPECT_TRUE(fdb.Lookup(kV0, NthMac(1), 5 * kSec - 1));
  EXPECT_FALSE(fdb.Lookup(kV0, NthMac(1), 5 * kSec));
  fdb.set_aging_ns(10 * kSec);
  EXPECT_TRUE(fdb.Lookup(kV0, NthMac(1), 5 * kSec));
}

TEST(Fdb, AgeSweepRemovesExpiredEntriesOnly) {
  Fdb fdb(64, Fdb::kDefaultAgingNs, kSeed);
  for (uint32_t i = 0; i < 40; ++i) fdb.Learn(kV0, NthMac(i), kVf0, i < 30 ? 0 : 100 * kSec);
  ASSERT_TRUE(fdb.AddStatic(kV0, NthMac(1000), kVf1, 0).ok());
  EXPECT_EQ(fdb.size(), 41u);
  // A sweep in small steps, as a worker spreads it over bursts; a full pass visits every
  // slot once plus once more per removal.
  uint32_t removed = 0;
  for (uint32_t n = 0; n < fdb.slot_count() + 30; n += 10) removed += fdb.Age(350 * kSec, 10);
  EXPECT_EQ(removed, 30u);
  EXPECT_EQ(fdb.stats().aged, 30u);
  EXPECT_EQ(fdb.size(), 11u);
  for (uint32_t i = 30; i < 40; ++i) EXPECT_EQ(fdb.Lookup(kV0, NthMac(i), 350 * kSec), kVf0);
  EXPECT_EQ(fdb.Lookup(kV0, NthMac(1000), 350 * kSec), kVf1);
}

TEST(Fdb, FullTableOfExpiredEntriesRecoversWithoutASweep) {
  Fdb fdb(32, Fdb::kDefaultAgingNs, kSeed);
  for (uint32_t i = 0; i < 32; ++i) fdb.Learn(kV0, NthMac(i), kVf0, 0);
  ASSERT_EQ(fdb.size(), 32u);
  // Each learn into the full table sweeps a few slots; a handful of frames is enough.
  const MacAddress fresh = NthMac(5000);
  uint32_t frames = 0;
  while (!fdb.Lookup(kV0, fresh, 400 * kSec) && frames < fdb.slot_count()) {
    fdb.Learn(kV0, fresh, kVf1, 400 * kSec);
    ++frames;
  }
  EXPECT_EQ(fdb.Lookup(kV0, fresh, 400 * kSec), kVf1);
  EXPECT_LE(frames, fdb.slot_count() / Fdb::kReclaimSlotsPerLearn);
}

TEST(Fdb, FullTableOfLiveEntriesSkipsLearningAndCountsIt) {
  Fdb fdb(4, Fdb::kDefaultAgingNs, kSeed);
  for (uint32_t i = 0; i < 4; ++i) fdb.Learn(kV0, NthMac(i), kVf0, 0);
  fdb.Learn(kV0, NthMac(99), kVf1, 1);
  EXPECT_FALSE(fdb.Lookup(kV0, NthMac(99), 1));
  EXPECT_EQ(fdb.stats().learn_full, 1u);
  // Existing entries still refresh and move when the table is full.
  fdb.Learn(kV0, NthMac(2), kVf1, 1);
  EXPECT_EQ(fdb.Lookup(kV0, NthMac(2), 1), kVf1);
  EXPECT_EQ(fdb.stats().learn_full, 1u);
}

TEST(Fdb, StaticEntriesNeverAgeAndLearningNeverMovesThem) {
  Fdb fdb(64, Fdb::kDefaultAgingNs, kSeed);
  const MacAddress m = NthMac(3);
  ASSERT_TRUE(fdb.AddStatic(kV10, m, kUp, 0).ok());
  fdb.Learn(kV10, m, kVf0, 5);  // someone else sends with that source
  EXPECT_EQ(fdb.Lookup(kV10, m, 5), kUp);
  EXPECT_EQ(fdb.stats().static_hold, 1u);
  EXPECT_EQ(fdb.stats().moved, 0u);
  EXPECT_EQ(fdb.Lookup(kV10, m, 1'000'000 * kSec), kUp);
  EXPECT_EQ(fdb.Age(1'000'000 * kSec, fdb.slot_count()), 0u);
}

TEST(Fdb, StaticAddDelLikeBridgeFdb) {
  Fdb fdb(2, Fdb::kDefaultAgingNs, kSeed);
  EXPECT_TRUE(fdb.AddStatic(kV0, NthMac(1), kVf0, 0).ok());
  EXPECT_EQ(fdb.AddStatic(kV0, NthMac(1), kVf1, 0).errnum(), EEXIST);
  EXPECT_TRUE(fdb.AddStatic(kV0, NthMac(1), kVf1, 0, /*replace=*/true).ok());
  EXPECT_EQ(fdb.Lookup(kV0, NthMac(1), 0), kVf1);
  // A learned entry is an existing entry too (NLM_F_EXCL); replace makes it static.
  fdb.Learn(kV0, NthMac(2), kVf0, 0);
  EXPECT_EQ(fdb.AddStatic(kV0, NthMac(2), kUp, 0).errnum(), EEXIST);
  EXPECT_TRUE(fdb.AddStatic(kV0, NthMac(2), kUp, 0, true).ok());
  EXPECT_EQ(fdb.Lookup(kV0, NthMac(2), 1'000 * kSec), kUp);
  // Full: ENOSPC, with the bound in the message.
  const Status full = fdb.AddStatic(kV0, NthMac(3), kVf0, 0);
  EXPECT_EQ(full.errnum(), ENOSPC);
  EXPECT_NE(full.message().find("2 entries"), std::string::npos);
  EXPECT_TRUE(fdb.Remove(kV0, NthMac(1), 0).ok());
  EXPECT_EQ(fdb.Remove(kV0, NthMac(1), 0).errnum(), ENOENT);
  EXPECT_TRUE(fdb.AddStatic(kV0, NthMac(3), kVf0, 0).ok());
}

TEST(Fdb, StaticAddOverAnExpiredLearnedEntryIsNotAConflict) {
  Fdb fdb(8, Fdb::kDefaultAgingNs, kSeed);
  fdb.Learn(kV0, NthMac(1), kVf0, 0);
  EXPECT_TRUE(fdb.AddStatic(kV0, NthMac(1), kUp, 300 * kSec).ok());
  EXPECT_EQ(fdb.Lookup(kV0, NthMac(1), 300 * kSec), kUp);
  EXPECT_EQ(fdb.size(), 1u);
}

TEST(Fdb, StaticAddRefusesMulticastAndBadPorts) {
  Fdb fdb(8, Fdb::kDefaultAgingNs, kSeed);
  EXPECT_EQ(fdb.AddStatic(kV0, Mac("01:00:5e:00:00:01"), kVf0, 0).errnum(), EINVAL);
  EXPECT_EQ(fdb.AddStatic(kV0, MacAddress::Broadcast(), kVf0, 0).errnum(), EINVAL);
  EXPECT_EQ(fdb.AddStatic(kV0, NthMac(1), PortId(), 0).errnum(), EINVAL);
}

TEST(Fdb, FlushPortKeepsStaticEntriesUnlessAsked) {
  Fdb fdb(64, Fdb::kDefaultAgingNs, kSeed);
  for (uint32_t i = 0; i < 20; ++i) fdb.Learn(kV0, NthMac(i), i % 2 ? kVf0 : kVf1, 0);
  ASSERT_TRUE(fdb.AddStatic(kV0, NthMac(100), kVf0, 0).ok());
  EXPECT_EQ(fdb.FlushPort(kVf0), 10u);
  EXPECT_EQ(fdb.size(), 11u);
  EXPECT_EQ(fdb.Lookup(kV0, NthMac(100), 0), kVf0);
  for (uint32_t i = 0; i < 20; i += 2) EXPECT_EQ(fdb.Lookup(kV0, NthMac(i), 0), kVf1);
  EXPECT_EQ(fdb.FlushPort(kVf0, /*learned_only=*/false), 1u);
  fdb.Clear();
  EXPECT_EQ(fdb.size(), 0u);
}

TEST(Fdb, EntriesForShowHideExpiredOnes) {
  Fdb fdb(64, Fdb::kDefaultAgingNs, kSeed);
  fdb.Learn(kV10, Mac("52:54:00:00:00:01"), kVf0, 7 * kSec);
  fdb.Learn(kV0, Mac("52:54:00:00:00:02"), kVf1, 0);
  ASSERT_TRUE(fdb.AddStatic(VlanId::Service(20), Mac("52:54:00:00:00:03"), kUp, 0).ok());
  auto entries = fdb.Entries(300 * kSec);  // the second one has just expired
  ASSERT_EQ(entries.size(), 2u);
  std::sort(entries.begin(), entries.end(), [](const FdbEntry& a, const FdbEntry& b) {
    return a.mac.ToString() < b.mac.ToString();
  });
  EXPECT_EQ(entries[0].vlan, kV10);
  EXPECT_EQ(entries[0].mac, Mac("52:54:00:00:00:01"));
  EXPECT_EQ(entries[0].port, kVf0);
  EXPECT_FALSE(entries[0].is_static);
  EXPECT_EQ(entries[0].last_seen_ns, 7 * kSec);
  EXPECT_EQ(entries[1].vlan, VlanId::Service(20));
  EXPECT_EQ(entries[1].mac, Mac("52:54:00:00:00:03"));
  EXPECT_EQ(entries[1].port, kUp);
  EXPECT_TRUE(entries[1].is_static);
}

// Learn, refresh, move, static add/remove, flush and age in random order against
// std::map; a small table with few slots exercises wrap-around and backward shifts.
TEST(Fdb, RandomChurnMatchesAReferenceMap) {
  for (uint64_t seed : {uint64_t{1}, uint64_t{2}, kSeed}) {
    Fdb fdb(16, 50, seed);
    struct Ref {
      PortId port;
      bool is_static;
      uint64_t seen;
    };
    std::map<std::tuple<uint16_t, uint64_t>, Ref> ref;
    std::mt19937_64 rng(seed);
    auto key = [](VlanId v, uint32_t m) { return std::make_tuple(v.raw(), uint64_t{m}); };
    auto live = [&](const Ref& r, uint64_t now) { return r.is_static || now - r.seen < 50; };
    uint64_t now = 0;
    for (int step = 0; step < 20'000; ++step) {
      now += rng() % 3;
      const VlanId v = VlanId::Customer(static_cast<uint16_t>(rng() % 3));
      const uint32_t m = static_cast<uint32_t>(rng() % 40);
      const PortId p = PortId::Vf(static_cast<uint16_t>(rng() % 4));
      const int op = static_cast<int>(rng() % 10);
      auto it = ref.find(key(v, m));
      if (op < 6) {
        fdb.Learn(v, NthMac(m), p, now);
        if (it != ref.end() && it->second.is_static) continue;
        if (it != ref.end()) {
          it->second = Ref{p, false, now};
        } else {
          // Learned unless the table was full of live entries at that moment.
          if (fdb.Lookup(v, NthMac(m), now)) ref[key(v, m)] = Ref{p, false, now};
        }
      } else if (op == 6) {
        const bool exists = it != ref.end() && live(it->second, now);
        const Status st = fdb.AddStatic(v, NthMac(m), p, now);
        if (exists) {
          EXPECT_EQ(st.errnum(), EEXIST);
        } else if (st.ok()) {
          ref[key(v, m)] = Ref{p, true, 0};
        } else {
          EXPECT_EQ(st.errnum(), ENOSPC);
        }
      } else if (op == 7) {
        const Status st = fdb.Remove(v, NthMac(m), now);
        EXPECT_EQ(st.ok(), it != ref.end() && live(it->second, now));
        if (it != ref.end()) ref.erase(it);
      } else if (op == 8) {
        fdb.Age(now, 5);
      } else if (rng() % 50 == 0) {
        fdb.FlushPort(p);
        std::erase_if(ref,
                      [&](const auto& kv) { return kv.second.port == p && !kv.second.is_static; });
      }
      // Entries the table dropped by aging are expired in the reference too.
      std::erase_if(ref, [&](const auto& kv) { return !live(kv.second, now); });
      ASSERT_LE(fdb.size(), fdb.capacity());
      for (uint16_t vv = 0; vv < 3; ++vv) {
        for (uint32_t mm = 0; mm < 40; ++mm) {
          const VlanId vid = VlanId::Customer(vv);
          auto r = ref.find(key(vid, mm));
          const auto got = fdb.Lookup(vid, NthMac(mm), now);
          if (r == ref.end()) {
            ASSERT_FALSE(got) << "seed " << seed << " step " << step;
          } else {
            ASSERT_EQ(got, r->second.port) << "seed " << seed << " step " << step;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace softvf::eswitch
