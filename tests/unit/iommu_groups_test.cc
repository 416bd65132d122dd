// IOMMU groups from topology and ACS (Linux pci_device_group / pci_acs_path_enabled /
// the multifunction alias rule) and VFIO viability, on whole Cards: the seed's I350 host,
// a root port without ACS, multifunction PFs without ACS, a switch whose downstream port
// lacks ACS; then AssignVf / ReleaseVf with the seed's "group N is not viable".
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

#include "card/card.h"
#include "iommu/groups.h"
#include "sriov/sysfs.h"
#include "test_profiles.h"

namespace softvf {
namespace {

using testing::Builtin;

std::shared_ptr<const DeviceProfile> Profile(const std::string& name) {
  return std::make_shared<DeviceProfile>(Builtin(name));
}

BridgeSpec Bridge(const char* bdf, uint8_t secondary, uint8_t subordinate, bool acs,
                  pci::PcieType type = pci::PcieType::kRootPort) {
  BridgeSpec s;
  s.bdf = *Bdf::Parse(bdf);
  s.type = type;
  s.secondary_bus = secondary;
  s.subordinate_bus = subordinate;
  s.acs = acs;
  return s;
}

// "id:[member member ...] id:[...]" in group-ID order, members in discovery order.
std::string Render(const Card& card) {
  Card::Groups g = card.ComputeGroups();
  std::string out;
  for (const IommuGroup& group : g.groups) {
    out += (out.empty() ? "" : " ") + std::to_string(group.id) + ":[";
    for (size_t i = 0; i < group.members.size(); ++i)
      out += (i ? " " : "") + g.members[group.members[i]].bdf.ToShortString();
    out += "]";
  }
  return out;
}

void AddI350(Card& card, std::shared_ptr<const DeviceProfile> profile, const char* slot,
             int numvfs_port1, int numvfs_port0 = 0) {
  Status st = card.AddAdapter(profile, profile->name, *Bdf::Parse(slot), profile->ports,
                              0xa0000000 + 0x10000000 * card.adapters().size(), {});
  ASSERT_TRUE(st.ok()) << st.message();
  Adapter& a = card.adapters().back();
  if (numvfs_port0) {
    ASSERT_TRUE(SysfsWrite(*a.ports[0].pf, "sriov_numvfs", std::to_string(numvfs_port0)).ok());
  }
  if (numvfs_port1) {
    ASSERT_TRUE(SysfsWrite(*a.ports[1].pf, "sriov_numvfs", std::to_string(numvfs_port1)).ok());
  }
}

// The seed's host: root port 30:03.1 with ACS, I350 (quirk: functions isolated) at 31:00.
TEST(IommuGroups, SeedHostEveryPfAndVfAlone) {
  Card card;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:30:03.1", 0x31, 0x31, true)));
  AddI350(card, Profile("i350"), "0000:31:00.0", 7);
  EXPECT_EQ(Render(card),
            "0:[30:03.1] 1:[31:00.0] 2:[31:00.1] 3:[31:10.1] 4:[31:10.5] 5:[31:11.1] "
            "6:[31:11.5] 7:[31:12.1] 8:[31:12.5] 9:[31:13.1]");
}

TEST(IommuGroups, VfsOfBothPortsInPfThenIndexOrder) {
  Card card;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:30:03.1", 0x31, 0x31, true)));
  AddI350(card, Profile("i350"), "0000:31:00.0", 2, 2);
  EXPECT_EQ(Render(card),
            "0:[30:03.1] 1:[31:00.0] 2:[31:00.1] 3:[31:10.0] 4:[31:10.4] 5:[31:10.1] "
            "6:[31:10.5]");
}

TEST(IommuGroups, RootPortWithoutAcsTakesEverythingBelowIt) {
  Card card;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:30:03.1", 0x31, 0x31, false)));
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:30:03.2", 0x32, 0x32, true)));
  AddI350(card, Profile("i350"), "0000:31:00.0", 2);
  AddI350(card, Profile("i350"), "0000:32:00.0", 1);
  EXPECT_EQ(Render(card),
            "0:[30:03.1 31:00.0 31:00.1 31:10.1 31:10.5] 1:[30:03.2] 2:[32:00.0] 3:[32:00.1] "
            "4:[32:10.1]");
}

TEST(IommuGroups, MultifunctionPfsWithoutAcsShareButVfsStayAlone) {
  auto noquirk = std::make_shared<DeviceProfile>(Builtin("i350"));
  noquirk->mf_endpoint_acs_quirk = false;
  Card card;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:30:03.1", 0x31, 0x31, true)));
  AddI350(card, noquirk, "0000:31:00.0", 2);
  EXPECT_EQ(Render(card), "0:[30:03.1] 1:[31:00.0 31:00.1] 2:[31:10.1] 3:[31:10.5]");
}

TEST(IommuGroups, PfsWithTheirOwnAcsCapabilityAreIsolated) {
  // The ConnectX-6 Dx has no quirk but an ACS capability at 0x230, found by walking
  // the extended list from 0x100.
  Card card;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:3a:00.0", 0x3b, 0x3b, true)));
  auto cx = Profile("cx6dx");
  ASSERT_TRUE(card.AddAdapter(cx, "cx6dx", Bdf(0, 0x3b, 0, 0), 2, 0x38000000000, {}).ok());
  ASSERT_TRUE(SysfsWrite(*card.adapters()[0].ports[0].pf, "sriov_numvfs", "1").ok());
  EXPECT_EQ(Render(card), "0:[3a:00.0] 1:[3b:00.0] 2:[3b:00.1] 3:[3b:00.2]");
}

TEST(IommuGroups, SingleFunctionEndpointsNeedNoAcs) {
  auto one = std::make_shared<DeviceProfile>(Builtin("i350"));
  one->mf_endpoint_acs_quirk = false;
  one->ports = 1;
  Card card;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:30:03.1", 0x31, 0x31, true)));
  ASSERT_TRUE(card.AddAdapter(one, "i350", Bdf(0, 0x31, 0, 0), 1, 0xa0000000, {}).ok());
  EXPECT_EQ(Render(card), "0:[30:03.1] 1:[31:00.0]");
}

TEST(IommuGroups, SwitchDownstreamPortWithoutAcs) {
  // 00:01.0 root port (ACS) -> 01:00.0 switch upstream -> 02:00.0 downstream (no ACS) ->
  // I350 at 03:00; 02:01.0 downstream (ACS) -> I350 at 04:00.
  Card card;
  using pci::PcieType;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:00:01.0", 0x01, 0x04, true)));
  ASSERT_FALSE(card.topology().AddBridge(
      Bridge("0000:01:00.0", 0x02, 0x04, false, PcieType::kUpstreamPort)));
  ASSERT_FALSE(card.topology().AddBridge(
      Bridge("0000:02:00.0", 0x03, 0x03, false, PcieType::kDownstreamPort)));
  ASSERT_FALSE(card.topology().AddBridge(
      Bridge("0000:02:01.0", 0x04, 0x04, true, PcieType::kDownstreamPort)));
  AddI350(card, Profile("i350"), "0000:03:00.0", 0, 2);
  AddI350(card, Profile("i350"), "0000:04:00.0", 0, 1);
  // A single-function upstream port needs no ACS; the downstream port without it pulls
  // everything below into its group; its ACS-capable sibling isolates its own subtree.
  EXPECT_EQ(Render(card),
            "0:[00:01.0] 1:[01:00.0] 2:[02:00.0 03:00.0 03:00.1 03:10.0 03:10.4] 3:[02:01.0] "
            "4:[04:00.0] 5:[04:00.1] 6:[04:10.0]");
}

TEST(IommuGroups, RootPortWithoutAcsAboveASwitchTakesTheWholeHierarchy) {
  Card card;
  using pci::PcieType;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:00:01.0", 0x01, 0x03, false)));
  ASSERT_FALSE(card.topology().AddBridge(
      Bridge("0000:01:00.0", 0x02, 0x03, false, PcieType::kUpstreamPort)));
  ASSERT_FALSE(card.topology().AddBridge(
      Bridge("0000:02:00.0", 0x03, 0x03, true, PcieType::kDownstreamPort)));
  AddI350(card, Profile("i350"), "0000:03:00.0", 1);
  EXPECT_EQ(Render(card), "0:[00:01.0 01:00.0 02:00.0 03:00.0 03:00.1 03:10.1]");
}

TEST(IommuGroups, VfsOnASpilledBusStillHangBelowThePfsBridge) {
  auto far = std::make_shared<DeviceProfile>(Builtin("i350"));
  far->ports = 1;
  far->sriov.first_vf_offset = far->sriov.ari_first_vf_offset = 384;
  Card card;
  ASSERT_FALSE(card.topology().AddBridge(Bridge("0000:00:1c.0", 0x04, 0x05, false)));
  ASSERT_TRUE(card.AddAdapter(far, "i350", Bdf(0, 0x04, 0, 0), 1, 0xa0000000, {}).ok());
  ASSERT_TRUE(SysfsWrite(*card.adapters()[0].ports[0].pf, "sriov_numvfs", "2").ok());
  EXPECT_EQ(Render(card), "0:[00:1c.0 04:00.0 05:10.0 05:10.4]");
}

TEST(IommuGroups, DevicesOnTheRootBus) {
  Card card;  // no bridges: an RC-integrated looking I350 on bus 00
  AddI350(card, Profile("i350"), "0000:00:04.0", 1);
  EXPECT_EQ(Render(card), "0:[00:04.0] 1:[00:04.1] 2:[00:14.1]");
}

// ---- viability and assignment

class Assign : public ::testing::Test {
 protected:
  void Build(bool acs) {
    ASSERT_FALSE(card_.topology().AddBridge(Bridge("0000:30:03.1", 0x31, 0x31, acs)));
    AddI350(card_, Profile("i350"), "0000:31:00.0", 7);
  }
  Port& port1() { return card_.adapters()[0].ports[1]; }
  const VirtualFunction& vf(int i) { return port1().pf->vfs()[i]; }
  Card card_;
};

TEST_F(Assign, SeedsGroupIsNotViableWhenTheVfSharesItWithPfsBoundToIgb) {
  Build(/*acs=*/false);
  Status st = card_.AssignVf(port1(), 0, "instance-00000001");
  EXPECT_EQ(st.errnum(), EPERM);
  EXPECT_EQ(st.message(), "vfio 0000:31:10.1: group 0 is not viable");
  EXPECT_EQ(vf(0).binding(), Binding::kHostDriver);  // nothing changed
}

TEST_F(Assign, AloneInItsGroupIsViable) {
  Build(/*acs=*/true);
  Status st = card_.AssignVf(port1(), 0, "instance-00000001");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(vf(0).binding(), Binding::kConsumer);
  EXPECT_EQ(vf(0).consumer(), "instance-00000001");
  Card::Groups g = card_.ComputeGroups();
  for (size_t i = 0; i < g.functions.size(); ++i)
    if (g.functions[i].vf == &vf(0)) {
      EXPECT_EQ(g.members[i].use, GroupMember::Use::kConsumer);
      EXPECT_EQ(g.members[i].driver, "instance-00000001");
    }
}

TEST_F(Assign, ViableWhenEveryOtherMemberIsUnboundOrTheSameConsumer) {
  ASSERT_FALSE(card_.topology().AddBridge(Bridge("0000:30:03.1", 0x31, 0x31, false)));
  AddI350(card_, Profile("i350"), "0000:31:00.0", 0);
  for (Port& p : card_.adapters()[0].ports) p.pf->host().drivers_autoprobe = false;
  ASSERT_TRUE(SysfsWrite(*port1().pf, "sriov_numvfs", "3").ok());
  EXPECT_EQ(vf(0).binding(), Binding::kUnbound);
  // Still not viable while the PFs are bound to igb.
  EXPECT_EQ(card_.AssignVf(port1(), 0, "vm1").errnum(), EPERM);
  for (Port& p : card_.adapters()[0].ports) p.pf->host().driver.clear();
  ASSERT_TRUE(card_.AssignVf(port1(), 0, "vm1").ok());
  ASSERT_TRUE(card_.AssignVf(port1(), 1, "vm1").ok());  // same consumer holds the others
  ASSERT_TRUE(card_.AssignVf(port1(), 0, "vm1").ok());  // again: idempotent
  Status other = card_.AssignVf(port1(), 2, "vm2");
  EXPECT_EQ(other.errnum(), EPERM);
  EXPECT_EQ(other.message(), "vfio 0000:31:11.1: group 0 is not viable");
  Status busy = card_.AssignVf(port1(), 0, "vm2");
  EXPECT_EQ(busy.errnum(), EBUSY);
  EXPECT_EQ(busy.message(), "0000:31:10.1 is in use by vm1");
  // Once vm1 lets go of both, vm2 may have VF 2.
  ASSERT_TRUE(card_.ReleaseVf(port1(), 0).ok());
  ASSERT_TRUE(card_.ReleaseVf(port1(), 1).ok());
  EXPECT_EQ(vf(0).binding(), Binding::kUnbound);  // autoprobe is off: stays unbound
  EXPECT_EQ(vf(0).consumer(), "");
  EXPECT_TRUE(card_.AssignVf(port1(), 2, "vm2").ok());
}

TEST_F(Assign, ReleaseRebindsTheHostDriverWhenAutoprobeIsOn) {
  Build(/*acs=*/true);
  ASSERT_TRUE(card_.AssignVf(port1(), 3, "vm1").ok());
  ASSERT_TRUE(card_.ReleaseVf(port1(), 3).ok());
  EXPECT_EQ(vf(3).binding(), Binding::kHostDriver);
  EXPECT_EQ(vf(3).consumer(), "");
  EXPECT_TRUE(card_.AssignVf(port1(), 3, "vm2").ok());
}

TEST_F(Assign, NoSuchVf) {
  Build(/*acs=*/true);
  Status st = card_.AssignVf(port1(), 7, "vm1");  // 7 VFs: 0..6
  EXPECT_EQ(st.errnum(), ENODEV);
  EXPECT_EQ(st.message(), "no such VF");
  EXPECT_EQ(card_.ReleaseVf(port1(), 7).errnum(), ENODEV);
  EXPECT_EQ(card_.AssignVf(card_.adapters()[0].ports[0], 0, "vm1").errnum(), ENODEV);
}

TEST_F(Assign, AssignedVfBlocksDisablingSriov) {
  Build(/*acs=*/true);
  ASSERT_TRUE(card_.AssignVf(port1(), 0, "vm1").ok());
  EXPECT_EQ(SysfsWrite(*port1().pf, "sriov_numvfs", "0").errnum(), EPERM);
  ASSERT_TRUE(card_.ReleaseVf(port1(), 0).ok());
  EXPECT_TRUE(SysfsWrite(*port1().pf, "sriov_numvfs", "0").ok());
}

// ---- CheckViable on a hand-made group

TEST(CheckViable, BridgesAreToleratedHostDriversAreNot) {
  std::vector<GroupMember> m(3);
  m[0].is_bridge = true;
  m[0].use = GroupMember::Use::kHostDriver;
  m[0].driver = "pcieport";
  m[1].use = GroupMember::Use::kHostDriver;  // the target itself: managed assignment
  m[1].driver = "igbvf";
  m[2].use = GroupMember::Use::kUnbound;
  std::vector<IommuGroup> groups = {IommuGroup{5, {0, 1, 2}}};
  EXPECT_TRUE(CheckViable(groups, m, 1, "vm").ok());
  m[2].use = GroupMember::Use::kConsumer;
  m[2].driver = "vm";
  EXPECT_TRUE(CheckViable(groups, m, 1, "vm").ok());
  m[2].driver = "other";
  Status st = CheckViable(groups, m, 1, "vm");
  EXPECT_EQ(st.errnum(), EPERM);
  EXPECT_EQ(st.message(), "group 5 is not viable");
  m[2].use = GroupMember::Use::kHostDriver;
  m[2].driver = "igb";
  EXPECT_EQ(CheckViable(groups, m, 1, "vm").errnum(), EPERM);
}

TEST(CheckViable, MembersBoundToVfioPciOrPciStubAreUsable) {
  std::vector<GroupMember> m(2);
  m[0].use = GroupMember::Use::kHostDriver;
  m[0].driver = "igbvf";
  m[1].use = GroupMember::Use::kHostDriver;
  std::vector<IommuGroup> groups = {IommuGroup{2, {0, 1}}};
  for (const char* usable : {"vfio-pci", "pci-stub"}) {
    m[1].driver = usable;
    EXPECT_TRUE(CheckViable(groups, m, 0, "vm").ok()) << usable;
  }
  m[1].driver = "igb";
  EXPECT_EQ(CheckViable(groups, m, 0, "vm").message(), "group 2 is not viable");
}

TEST_F(Assign, PfsBoundToVfioPciLeaveTheGroupViable) {
  ASSERT_FALSE(card_.topology().AddBridge(Bridge("0000:30:03.1", 0x31, 0x31, false)));
  AddI350(card_, Profile("i350"), "0000:31:00.0", 0);
  for (Port& p : card_.adapters()[0].ports) p.pf->host().drivers_autoprobe = false;
  ASSERT_TRUE(SysfsWrite(*port1().pf, "sriov_numvfs", "2").ok());
  EXPECT_EQ(card_.AssignVf(port1(), 0, "vm1").errnum(), EPERM);  // PFs still on igb
  for (Port& p : card_.adapters()[0].ports) p.pf->host().driver = "vfio-pci";
  EXPECT_TRUE(card_.AssignVf(port1(), 0, "vm1").ok());
  // A VF bound to its host driver still makes the group unusable for another VF's user.
  ASSERT_TRUE(card_.ReleaseVf(port1(), 0).ok());
  port1().pf->vfs()[1].Bind(Binding::kHostDriver);
  EXPECT_EQ(card_.AssignVf(port1(), 0, "vm1").errnum(), EPERM);
}

TEST(CheckViable, TargetOutsideEveryGroupIsEnodev) {
  std::vector<GroupMember> m(2);
  std::vector<IommuGroup> groups = {IommuGroup{0, {0}}};
  EXPECT_EQ(CheckViable(groups, m, 1, "vm").errnum(), ENODEV);
}

}  // namespace
}  // namespace softvf
