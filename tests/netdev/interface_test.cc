#include "netdev/interface.h"

#include <gtest/gtest.h>
#include <net/if_arp.h>

#include "test_net.h"

namespace softvf::netdev {
namespace {

using InterfaceTest = testing::NetnsTest;

TEST_F(InterfaceTest, AMissingInterfaceIsNoSuchDevice) {
  auto index = InterfaceIndex("enp49s0f1v9");
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().errnum(), ENODEV);
  EXPECT_EQ(index.status().message(), "enp49s0f1v9: No such device");
}

TEST_F(InterfaceTest, QueriesAndSetsWhatIpLinkShows) {
  MakeVeth("va", "vb");
  ASSERT_TRUE(SetInterfaceMac("va", testing::kPortMac).ok());
  ASSERT_TRUE(SetInterfaceMtu("va", 4000).ok());
  ASSERT_TRUE(SetInterfaceUp("va", false).ok());
  auto info = QueryInterface("va");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->hw_type, ARPHRD_ETHER);
  EXPECT_EQ(info->mac, testing::kPortMac);
  EXPECT_EQ(info->mtu, 4000u);
  EXPECT_EQ(info->flags & IFF_UP, 0u);
  const std::string shown = testing::ShOut("ip link show va");
  EXPECT_NE(shown.find("mtu 4000"), std::string::npos) << shown;
  EXPECT_NE(shown.find("link/ether 02:5f:00:00:00:02"), std::string::npos) << shown;
  EXPECT_NE(shown.find("state DOWN"), std::string::npos) << shown;
}

TEST(InterfaceName, FollowsTheKernelsRules) {
  EXPECT_TRUE(ValidateInterfaceName("enp49s0f1v0").ok());
  EXPECT_TRUE(ValidateInterfaceName("a23456789012345").ok());  // 15 bytes
  for (const char* bad : {"", ".", "..", "a/b", "a:b", "a b", "a23456789012345x"}) {
    Status st = ValidateInterfaceName(bad);
    EXPECT_EQ(st.errnum(), EINVAL) << bad;
  }
}

}  // namespace
}  // namespace softvf::netdev
