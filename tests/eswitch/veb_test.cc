// The switch's rules, frame by frame: forwarding and flooding, VLAN isolation and tag
// push/pop, the spoof check, trust, link state, rate limits, learning and counters.
#include "eswitch/veb.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "frame_builder.h"

namespace softvf::eswitch {
namespace {

using testing::Frame;
using testing::Mac;

constexpr uint64_t kSec = 1'000'000'000;

const MacAddress kMac0 = Mac("02:00:00:00:00:00");  // VF n's MAC ends in n
const MacAddress kMac1 = Mac("02:00:00:00:00:01");
const MacAddress kMac2 = Mac("02:00:00:00:00:02");
const MacAddress kMac3 = Mac("02:00:00:00:00:03");
const MacAddress kWire = Mac("52:54:00:aa:bb:cc");  // a host behind the uplink
const MacAddress kStranger = Mac("52:54:00:99:99:99");
const MacAddress kBcast = MacAddress::Broadcast();
const MacAddress kMcast = Mac("01:00:5e:00:00:fb");

const PortId kUp = PortId::Uplink();
const PortId kPf = PortId::PfHost();
PortId Vf(uint16_t n) {
  return PortId::Vf(n);
}

// A PF with four VFs, every one enabled, with its own MAC and link state enable; tests
// change the settings and call Apply().
class VebTest : public ::testing::Test {
 protected:
  VebTest() : vfs_(4) {
    for (uint16_t i = 0; i < vfs_.size(); ++i) {
      vfs_[i].mac = MacAddress({0x02, 0, 0, 0, 0, static_cast<uint8_t>(i)});
      vfs_[i].link_state = LinkState::kEnable;
    }
    Rebuild();
  }

  // A new switch from vfs_, its PF's link at `link_mbps` (0: unlimited).
  void Rebuild(uint32_t link_mbps = 0) {
    Veb::Options o;
    o.fdb_capacity = 64;
    o.hash_seed = 7;
    o.link_speed_mbps = link_mbps;
    veb_ = std::make_unique<Veb>(Table(), o, 0);
  }

  std::shared_ptr<const PolicyTable> Table() {
    return *PolicyTable::ForPf(uplink_carrier_, true, vfs_, vfs_.size());
  }
  void Apply(uint64_t now = 0) { ASSERT_TRUE(veb_->SetPolicies(Table(), now).ok()); }

  const Decision& Send(PortId in, const std::vector<uint8_t>& frame, uint64_t now = 0) {
    veb_->Forward(in, frame.data(), frame.size(), now, d_);
    return d_;
  }
  const Decision& Send(PortId in, const MacAddress& dst, const MacAddress& src,
                       std::vector<testing::Tag> tags = {}, uint64_t now = 0) {
    return Send(in, Frame(dst, src, tags), now);
  }

  // The ports a decision delivers to, in port order.
  std::vector<PortId> Targets(const Decision& d) {
    std::vector<PortId> out;
    if (d.kind == Decision::Kind::kUnicast) out.push_back(d.port);
    if (d.kind == Decision::Kind::kFlood) d.ports.ForEach([&](PortId p) { out.push_back(p); });
    return out;
  }
  uint64_t Drops(PortId p, DropReason r) { return veb_->counters(p).drop(r); }

  // For one simulated second, every `step_ns` each sender in turn offers one 1000-byte
  // frame to `to` (800 Mbit/s each at 10 us). Returns what each got through, in Mbit/s.
  std::vector<double> Offer(const std::vector<PortId>& senders, PortId to,
                            uint64_t step_ns = 10'000) {
    std::vector<std::vector<uint8_t>> frames;
    for (PortId p : senders)
      frames.push_back(Frame(veb_->policy(to).mac, veb_->policy(p).mac, {}, 0x0800, 986));
    std::vector<uint64_t> bytes(senders.size());
    for (uint64_t t = 0; t < kSec; t += step_ns)
      for (size_t i = 0; i < senders.size(); ++i)
        if (Send(senders[i], frames[i], t).kind != Decision::Kind::kDrop)
          bytes[i] += frames[i].size();
    std::vector<double> mbps;
    for (uint64_t b : bytes) mbps.push_back(static_cast<double>(b) * 8 / 1e6);
    return mbps;
  }

