// Card: adapters placed on the topology, PF netdev names (systemd's predictable names),
// ifindexes, derived MACs, lookups and the lspci-ordered function list.
#include "card/card.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "sriov/sysfs.h"
#include "test_profiles.h"

namespace softvf {
namespace {

using testing::Builtin;

std::shared_ptr<const DeviceProfile> Profile(const std::string& name) {
  return std::make_shared<DeviceProfile>(Builtin(name));
}

TEST(PredictableNetdevName, SystemdNetIdForms) {
  EXPECT_EQ(PredictableNetdevName(Bdf(0, 0x31, 0, 0), true), "enp49s0f0");
  EXPECT_EQ(PredictableNetdevName(Bdf(0, 0x31, 0, 1), true), "enp49s0f1");
  EXPECT_EQ(PredictableNetdevName(Bdf(0, 0x3b, 0, 0), false), "enp59s0");
  EXPECT_EQ(PredictableNetdevName(Bdf(0, 0x00, 0x1f, 6), false), "enp0s31f6");
  EXPECT_EQ(PredictableNetdevName(Bdf(1, 0x31, 0, 1), true), "enP1p49s0f1");
}

TEST(Card, AddAdapterNamesPortsAndHandsOutIfindexes) {
  Card card;
  std::vector<PortSpec> specs(2);
  specs[1].name = "uplink1";
  specs[1].mac = MacAddress::Parse("3c:fd:fe:9e:6b:21");
  specs[1].mtu = 9000;
  ASSERT_TRUE(
      card.AddAdapter(Profile("i350"), "i350", Bdf(0, 0x31, 0, 0), 2, 0xa0000000, specs).ok());
  ASSERT_TRUE(
      card.AddAdapter(Profile("virtio-net"), "virtio-net", Bdf(0, 0x07, 0, 0), 1, 0xb0000000, {})
          .ok());
  std::vector<const Port*> ports = card.AllPorts();
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0]->netdev, "enp49s0f0");
  EXPECT_EQ(ports[0]->mac.ToString(), "02:5f:00:31:00:00");  // derived, locally administered
  EXPECT_EQ(ports[0]->mtu, 1500u);
  EXPECT_EQ(ports[1]->netdev, "uplink1");
  EXPECT_EQ(ports[1]->mac.ToString(), "3c:fd:fe:9e:6b:21");
  EXPECT_EQ(ports[1]->mtu, 9000u);
  EXPECT_EQ(ports[2]->netdev, "enp7s0");  // single function: no f suffix
  EXPECT_EQ(ports[0]->ifindex, 2);
  EXPECT_EQ(ports[1]->ifindex, 3);
  EXPECT_EQ(ports[2]->ifindex, 4);
  EXPECT_EQ(card.FindPort("uplink1"), ports[1]);
  EXPECT_EQ(card.FindPort("0000:07:00.0"), ports[2]);
  EXPECT_EQ(card.FindPort("07:00.0"), ports[2]);
  EXPECT_EQ(card.FindPort("0000:07:00.1"), nullptr);
  EXPECT_EQ(card.adapters()[0].profile_source, "i350");
}

TEST(Card, AddAdapterErrors) {
  Card card;
  Status zero = card.AddAdapter(Profile("i350"), "i350", Bdf(0, 0x31, 0, 0), 0, 0, {});
  EXPECT_EQ(zero.errnum(), EINVAL);
  EXPECT_EQ(zero.message(), "ports must be between 1 and 8, not 0");
  EXPECT_EQ(card.AddAdapter(Profile("i350"), "i350", Bdf(0, 0x31, 0, 0), 9, 0, {}).errnum(),
            EINVAL);
  ASSERT_TRUE(card.AddAdapter(Profile("i350"), "i350", Bdf(0, 0x31, 0, 0), 2, 0, {}).ok());
  Status taken = card.AddAdapter(Profile("82599"), "82599", Bdf(0, 0x31, 0, 0), 2, 0, {});
  EXPECT_EQ(taken.errnum(), EEXIST);
  EXPECT_EQ(taken.message(), "slot 31:00.0 is already taken");
  std::vector<PortSpec> dup(1);
  dup[0].name = "enp49s0f1";
  Status name = card.AddAdapter(Profile("virtio-net"), "virtio-net", Bdf(0, 0x07, 0, 0), 1, 0, dup);
  EXPECT_EQ(name.errnum(), EEXIST);
  EXPECT_EQ(name.message(), "netdev name enp49s0f1 is already taken");
  EXPECT_EQ(card.AllPorts().size(), 2u);
}

TEST(Card, SriovInitFailureIsReportedWithThePfAddress) {
  Card card(16);  // 64 KiB pages: the I350's 16 KiB VF BARs do not fit
  Status st = card.AddAdapter(Profile("i350"), "i350", Bdf(0, 0x31, 0, 0), 2, 0, {});
  EXPECT_EQ(st.errnum(), EIO);
  EXPECT_EQ(st.message(), "0000:31:00.0: SR-IOV: VF BAR size is not a multiple of PAGE_SIZE");
  EXPECT_TRUE(card.adapters().empty());
}

TEST(Card, AddAdapterTellsSriovInitAboutTheBridge) {
  Card card;
  BridgeSpec rp;
  rp.bdf = Bdf(0, 0x30, 3, 1);
  rp.secondary_bus = 0x31;
  rp.subordinate_bus = 0x33;
  ASSERT_FALSE(card.topology().AddBridge(rp));
  ASSERT_TRUE(card.AddAdapter(Profile("i350"), "i350", Bdf(0, 0x31, 0, 0), 2, 0, {}).ok());
  const PhysicalFunction& pf0 = *card.adapters()[0].ports[0].pf;
  const PhysicalFunction& pf1 = *card.adapters()[0].ports[1].pf;
  EXPECT_EQ(pf0.host().bus_end, 0x33);
  EXPECT_TRUE(pf0.sriov().ari_capable_hierarchy());   // ARI forwarding above, lowest PF
  EXPECT_FALSE(pf1.sriov().ari_capable_hierarchy());  // only the lowest-numbered PF
}

TEST(Card, FunctionsInBdfOrderWithBridgesPfsAndEnabledVfs) {
  Card card;
  BridgeSpec rp;
  rp.bdf = Bdf(0, 0x30, 3, 1);
  rp.secondary_bus = 0x31;
  rp.subordinate_bus = 0x31;
  ASSERT_FALSE(card.topology().AddBridge(rp));
  ASSERT_TRUE(card.AddAdapter(Profile("i350"), "i350", Bdf(0, 0x31, 0, 0), 2, 0, {}).ok());
  ASSERT_TRUE(SysfsWrite(*card.adapters()[0].ports[1].pf, "sriov_numvfs", "2").ok());
  ASSERT_TRUE(SysfsWrite(*card.adapters()[0].ports[0].pf, "sriov_numvfs", "1").ok());
  std::string listing;
  for (const FunctionRef& f : card.Functions()) {
    const char* kind = f.kind == FunctionRef::Kind::kBridge ? "bridge"
                       : f.kind == FunctionRef::Kind::kPf   ? "pf"
                                                            : "vf";
    listing += f.bdf.ToShortString() + " " + kind + "\n";
  }
  EXPECT_EQ(listing,
            "30:03.1 bridge\n31:00.0 pf\n31:00.1 pf\n31:10.0 vf\n31:10.1 vf\n31:10.5 vf\n");
  EXPECT_EQ(Card::VfNetdevName(card.adapters()[0].ports[1], 1), "enp49s0f1v1");
}

}  // namespace
}  // namespace softvf
