// PortPolicy from `ip link set ... vf N` settings, the derived sets of a PolicyTable, and
// the counter names `softvf stats` prints.
#include "eswitch/policy.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "eswitch/counters.h"
#include "frame_builder.h"

namespace softvf::eswitch {
namespace {

using testing::Mac;

std::vector<uint16_t> Ports(const PortSet& s) {
  std::vector<uint16_t> out;
  s.ForEach([&](PortId p) { out.push_back(p.value()); });
  return out;
}

TEST(PortPolicy, FromVfConfig) {
  VfConfig c;
  c.mac = Mac("fa:16:3e:11:22:33");
  c.vlan = 100;
  c.qos = 3;
  c.max_tx_rate = 1000;
  c.min_tx_rate = 100;
  c.spoofchk = true;
  c.trust = true;
  c.link_state = LinkState::kEnable;
  const PortPolicy p = PortPolicy::Vf(c, /*uplink_carrier=*/false);
  EXPECT_EQ(p.kind, PortKind::kVf);
  EXPECT_TRUE(p.link_up);
  EXPECT_EQ(p.mac, c.mac);
  EXPECT_TRUE(p.spoofchk);
  EXPECT_TRUE(p.trust);
  EXPECT_EQ(p.port_vlan, VlanId::Customer(100));
  EXPECT_EQ(p.qos, 3);
  EXPECT_EQ(p.port_vlan_tag(), VlanTag::Make(0x8100, 3, false, 100));
  EXPECT_EQ(p.max_tx_rate_mbps, 1000u);
  EXPECT_EQ(p.min_tx_rate_mbps, 100u);
}

TEST(PortPolicy, Dot1adPortVlanIsAServiceVlan) {
  VfConfig c;
  c.vlan = 200;
  c.vlan_proto = kEthP8021AD;
  c.qos = 6;
  const PortPolicy p = PortPolicy::Vf(c, true);
  EXPECT_EQ(p.port_vlan, VlanId::Service(200));
  EXPECT_EQ(p.port_vlan_tag(), VlanTag::Make(0x88a8, 6, false, 200));
}

TEST(PortPolicy, VlanZeroMeansNoPortVlanEvenWithQos) {
  VfConfig c;
  c.vlan = 0;
  c.qos = 5;
  const PortPolicy p = PortPolicy::Vf(c, true);
  EXPECT_FALSE(p.has_port_vlan());
  EXPECT_EQ(p.qos, 0);
  EXPECT_TRUE(p.InVlan(VlanId::Customer(7)));  // a trunk is in every VLAN
}

TEST(PortPolicy, LinkStateAutoFollowsTheUplink) {
  VfConfig c;
  c.link_state = LinkState::kAuto;
  EXPECT_TRUE(PortPolicy::Vf(c, true).link_up);
  EXPECT_FALSE(PortPolicy::Vf(c, false).link_up);
  c.link_state = LinkState::kEnable;
  EXPECT_TRUE(PortPolicy::Vf(c, false).link_up);
  c.link_state = LinkState::kDisable;
  EXPECT_FALSE(PortPolicy::Vf(c, true).link_up);
}

TEST(PortPolicy, SpoofCheckNeedsAnAssignedMac) {
  VfConfig c;
  c.spoofchk = true;
  EXPECT_FALSE(PortPolicy::Vf(c, true).checks_source());  // zero MAC: nothing to check
  c.mac = Mac("02:00:00:00:00:01");
  EXPECT_TRUE(PortPolicy::Vf(c, true).checks_source());
  c.spoofchk = false;
  EXPECT_FALSE(PortPolicy::Vf(c, true).checks_source());
  EXPECT_FALSE(PortPolicy::Uplink(true).checks_source());
}

TEST(PortPolicy, WhoTakesUnicastForOtherMacs) {
  VfConfig c;
  EXPECT_TRUE(PortPolicy::Vf(c, true).accepts_any_unicast());  // MAC unknown: cannot filter
  c.mac = Mac("02:00:00:00:00:01");
  EXPECT_FALSE(PortPolicy::Vf(c, true).accepts_any_unicast());
  c.trust = true;
  EXPECT_TRUE(PortPolicy::Vf(c, true).accepts_any_unicast());
  EXPECT_TRUE(PortPolicy::Uplink(true).accepts_any_unicast());
  EXPECT_TRUE(PortPolicy::PfHost(true).accepts_any_unicast());
}

TEST(PolicyTable, ShapeIsChecked) {
  EXPECT_EQ(PolicyTable::Create({PortPolicy::Uplink(true)}).status().errnum(), EINVAL);
  EXPECT_EQ(
      PolicyTable::Create({PortPolicy::PfHost(true), PortPolicy::Uplink(true)}).status().errnum(),
      EINVAL);
  EXPECT_EQ(PolicyTable::Create(
                {PortPolicy::Uplink(true), PortPolicy::PfHost(true), PortPolicy::Uplink(true)})
                .status()
                .errnum(),
            EINVAL);
  std::vector<PortPolicy> too_many(kMaxPorts + 1, PortPolicy::Absent());
  too_many[0] = PortPolicy::Uplink(true);
  too_many[1] = PortPolicy::PfHost(true);
  EXPECT_EQ(PolicyTable::Create(too_many).status().errnum(), EINVAL);
  too_many.pop_back();
  EXPECT_TRUE(PolicyTable::Create(too_many).ok());
}

TEST(PolicyTable, ForPfMakesVfsBeyondNumVfsAbsent) {
  std::vector<VfConfig> vfs(4);
  for (auto& c : vfs) c.link_state = LinkState::kEnable;
  const auto t = PolicyTable::ForPf(true, true, vfs, 2);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->size(), 6u);
  EXPECT_TRUE((**t)[PortId::Vf(1)].link_up);
  EXPECT_EQ((**t)[PortId::Vf(2)], PortPolicy::Absent());
  EXPECT_FALSE((*t)->contains(PortId::Vf(4)));
}

TEST(PolicyTable, MembersAreTrunksPlusThePortVlansVfs) {
  std::vector<VfConfig> vfs(5);
  for (auto& c : vfs) c.link_state = LinkState::kEnable;
  vfs[0].vlan = 10;
  vfs[1].vlan = 10;
  vfs[2].vlan = 20;
  vfs[3].vlan = 10;
  vfs[3].vlan_proto = kEthP8021AD;  // S-VLAN 10: not C-VLAN 10
  vfs[4].link_state = LinkState::kDisable;
  const auto t = *PolicyTable::ForPf(true, true, vfs, 5);
  PortSet s;
  t->Members(VlanId::Customer(10), s);
  EXPECT_EQ(Ports(s), (std::vector<uint16_t>{0, 1, 2, 3}));
  t->Members(VlanId::Customer(20), s);
  EXPECT_EQ(Ports(s), (std::vector<uint16_t>{0, 1, 4}));
  t->Members(VlanId::Service(10), s);
  EXPECT_EQ(Ports(s), (std::vector<uint16_t>{0, 1, 5}));
  t->Members(VlanId::Untagged(), s);
  EXPECT_EQ(Ports(s), (std::vector<uint16_t>{0, 1}));  // VF 4 is down
}

TEST(PolicyTable, UplinkDownLeavesItOutOfEveryVlan) {
  const auto t = *PolicyTable::ForPf(false, true, std::vector<VfConfig>(1), 1);
  PortSet s;
  t->Members(VlanId::Untagged(), s);
  EXPECT_EQ(Ports(s), (std::vector<uint16_t>{1}));  // VF 0 is auto: down with the uplink
}

TEST(PolicyTable, MacOwnerIsVlanAwareAndPrefersTheLowestPort) {
  std::vector<VfConfig> vfs(4);
  const MacAddress m = Mac("02:00:00:00:00:aa");
  vfs[0].mac = m;
  vfs[0].vlan = 10;
  vfs[1].mac = m;
  vfs[1].vlan = 20;
  vfs[2].mac = m;  // a trunk: in every VLAN
  vfs[3].mac = Mac("02:00:00:00:00:bb");
  vfs[3].link_state = LinkState::kDisable;  // a filter exists even while the link is down
  const auto t = *PolicyTable::ForPf(true, true, vfs, 4);
  EXPECT_EQ(t->MacOwner(m, VlanId::Customer(10)), PortId::Vf(0));
  EXPECT_EQ(t->MacOwner(m, VlanId::Customer(20)), PortId::Vf(1));
  EXPECT_EQ(t->MacOwner(m, VlanId::Customer(30)), PortId::Vf(2));
  EXPECT_EQ(t->MacOwner(Mac("02:00:00:00:00:bb"), VlanId::Untagged()), PortId::Vf(3));
  EXPECT_FALSE(t->MacOwner(Mac("02:00:00:00:00:cc"), VlanId::Untagged()));
}

TEST(PolicyTable, AnyUnicastSet) {
  std::vector<VfConfig> vfs(3);
  vfs[0].mac = Mac("02:00:00:00:00:01");
  vfs[1].mac = Mac("02:00:00:00:00:02");
  vfs[1].trust = true;
  const auto t = *PolicyTable::ForPf(true, true, vfs, 3);
  EXPECT_EQ(Ports(t->any_unicast()), (std::vector<uint16_t>{0, 1, 3, 4}));
}

TEST(Counters, NamesForStats) {
  EXPECT_STREQ(DropReasonName(DropReason::kSpoofed), "spoofed");
  EXPECT_STREQ(DropReasonName(DropReason::kTaggedOnPortVlan), "tagged_on_port_vlan");
  EXPECT_STREQ(DropReasonName(DropReason::kLinkDown), "link_down");
  EXPECT_STREQ(DropReasonName(DropReason::kRateLimited), "rate_limited");
  EXPECT_STREQ(DropReasonName(DropReason::kOverSubscribed), "oversubscribed");
  EXPECT_STREQ(DropReasonName(DropReason::kNoBuffer), "no_buffer");
  EXPECT_STREQ(DropReasonName(DropReason::kCount), "unknown");
  PortCounters c;
  c.rx_packets = 1;
  c.rx_multicast = 20;
  c.tx_broadcast = 300;
  c.drops[static_cast<size_t>(DropReason::kNoBuffer)] = 9;
  std::vector<std::string> names;
  uint64_t sum = 0;
  VisitCounters(c, [&](const char* name, uint64_t v) {
    names.push_back(name);
    sum += v;
  });
  ASSERT_EQ(names.size(), 8 + kDropReasonCount);
  const std::vector<std::string> first = {"rx_packets",   "rx_bytes",     "rx_multicast",
                                          "rx_broadcast", "tx_packets",   "tx_bytes",
                                          "tx_multicast", "tx_broadcast", "drop_runt"};
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 9), first);
  EXPECT_EQ(names.back(), "drop_no_buffer");
  EXPECT_EQ(sum, 330u);
  EXPECT_EQ(c.drops_total(), 9u);
  // Every drop counter name is there once, "drop_" + DropReasonName.
  for (size_t i = 0; i < kDropReasonCount; ++i)
    EXPECT_EQ(names[8 + i], std::string("drop_") + DropReasonName(static_cast<DropReason>(i)));
}

TEST(Counters, MulticastAndBroadcastAreDisjoint) {
  PortCounters c;
  c.CountRx(60, Cast::kBroadcast);
  c.CountRx(70, Cast::kMulticast);
  c.CountRx(80, Cast::kUnicast);
  c.CountTx(90, Cast::kBroadcast);
  c.CountTx(100, Cast::kBroadcast);
  EXPECT_EQ(c.rx_packets, 3u);
  EXPECT_EQ(c.rx_bytes, 210u);
  EXPECT_EQ(c.rx_multicast, 1u);
  EXPECT_EQ(c.rx_broadcast, 1u);
  EXPECT_EQ(c.tx_packets, 2u);
  EXPECT_EQ(c.tx_bytes, 190u);
  EXPECT_EQ(c.tx_multicast, 0u);
  EXPECT_EQ(c.tx_broadcast, 2u);
}

}  // namespace
}  // namespace softvf::eswitch