  std::vector<VfConfig> vfs_;
  bool uplink_carrier_ = true;
  std::unique_ptr<Veb> veb_;
  Decision d_;
};

using Kind = Decision::Kind;
using Ports = std::vector<PortId>;

// --- forwarding -------------------------------------------------------------------------

TEST_F(VebTest, BroadcastFloodsToEveryPortOfTheVlanButTheSender) {
  EXPECT_EQ(Targets(Send(Vf(0), kBcast, kMac0)), (Ports{kUp, kPf, Vf(1), Vf(2), Vf(3)}));
  EXPECT_EQ(Targets(Send(kUp, kBcast, kWire)), (Ports{kPf, Vf(0), Vf(1), Vf(2), Vf(3)}));
}

TEST_F(VebTest, MulticastFloodsLikeBroadcastToUntrustedVfsToo) {
  // No per-VF multicast list exists yet: every VF takes all multicast of its VLAN.
  EXPECT_EQ(Targets(Send(kUp, kMcast, kWire)), (Ports{kPf, Vf(0), Vf(1), Vf(2), Vf(3)}));
}

TEST_F(VebTest, UnknownUnicastFloodsThenTheLearnedPortGetsIt) {
  // kWire is unknown: flooded to the ports that take unicast for other MACs (uplink, PF;
  // the VFs have MACs and no trust).
  EXPECT_EQ(Targets(Send(Vf(0), kWire, kMac0)), (Ports{kUp, kPf}));
  // kWire answers from the wire; both directions are now known.
  const Decision& back = Send(kUp, kMac0, kWire);
  EXPECT_EQ(back.kind, Kind::kUnicast);
  EXPECT_EQ(back.port, Vf(0));
  const Decision& again = Send(Vf(0), kWire, kMac0);
  EXPECT_EQ(again.kind, Kind::kUnicast);
  EXPECT_EQ(again.port, kUp);
}

TEST_F(VebTest, AVfsMacReachesItBeforeAnyLearning) {
  // The VF's MAC filter, like a NIC's: no flood to the wire for a local address.
  const Decision& d = Send(Vf(0), kMac1, kMac0);
  EXPECT_EQ(d.kind, Kind::kUnicast);
  EXPECT_EQ(d.port, Vf(1));
  EXPECT_EQ(d.ActionFor(veb_->policy(Vf(1))), VlanAction::kNone);
}

TEST_F(VebTest, VfMacFilterWinsOverAnEntryLearnedElsewhere) {
  vfs_[2].spoofchk = false;
  Apply();
  Send(Vf(2), kBcast, kMac1);  // VF 2 poses as VF 1: learned, but not believed
  EXPECT_EQ(veb_->fdb().Lookup(VlanId::Untagged(), kMac1, 0), Vf(2));
  EXPECT_EQ(Send(kUp, kMac1, kWire).port, Vf(1));
}

TEST_F(VebTest, DestinationBehindTheSenderIsDropped) {
  Send(kUp, kBcast, kWire);
  const Decision& d = Send(kUp, kWire, Mac("52:54:00:00:00:01"));
  EXPECT_EQ(d.kind, Kind::kDrop);
  EXPECT_EQ(d.reason, DropReason::kSamePort);
  EXPECT_EQ(Drops(kUp, DropReason::kSamePort), 1u);
}

TEST_F(VebTest, AloneInItsVlanThereIsNoDestination) {
  // VF 0 alone in VLAN 99: the other VFs are in VLAN 98 and the trunks (uplink, PF) down.
  for (auto& c : vfs_) c.vlan = 98;
  vfs_[0].vlan = 99;
  ASSERT_TRUE(veb_->SetPolicies(*PolicyTable::ForPf(false, false, vfs_, vfs_.size()), 0).ok());
  const Decision& d = Send(Vf(0), kBcast, kMac0);
  EXPECT_EQ(d.kind, Kind::kDrop);
  EXPECT_EQ(d.reason, DropReason::kNoDestination);
  EXPECT_EQ(Drops(Vf(0), DropReason::kNoDestination), 1u);
  EXPECT_EQ(veb_->counters(Vf(0)).rx_packets, 1u);  // it was received, then had nowhere to go
}

TEST_F(VebTest, StaticEntriesSteerAndAreNotMovedByLearning) {
  ASSERT_TRUE(veb_->AddStatic(VlanId::Untagged(), kStranger, kPf, 0).ok());
  EXPECT_EQ(Send(Vf(0), kStranger, kMac0).port, kPf);
  Send(kUp, kBcast, kStranger);  // the wire claims it: a static entry does not move
  EXPECT_EQ(Send(Vf(0), kStranger, kMac0).port, kPf);
  EXPECT_EQ(veb_->fdb().stats().static_hold, 1u);
  EXPECT_EQ(veb_->AddStatic(VlanId::Untagged(), kStranger, Vf(4), 0, true).errnum(), EINVAL);
}

TEST_F(VebTest, MovedMacIsRelearned) {
  Send(kUp, kBcast, kStranger);
  EXPECT_EQ(Send(Vf(0), kStranger, kMac0).port, kUp);
  vfs_[3].spoofchk = false;
  vfs_[3].mac = MacAddress();
  Apply();
  Send(Vf(3), kBcast, kStranger);  // the host moved behind VF 3
  EXPECT_EQ(Send(Vf(0), kStranger, kMac0).port, Vf(3));
  EXPECT_EQ(veb_->fdb().stats().moved, 1u);
}

// The per-port learn cache skips the FDB only while nothing changed the entry: a host
// that moves away and back within the same millisecond is relearned on each move.
TEST_F(VebTest, HostMovingBackWithinTheRefreshWindowIsRelearned) {
  vfs_[3].spoofchk = false;
  vfs_[3].mac = MacAddress();
  Apply();
  Send(kUp, kBcast, kStranger, {}, 1000);
  Send(Vf(3), kBcast, kStranger, {}, 2000);
  Send(kUp, kBcast, kStranger, {}, 3000);  // back on the wire, well inside the window
  EXPECT_EQ(Send(Vf(0), kStranger, kMac0, {}, 4000).port, kUp);
  EXPECT_EQ(veb_->fdb().stats().moved, 2u);
}

TEST_F(VebTest, SourceIsRelearnedRightAfterItsEntryIsRemoved) {
  Send(kUp, kBcast, kStranger, {}, 1000);
  ASSERT_TRUE(veb_->fdb().Remove(VlanId::Untagged(), kStranger, 1500).ok());
  Send(kUp, kBcast, kStranger, {}, 2000);
  EXPECT_EQ(veb_->fdb().Lookup(VlanId::Untagged(), kStranger, 2000), kUp);
}

// An active sender's entry never ages out, although its timestamp is refreshed at most
// once a second rather than on every frame.
TEST_F(VebTest, ActiveSenderStaysLearnedPastTheAgingTime) {
  for (uint64_t t = 0; t <= 400 * kSec; t += kSec / 10) Send(kUp, kBcast, kStranger, {}, t);
  EXPECT_EQ(veb_->fdb().Lookup(VlanId::Untagged(), kStranger, 400 * kSec), kUp);
  EXPECT_EQ(veb_->fdb().stats().learned, 1u);
}

TEST_F(VebTest, LearnedEntriesAgeOutAndTheFrameFloodsAgain) {
  Send(kUp, kBcast, kStranger, {}, 0);
  EXPECT_EQ(Send(Vf(0), kStranger, kMac0, {}, 299 * kSec).kind, Kind::kUnicast);
  EXPECT_EQ(Send(Vf(0), kStranger, kMac0, {}, 300 * kSec).kind, Kind::kFlood);
}

TEST_F(VebTest, BadSourceMacsAreDroppedAndNotLearned) {
  vfs_[0].spoofchk = false;
  Apply();
  EXPECT_EQ(Send(Vf(0), kBcast, kMcast).reason, DropReason::kBadSource);
  EXPECT_EQ(Send(kUp, kBcast, MacAddress()).reason, DropReason::kBadSource);
  EXPECT_EQ(Drops(Vf(0), DropReason::kBadSource), 1u);
  EXPECT_EQ(Drops(kUp, DropReason::kBadSource), 1u);
  EXPECT_EQ(veb_->fdb().size(), 0u);
}

TEST_F(VebTest, RuntsAreCountedOnTheirPort) {
  const std::vector<uint8_t> runt(13, 0xff);
  const Decision& d = Send(Vf(2), runt);
  EXPECT_EQ(d.kind, Kind::kDrop);
  EXPECT_EQ(d.reason, DropReason::kRunt);
  EXPECT_EQ(Drops(Vf(2), DropReason::kRunt), 1u);
  EXPECT_EQ(veb_->counters(Vf(2)).rx_packets, 0u);
}

// --- VLANs ------------------------------------------------------------------------------

TEST_F(VebTest, VfsInDifferentPortVlansNeverReachEachOther) {
  vfs_[0].vlan = 10;
  vfs_[1].vlan = 20;
  vfs_[2].vlan = 10;
  Apply();
  // Broadcast from VF 0 stays in VLAN 10: VF 2, and the trunks (uplink, PF, VF 3).
  EXPECT_EQ(Targets(Send(Vf(0), kBcast, kMac0)), (Ports{kUp, kPf, Vf(2), Vf(3)}));
  // Unicast to VF 1's own MAC: VF 1's filter is not in VLAN 10; the frame floods VLAN 10's
  // unknown-unicast ports, which VF 1 is not one of.
  EXPECT_EQ(Targets(Send(Vf(0), kMac1, kMac0)), (Ports{kUp, kPf}));
  // Even after VF 1 is learned (in VLAN 20).
  Send(Vf(1), kBcast, kMac1);
  EXPECT_EQ(Targets(Send(Vf(0), kMac1, kMac0)), (Ports{kUp, kPf}));
  // From the wire, VLAN 20 reaches VF 1 only among the VFs (and VF 3, a trunk).
  EXPECT_EQ(Targets(Send(kUp, kBcast, kWire, {{0x8100, 20}})), (Ports{kPf, Vf(1), Vf(3)}));
  EXPECT_EQ(Targets(Send(kUp, kBcast, kWire, {{0x8100, 10}})), (Ports{kPf, Vf(0), Vf(2), Vf(3)}));
  // Untagged from the wire reaches no port-VLAN VF.
  EXPECT_EQ(Targets(Send(kUp, kBcast, kWire)), (Ports{kPf, Vf(3)}));
}

TEST_F(VebTest, AStaticEntryCannotBreakVlanIsolation) {
  vfs_[0].vlan = 10;
  vfs_[1].vlan = 20;
  Apply();
  ASSERT_TRUE(veb_->AddStatic(VlanId::Customer(10), kStranger, Vf(1), 0).ok());
  const Decision& d = Send(Vf(0), kStranger, kMac0);
  EXPECT_EQ(d.kind, Kind::kDrop);
  EXPECT_EQ(d.reason, DropReason::kVlanMismatch);
  EXPECT_EQ(Drops(Vf(1), DropReason::kVlanMismatch), 1u);
}

TEST_F(VebTest, PortVlanIsPushedTowardTrunksWithQosAsPcpDot1q) {
  vfs_[0].vlan = 100;
  vfs_[0].qos = 5;
  vfs_[1].vlan = 100;
  Apply();
  const auto frame = Frame(kBcast, kMac0);
  const Decision& d = Send(Vf(0), frame);
  ASSERT_EQ(Targets(d), (Ports{kUp, kPf, Vf(1), Vf(2), Vf(3)}));
  EXPECT_EQ(d.vlan, VlanId::Customer(100));
  EXPECT_EQ(d.ActionFor(veb_->policy(kUp)), VlanAction::kPush);
  EXPECT_EQ(d.ActionFor(veb_->policy(kPf)), VlanAction::kPush);
  EXPECT_EQ(d.ActionFor(veb_->policy(Vf(2))), VlanAction::kPush);  // a trunk VF
  EXPECT_EQ(d.ActionFor(veb_->policy(Vf(1))), VlanAction::kNone);  // same port VLAN
  // On the wire: 0x8100, PCP 5, VID 100.
  std::vector<uint8_t> wire(frame.size() + 4);
  ASSERT_EQ(CopyWithVlanEdit(frame.data(), frame.size(), VlanAction::kPush, d.push_tag, wire.data(),
                             wire.size()),
            wire.size());
  EXPECT_EQ(wire, Frame(kBcast, kMac0, {{0x8100, (5 << 13) | 100}}));
}

TEST_F(VebTest, PortVlanIsPushedWithTheDot1adTpid) {
  vfs_[0].vlan = 300;
  vfs_[0].qos = 2;
  vfs_[0].vlan_proto = kEthP8021AD;
  Apply();
  const Decision& d = Send(Vf(0), kBcast, kMac0);
  EXPECT_EQ(d.vlan, VlanId::Service(300));
  EXPECT_EQ(d.ActionFor(veb_->policy(kUp)), VlanAction::kPush);
  EXPECT_EQ(d.push_tag, VlanTag::Make(0x88a8, 2, false, 300));
}

TEST_F(VebTest, PortVlanIsPoppedTowardTheVfWhenTagAndProtoMatch) {
  vfs_[0].vlan = 100;  // C-VLAN 100
  vfs_[1].vlan = 100;
  vfs_[1].vlan_proto = kEthP8021AD;  // S-VLAN 100
  Apply();
  const Decision& c = Send(kUp, kMac0, kWire, {{0x8100, (3 << 13) | 100}});
  ASSERT_EQ(c.kind, Kind::kUnicast);
  EXPECT_EQ(c.port, Vf(0));
  EXPECT_EQ(c.ActionFor(veb_->policy(Vf(0))), VlanAction::kPop);
  const Decision& s = Send(kUp, kBcast, kWire, {{0x88a8, 100}, {0x8100, 7}});
  EXPECT_EQ(Targets(s), (Ports{kPf, Vf(1), Vf(2), Vf(3)}));  // not VF 0: other TPID
  EXPECT_EQ(s.ActionFor(veb_->policy(Vf(1))), VlanAction::kPop);
  EXPECT_EQ(s.ActionFor(veb_->policy(Vf(2))), VlanAction::kNone);  // trunk keeps the tags
  // The VF receives the inner C-tag after its S-tag is stripped.
  const auto in = Frame(kBcast, kWire, {{0x88a8, 100}, {0x8100, 7}});
  std::vector<uint8_t> out(in.size());
  ASSERT_EQ(CopyWithVlanEdit(in.data(), in.size(), VlanAction::kPop, {}, out.data(), out.size()),
            in.size() - 4);
  out.resize(in.size() - 4);
  EXPECT_EQ(out, Frame(kBcast, kWire, {{0x8100, 7}}));
  // The wrong TPID does not reach the C-VLAN VF, even addressed to its MAC: S-VLAN 100's
  // unknown unicast goes to the PF only (VF 2 and 3 are trunks but untrusted with MACs).
  EXPECT_EQ(Targets(Send(kUp, kMac0, kWire, {{0x88a8, 100}})), (Ports{kPf}));
}

TEST_F(VebTest, TaggedFrameFromAPortVlanVfIsDropped) {
  vfs_[0].vlan = 10;
  Apply();
  for (uint16_t tpid : {kEthP8021Q, kEthP8021AD}) {
    for (uint16_t tci : {uint16_t{10}, uint16_t{20}, uint16_t{5 << 13}}) {  // incl. priority
      const Decision& d = Send(Vf(0), kBcast, kMac0, {{tpid, tci}});
      EXPECT_EQ(d.kind, Kind::kDrop);
      EXPECT_EQ(d.reason, DropReason::kTaggedOnPortVlan);
    }
  }
  EXPECT_EQ(Drops(Vf(0), DropReason::kTaggedOnPortVlan), 6u);
  EXPECT_EQ(veb_->counters(Vf(0)).rx_packets, 0u);
  EXPECT_EQ(veb_->fdb().size(), 0u);  // nothing learned from dropped frames
}

TEST_F(VebTest, VfWithoutPortVlanSendsItsOwnTags) {
  vfs_[1].vlan = 30;
  vfs_[2].vlan = 40;
  Apply();
  const Decision& d = Send(Vf(0), kBcast, kMac0, {{0x8100, (1 << 13) | 30}});
  EXPECT_EQ(d.vlan, VlanId::Customer(30));
  EXPECT_EQ(Targets(d), (Ports{kUp, kPf, Vf(1), Vf(3)}));
  EXPECT_EQ(d.ActionFor(veb_->policy(kUp)), VlanAction::kNone);  // the guest's tag as is
  EXPECT_EQ(d.ActionFor(veb_->policy(Vf(1))), VlanAction::kPop);
  // Learned in VLAN 30, not untagged.
  EXPECT_EQ(veb_->fdb().Lookup(VlanId::Customer(30), kMac0, 0), Vf(0));
  EXPECT_FALSE(veb_->fdb().Lookup(VlanId::Untagged(), kMac0, 0));
  // A priority tag (VID 0) keeps the frame untagged in the switch, the tag untouched.
  const Decision& p = Send(Vf(0), kBcast, kMac0, {{0x8100, 6 << 13}});
  EXPECT_EQ(p.vlan, VlanId::Untagged());
  EXPECT_EQ(Targets(p), (Ports{kUp, kPf, Vf(3)}));
}

// --- spoof check and trust ---------------------------------------------------------------

TEST_F(VebTest, SpoofCheckOnDropsForeignSources) {
  vfs_[0].spoofchk = true;
  Apply();
  const Decision& d = Send(Vf(0), kBcast, kStranger);
  EXPECT_EQ(d.kind, Kind::kDrop);
  EXPECT_EQ(d.reason, DropReason::kSpoofed);
  EXPECT_EQ(Drops(Vf(0), DropReason::kSpoofed), 1u);
  EXPECT_FALSE(veb_->fdb().Lookup(VlanId::Untagged(), kStranger, 0));  // not learned
  EXPECT_EQ(Send(Vf(0), kBcast, kMac0).kind, Kind::kFlood);            // its own MAC passes
}

// A trusted VF may change its MAC (the request goes where the switch cannot see it, the
// guest's control queue): its new source passes, is learned, and unicast to it arrives.
TEST_F(VebTest, TrustedVfsNewMacIsGrantedDespiteSpoofCheck) {
  vfs_[0].spoofchk = true;
  vfs_[0].trust = true;
  Apply();
  EXPECT_EQ(Send(Vf(0), kBcast, kStranger).kind, Kind::kFlood);
  EXPECT_EQ(Drops(Vf(0), DropReason::kSpoofed), 0u);
  EXPECT_EQ(Send(Vf(1), kStranger, kMac1).port, Vf(0));
  vfs_[0].trust = false;  // trust withdrawn: the administrative MAC is enforced again
  Apply();
  EXPECT_EQ(Send(Vf(0), kBcast, kStranger).reason, DropReason::kSpoofed);
}

TEST_F(VebTest, SpoofCheckOffLetsForeignSourcesThroughAndLearnsThem) {
  vfs_[0].spoofchk = false;
  Apply();
  EXPECT_EQ(Send(Vf(0), kBcast, kStranger).kind, Kind::kFlood);
  EXPECT_EQ(veb_->fdb().Lookup(VlanId::Untagged(), kStranger, 0), Vf(0));
}

TEST_F(VebTest, SpoofCheckWithoutAMacChecksNothingUntilOneIsSet) {
  // Choice: like igb/ixgbe, the check compares with an assigned MAC; with none assigned
  // (all zero) the guest's own address is unknown, so every source passes.
  vfs_[0].spoofchk = true;
  vfs_[0].mac = MacAddress();
  Apply();
  EXPECT_EQ(Send(Vf(0), kBcast, kStranger).kind, Kind::kFlood);
  EXPECT_EQ(Drops(Vf(0), DropReason::kSpoofed), 0u);
  vfs_[0].mac = kMac0;
  Apply();
  EXPECT_EQ(Send(Vf(0), kBcast, kStranger).reason, DropReason::kSpoofed);
}

TEST_F(VebTest, UntrustedVfGetsOnlyItsMacBroadcastAndMulticast) {
  // VF 1 (spoofchk off) sends as kStranger, so the FDB points kStranger at VF 1; VF 1 is
  // not trusted and kStranger is not its MAC: frames to it are filtered at VF 1.
  vfs_[1].spoofchk = false;
  Apply();
  Send(Vf(1), kBcast, kStranger);
  const Decision& d = Send(kUp, kStranger, kWire);
  EXPECT_EQ(d.kind, Kind::kDrop);
  EXPECT_EQ(d.reason, DropReason::kFiltered);
  EXPECT_EQ(Drops(Vf(1), DropReason::kFiltered), 1u);
  // Unknown unicast does not reach untrusted VFs that have a MAC.
  EXPECT_EQ(Targets(Send(kUp, Mac("52:54:00:00:00:77"), kWire)), (Ports{kPf}));
  // Its own MAC, broadcast and multicast do.
  EXPECT_EQ(Send(kUp, kMac1, kWire).port, Vf(1));
  EXPECT_TRUE(Send(kUp, kBcast, kWire).ports.Test(Vf(1)));
  EXPECT_TRUE(Send(kUp, kMcast, kWire).ports.Test(Vf(1)));
}

TEST_F(VebTest, TrustedVfIsPromiscuousInItsVlan) {
  vfs_[1].spoofchk = false;
  vfs_[1].trust = true;
  vfs_[2].trust = true;
  vfs_[2].vlan = 10;
  Apply();
  Send(Vf(1), kBcast, kStranger);
  EXPECT_EQ(Send(kUp, kStranger, kWire).port, Vf(1));
  // Unknown unicast reaches the trusted VF of the frame's VLAN, not the other one.
  EXPECT_EQ(Targets(Send(kUp, Mac("52:54:00:00:00:77"), kWire)), (Ports{kPf, Vf(1)}));
  EXPECT_EQ(Targets(Send(kUp, Mac("52:54:00:00:00:77"), kWire, {{0x8100, 10}})),
            (Ports{kPf, Vf(1), Vf(2)}));
}

TEST_F(VebTest, VfWithoutAMacTakesUnknownUnicastLikeABridgePort) {
  vfs_[3].mac = MacAddress();
  Apply();
  EXPECT_EQ(Targets(Send(kUp, Mac("52:54:00:00:00:77"), kWire)), (Ports{kPf, Vf(3)}));
}

// --- link state ------------------------------------------------------------------------

TEST_F(VebTest, LinkStateDisableDropsBothWays) {
  vfs_[1].link_state = LinkState::kDisable;
  Apply();
  // From the disabled VF.
  const Decision& out = Send(Vf(1), kBcast, kMac1);
  EXPECT_EQ(out.kind, Kind::kDrop);
  EXPECT_EQ(out.reason, DropReason::kLinkDown);
  // To it: unicast is dropped and counted on it; floods leave it out.
  const Decision& in = Send(Vf(0), kMac1, kMac0);
  EXPECT_EQ(in.kind, Kind::kDrop);
  EXPECT_EQ(in.reason, DropReason::kLinkDown);
  EXPECT_EQ(Drops(Vf(1), DropReason::kLinkDown), 2u);
  EXPECT_FALSE(Send(Vf(0), kBcast, kMac0).ports.Test(Vf(1)));
  EXPECT_EQ(Drops(Vf(1), DropReason::kLinkDown), 2u);
  // Enabling it again restores both directions.
  vfs_[1].link_state = LinkState::kEnable;
  Apply();
  EXPECT_EQ(Send(Vf(0), kMac1, kMac0).port, Vf(1));
  EXPECT_EQ(Send(Vf(1), kMac0, kMac1).port, Vf(0));
}

TEST_F(VebTest, LinkStateAutoFollowsTheUplink) {
  vfs_[0].link_state = LinkState::kAuto;
  vfs_[1].link_state = LinkState::kAuto;
  uplink_carrier_ = false;
  Apply();
  EXPECT_EQ(Send(Vf(0), kMac1, kMac0).reason, DropReason::kLinkDown);
  // "enable" lets VFs talk to each other with the wire down (ip-link(8)).
  EXPECT_EQ(Send(Vf(2), kMac3, kMac2).port, Vf(3));
  EXPECT_FALSE(Send(Vf(2), kBcast, kMac2).ports.Test(kUp));  // the uplink itself is down
  uplink_carrier_ = true;
  Apply();
  EXPECT_EQ(Send(Vf(0), kMac1, kMac0).port, Vf(1));
}

TEST_F(VebTest, LinkDownForgetsWhatWasLearnedOnThePort) {
  vfs_[2].mac = MacAddress();  // guest picks its own MAC: only learning knows it
  Apply();
  Send(Vf(2), kBcast, kStranger);
  ASSERT_EQ(Send(kUp, kStranger, kWire).port, Vf(2));
  vfs_[2].link_state = LinkState::kDisable;
  Apply();
  EXPECT_FALSE(veb_->fdb().Lookup(VlanId::Untagged(), kStranger, 0));
}

TEST_F(VebTest, PortVlanChangeForgetsWhatWasLearnedOnThePort) {
  vfs_[2].mac = MacAddress();
  Apply();
  Send(Vf(2), kBcast, kStranger);
  vfs_[2].vlan = 50;
  Apply();
  EXPECT_EQ(veb_->fdb().size(), 0u);
}

// --- rate limits -------------------------------------------------------------------------

TEST_F(VebTest, MaxTxRateDropsAboveTheBucket) {
  vfs_[0].max_tx_rate = 100;  // 12500 bytes per ms; the bucket holds 10 ms
  Apply();
  const auto f = Frame(kMac1, kMac0, {}, 0x0800, 1236);  // 1250 bytes
  ASSERT_EQ(f.size(), 1250u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(Send(Vf(0), f, 0).kind, Kind::kUnicast) << i;
  const Decision& d = Send(Vf(0), f, 0);
  EXPECT_EQ(d.kind, Kind::kDrop);
  EXPECT_EQ(d.reason, DropReason::kRateLimited);
  EXPECT_EQ(Drops(Vf(0), DropReason::kRateLimited), 1u);
  // 100 us refill 1250 bytes: one more frame.
  EXPECT_EQ(Send(Vf(0), f, 100'000 - 1).reason, DropReason::kRateLimited);
  EXPECT_EQ(Send(Vf(0), f, 100'000).kind, Kind::kUnicast);
  EXPECT_EQ(veb_->counters(Vf(0)).rx_packets, 101u);
  EXPECT_EQ(veb_->counters(Vf(0)).rx_bytes, 101u * 1250);
  // Other VFs are not limited.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Send(Vf(1), Frame(kMac0, kMac1), 0).kind, Kind::kUnicast);
}

// The shaper's question (a VF's ring holds the frame while the answer is no) agrees with
// the bucket Decide charges, so a frame it lets go is never dropped as rate limited.
TEST_F(VebTest, MayTransmitAnswersForTheSameBucketDecideCharges) {
  vfs_[0].max_tx_rate = 100;
  Apply();
  const auto f = Frame(kMac1, kMac0, {}, 0x0800, 1236);  // 1250 bytes
  int sent = 0;
  while (veb_->MayTransmit(Vf(0), f.size(), 0) && sent < 1000) {
    EXPECT_EQ(Send(Vf(0), f, 0).kind, Kind::kUnicast);
    ++sent;
  }
  EXPECT_EQ(sent, 100);  // 10 ms of 100 Mbit/s
  EXPECT_FALSE(veb_->MayTransmit(Vf(0), f.size(), 100'000 - 1));
  EXPECT_TRUE(veb_->MayTransmit(Vf(0), f.size(), 100'000));
  EXPECT_EQ(Drops(Vf(0), DropReason::kRateLimited), 0u);
  EXPECT_TRUE(veb_->MayTransmit(Vf(1), 9000, 0));  // unlimited
}

TEST_F(VebTest, MaxTxRateOverASecondIsTheConfiguredRate) {
  vfs_[0].max_tx_rate = 10;  // 1.25 MB/s
  Apply();
  const auto f = Frame(kMac1, kMac0, {}, 0x0800, 986);  // 1000 bytes, offered at 80 Mbit/s
  uint64_t bytes = 0;
  for (uint64_t t = 0; t < kSec; t += 100'000)
    if (Send(Vf(0), f, t).kind == Kind::kUnicast) bytes += f.size();
  // The last offer is at 999.9 ms: a 12'500-byte bucket (10 ms) + 1'249'875 bytes of
  // refill, of which 1262 whole frames were spent.
  EXPECT_EQ(bytes, 1'262'000u);
}

TEST_F(VebTest, RateChangeTakesEffectWithAFullBucket) {
  vfs_[0].max_tx_rate = 1;  // a 1522-byte bucket
  Apply();
  const auto f = Frame(kMac1, kMac0, {}, 0x0800, 986);
  EXPECT_EQ(Send(Vf(0), f, 0).kind, Kind::kUnicast);
  EXPECT_EQ(Send(Vf(0), f, 0).reason, DropReason::kRateLimited);
  vfs_[0].max_tx_rate = 0;  // unlimited
  Apply(5);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(Send(Vf(0), f, 5).kind, Kind::kUnicast);
  EXPECT_TRUE(veb_->TxConforms(Vf(0), 1'000'000, 5));
}

// --- min_tx_rate: a guaranteed share of the PF's link ---------------------------------------

constexpr double kLink = 100;  // Mbit/s
constexpr double kTolerance = 0.02;

TEST_F(VebTest, MinTxRateIsGuaranteedUnderContentionWhoeverAsksFirst) {
  vfs_[0].min_tx_rate = 60;
  for (bool vf0_first : {true, false}) {
    SCOPED_TRACE(vf0_first ? "VF0 offers first" : "VF1 offers first");
    Rebuild(100);
    const std::vector<PortId> senders =
        vf0_first ? std::vector<PortId>{Vf(0), Vf(1)} : std::vector<PortId>{Vf(1), Vf(0)};
    const std::vector<double> got = Offer(senders, Vf(2));  // VF-to-VF: counts on the link
    const double vf0 = got[vf0_first ? 0 : 1];
    const double vf1 = got[vf0_first ? 1 : 0];
    EXPECT_GE(vf0, 60 * (1 - kTolerance));
    EXPECT_NEAR(vf0 + vf1, kLink, kLink * kTolerance);
    EXPECT_GT(Drops(Vf(1), DropReason::kOverSubscribed), 0u);
    if (!vf0_first) {
      EXPECT_NEAR(vf1, 40, kLink * kTolerance);  // the rest, first come
    }
  }
}

TEST_F(VebTest, EveryVfGetsItsMinTxRateAndTheRestIsShared) {
  vfs_[0].min_tx_rate = 50;
  vfs_[1].min_tx_rate = 30;
  Rebuild(100);
  // VF2 has no guarantee and asks first every time.
  const std::vector<double> got = Offer({Vf(2), Vf(1), Vf(0)}, kUp);
  EXPECT_GE(got[2], 50 * (1 - kTolerance));
  EXPECT_GE(got[1], 30 * (1 - kTolerance));
  EXPECT_NEAR(got[0] + got[1] + got[2], kLink, kLink * kTolerance);
  EXPECT_NEAR(got[0], 20, kLink * kTolerance);
}

TEST_F(VebTest, WithoutContentionAVfWithoutMinTxRateGetsTheWholeLink) {
  vfs_[0].min_tx_rate = 60;  // idle: its guarantee reserves nothing
  Rebuild(100);
  EXPECT_NEAR(Offer({Vf(1)}, Vf(2))[0], kLink, kLink * kTolerance);
  Rebuild(100);
  EXPECT_NEAR(Offer({Vf(0)}, kUp)[0], kLink, kLink * kTolerance);  // above its minimum too
}

TEST_F(VebTest, MaxTxRateStillCapsAVfWithAGuarantee) {
  vfs_[0].min_tx_rate = 20;
  vfs_[0].max_tx_rate = 50;
  Rebuild(100);
  EXPECT_NEAR(Offer({Vf(0)}, Vf(2))[0], 50, 50 * kTolerance);
  Rebuild(100);
  const std::vector<double> got = Offer({Vf(0), Vf(1)}, Vf(2));
  EXPECT_LE(got[0], 50 * (1 + kTolerance));
  EXPECT_NEAR(got[0] + got[1], kLink, kLink * kTolerance);
  EXPECT_GT(Drops(Vf(0), DropReason::kRateLimited), 0u);
  Rebuild(100);
  EXPECT_GE(Offer({Vf(1), Vf(0)}, Vf(2))[1], 20 * (1 - kTolerance));
}

TEST_F(VebTest, GuaranteesAboveTheLinkAreHonoredAndTheRestWaits) {
  vfs_[0].min_tx_rate = 80;
  vfs_[1].min_tx_rate = 80;
  Rebuild(100);
  const std::vector<double> got = Offer({Vf(2), Vf(0), Vf(1)}, kUp);
  EXPECT_GE(got[1], 80 * (1 - kTolerance));
  EXPECT_GE(got[2], 80 * (1 - kTolerance));
  EXPECT_LT(got[0], 1.0);  // only the link's first burst
}

TEST_F(VebTest, OverSubscribedIsAnIngressDropAfterTheRateLimit) {
  vfs_[3].max_tx_rate = 1;  // 1522-byte bucket
  Rebuild(100);             // a 2 ms link bucket: 25000 bytes
  const auto f = Frame(kMac2, kMac1, {}, 0x0800, 986);
  ASSERT_EQ(Send(Vf(3), Frame(kMac2, kMac3, {}, 0x0800, 986)).kind, Kind::kUnicast);
  for (int i = 0; i < 24; ++i) ASSERT_EQ(Send(Vf(1), f).kind, Kind::kUnicast) << i;
  const Decision& d = Send(Vf(1), f);
  EXPECT_EQ(d.kind, Kind::kDrop);
  EXPECT_EQ(d.reason, DropReason::kOverSubscribed);
  EXPECT_EQ(Drops(Vf(1), DropReason::kOverSubscribed), 1u);
  EXPECT_EQ(veb_->counters(Vf(1)).rx_packets, 24u);
  EXPECT_EQ(veb_->counters(Vf(2)).drops_total(), 0u);
  // The PF's host port shares the link (no guarantee); frames from the wire do not.
  EXPECT_EQ(Send(kPf, Frame(kMac2, kWire)).reason, DropReason::kOverSubscribed);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(Send(kUp, Frame(kMac2, kWire)).kind, Kind::kUnicast);
  // max_tx_rate is judged first, and a frame over it charges nothing.
  const auto g = Frame(kMac2, kMac3, {}, 0x0800, 1500);
  EXPECT_EQ(Send(Vf(3), g).reason, DropReason::kRateLimited);
  EXPECT_EQ(Drops(Vf(3), DropReason::kOverSubscribed), 0u);
  // 80 us later the link has 1000 bytes again.
  EXPECT_EQ(Send(Vf(1), f, 80'000 - 1).reason, DropReason::kOverSubscribed);
  EXPECT_EQ(Send(Vf(1), f, 80'000).kind, Kind::kUnicast);
}

TEST_F(VebTest, AFloodIsChargedOnceAndADroppedDestinationStillCosts) {
  Rebuild(100);
  const auto bcast = Frame(kBcast, kMac1, {}, 0x0800, 986);  // copied to five ports
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Send(Vf(1), bcast).kind, Kind::kFlood) << i;
  const auto self = Frame(kMac1, kMac1, {}, 0x0800, 986);  // to itself: kSamePort
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Send(Vf(1), self).reason, DropReason::kSamePort) << i;
  EXPECT_EQ(Send(Vf(1), bcast).reason, DropReason::kOverSubscribed);
}

TEST_F(VebTest, NoLinkSpeedMeansNoLinkLimit) {
  vfs_[0].min_tx_rate = 10;
  Rebuild(0);
  const auto f = Frame(kMac2, kMac1, {}, 0x0800, 1486);
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(Send(Vf(1), f).kind, Kind::kUnicast) << i;
  EXPECT_TRUE(veb_->TxConforms(Vf(1), 1'000'000, 0));
}

TEST_F(VebTest, TxConformsAsksTheGuaranteeAndTheLinkWithoutCharging) {
  vfs_[0].min_tx_rate = 10;  // a 1522-byte guarantee
  Rebuild(100);
  const auto f = Frame(kMac2, kMac1, {}, 0x0800, 986);
  for (int i = 0; i < 25; ++i) ASSERT_EQ(Send(Vf(1), f).kind, Kind::kUnicast) << i;
  EXPECT_FALSE(veb_->TxConforms(Vf(1), 1000, 0));
  EXPECT_TRUE(veb_->TxConforms(Vf(0), 1000, 0));
  EXPECT_TRUE(veb_->TxConforms(Vf(0), 1000, 0));  // nothing was charged
  EXPECT_EQ(Send(Vf(0), Frame(kMac2, kMac0, {}, 0x0800, 986)).kind, Kind::kUnicast);
  EXPECT_FALSE(veb_->TxConforms(Vf(0), 1000, 0));  // guarantee spent, link in debt
  EXPECT_TRUE(veb_->TxConforms(kUp, 1000, 0));
}

TEST_F(VebTest, ChangingMinTxRateRestartsOnlyThatGuarantee) {
  vfs_[0].min_tx_rate = 10;  // 1522-byte guarantees
  vfs_[1].min_tx_rate = 10;
  vfs_[3].max_tx_rate = 1;
  Rebuild(100);
  const auto from0 = Frame(kMac2, kMac0, {}, 0x0800, 986);
  const auto from1 = Frame(kMac2, kMac1, {}, 0x0800, 986);
  const auto from3 = Frame(kMac2, kMac3, {}, 0x0800, 986);
  ASSERT_EQ(Send(Vf(3), from3).kind, Kind::kUnicast);  // VF3's max bucket: spent
  // Spend the link, then each guarantee's one frame.
  while (Send(Vf(1), from1).kind != Kind::kDrop) {
  }
  ASSERT_EQ(d_.reason, DropReason::kOverSubscribed);
  ASSERT_EQ(Send(Vf(0), from0).kind, Kind::kUnicast);
  ASSERT_EQ(Send(Vf(0), from0).reason, DropReason::kOverSubscribed);

  vfs_[0].min_tx_rate = 20;  // 2500 bytes, full again
  Apply(0);
  EXPECT_EQ(Send(Vf(0), from0).kind, Kind::kUnicast);
  EXPECT_EQ(Send(Vf(0), from0).kind, Kind::kUnicast);
  EXPECT_EQ(Send(Vf(0), from0).reason, DropReason::kOverSubscribed);
  EXPECT_EQ(Send(Vf(1), from1).reason, DropReason::kOverSubscribed);                // not restarted
  EXPECT_EQ(Send(Vf(2), Frame(kMac1, kMac2)).reason, DropReason::kOverSubscribed);  // link
  EXPECT_EQ(Send(Vf(3), from3).reason, DropReason::kRateLimited);  // max bucket neither

  vfs_[0].min_tx_rate = 0;  // no guarantee any more: VF0 waits for the link like the rest
  Apply(0);
  EXPECT_EQ(Send(Vf(0), from0).reason, DropReason::kOverSubscribed);
  EXPECT_EQ(veb_->policy(Vf(0)).min_tx_rate_mbps, 0u);
}

// --- counters and control -------------------------------------------------------------------

TEST_F(VebTest, CountersRxTxAndDropsByPort) {
  const auto f = Frame(kMac1, kMac0);
  const Decision& d = Send(Vf(0), f);
  ASSERT_EQ(d.port, Vf(1));
  veb_->CountTx(Vf(1), f.size());
  veb_->CountDrop(Vf(2), DropReason::kNoBuffer);
  EXPECT_EQ(veb_->counters(Vf(0)).rx_packets, 1u);
  EXPECT_EQ(veb_->counters(Vf(0)).rx_bytes, f.size());
  EXPECT_EQ(veb_->counters(Vf(1)).tx_packets, 1u);
  EXPECT_EQ(veb_->counters(Vf(1)).tx_bytes, f.size());
  EXPECT_EQ(Drops(Vf(2), DropReason::kNoBuffer), 1u);
  veb_->ResetCounters();
  EXPECT_EQ(veb_->counters(Vf(0)).rx_packets, 0u);
}

TEST_F(VebTest, MulticastAndBroadcastAreCountedBothWays) {
  auto deliver = [&](const Decision& d, size_t bytes) {
    for (PortId p : Targets(d)) veb_->CountTx(p, bytes, d);
  };
  const auto bcast = Frame(kBcast, kMac0);
  const auto mcast = Frame(kMcast, kMac0);
  const auto to1 = Frame(kMac1, kMac0);
  const auto unknown = Frame(kStranger, kMac0);  // flooded to the uplink and PF: unicast
  EXPECT_EQ(Send(Vf(0), bcast).cast, Cast::kBroadcast);
  deliver(d_, bcast.size());
  EXPECT_EQ(Send(Vf(0), mcast).cast, Cast::kMulticast);
  deliver(d_, mcast.size());
  EXPECT_EQ(Send(Vf(0), mcast).cast, Cast::kMulticast);
  deliver(d_, mcast.size());
  EXPECT_EQ(Send(Vf(0), to1).cast, Cast::kUnicast);
  deliver(d_, to1.size());
  EXPECT_EQ(Send(Vf(0), unknown).kind, Kind::kFlood);
  EXPECT_EQ(d_.cast, Cast::kUnicast);
  deliver(d_, unknown.size());

  const PortCounters& sender = veb_->counters(Vf(0));
  EXPECT_EQ(sender.rx_packets, 5u);
  EXPECT_EQ(sender.rx_multicast, 2u);  // broadcast is not multicast here
  EXPECT_EQ(sender.rx_broadcast, 1u);
  EXPECT_EQ(sender.tx_packets, 0u);
  const PortCounters& vf1 = veb_->counters(Vf(1));
  EXPECT_EQ(vf1.tx_packets, 4u);
  EXPECT_EQ(vf1.tx_multicast, 2u);
  EXPECT_EQ(vf1.tx_broadcast, 1u);
  EXPECT_EQ(vf1.rx_packets + vf1.rx_multicast + vf1.rx_broadcast, 0u);
  const PortCounters& up = veb_->counters(kUp);
  EXPECT_EQ(up.tx_packets, 4u);  // bcast, 2 mcast, unknown unicast
  EXPECT_EQ(up.tx_multicast, 2u);
  EXPECT_EQ(up.tx_broadcast, 1u);

  // Ingress drops and the old CountTx count neither.
  vfs_[2].link_state = LinkState::kDisable;
  Apply();
  EXPECT_EQ(Send(Vf(2), Frame(kBcast, kMac2)).reason, DropReason::kLinkDown);
  EXPECT_EQ(veb_->counters(Vf(2)).rx_broadcast, 0u);
  veb_->CountTx(Vf(3), 60);
  EXPECT_EQ(veb_->counters(Vf(3)).tx_packets, 4u);
  EXPECT_EQ(veb_->counters(Vf(3)).tx_multicast, 2u);
  EXPECT_EQ(veb_->counters(Vf(3)).tx_broadcast, 1u);
  veb_->ResetCounters();
  EXPECT_EQ(veb_->counters(Vf(0)).rx_multicast, 0u);
  EXPECT_EQ(veb_->counters(Vf(1)).tx_broadcast, 0u);
}

TEST_F(VebTest, PolicyTableOfAnotherSizeIsRefused) {
  std::vector<VfConfig> fewer(2);
  EXPECT_EQ(veb_->SetPolicies(*PolicyTable::ForPf(true, true, fewer, 2), 0).errnum(), EINVAL);
  EXPECT_EQ(veb_->SetPolicies(nullptr, 0).errnum(), EINVAL);
  EXPECT_EQ(veb_->port_count(), 6u);
}

TEST_F(VebTest, AbsentVfsCarryNoTraffic) {
  ASSERT_TRUE(veb_->SetPolicies(*PolicyTable::ForPf(true, true, vfs_, 2), 0).ok());
  EXPECT_EQ(Targets(Send(kUp, kBcast, kWire)), (Ports{kPf, Vf(0), Vf(1)}));
  EXPECT_EQ(Send(Vf(3), kBcast, kMac3).reason, DropReason::kLinkDown);
}

TEST_F(VebTest, FullFdbStillForwardsByFlooding) {
  Veb::Options o;
  o.fdb_capacity = 2;
  o.hash_seed = 3;
  veb_ = std::make_unique<Veb>(Table(), o, 0);
  for (int i = 0; i < 5; ++i)
    Send(kUp, kBcast, MacAddress({0x52, 0x54, 0, 0, 1, static_cast<uint8_t>(i)}));
  EXPECT_EQ(veb_->fdb().size(), 2u);
  EXPECT_EQ(veb_->fdb().stats().learn_full, 3u);
  EXPECT_EQ(Send(Vf(0), MacAddress({0x52, 0x54, 0, 0, 1, 4}), kMac0).kind, Kind::kFlood);
}

}  // namespace
}  // namespace softvf::eswitch
