// MacAddress: the "xx:xx:xx:xx:xx:xx" form iproute2 prints, and the multicast (I/G) bit
// drivers check (Linux is_multicast_ether_addr).
#include "common/mac_address.h"

#include <gtest/gtest.h>

namespace softvf {
namespace {

TEST(MacAddressParse, CanonicalForm) {
  auto mac = MacAddress::Parse("3c:fd:fe:9e:6b:20");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->bytes(), (std::array<uint8_t, 6>{0x3c, 0xfd, 0xfe, 0x9e, 0x6b, 0x20}));
}

TEST(MacAddressParse, OneDigitBytesAndUpperCase) {
  auto mac = MacAddress::Parse("2:0:0:0:0:A");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->ToString(), "02:00:00:00:00:0a");
  EXPECT_EQ(MacAddress::Parse("FA:16:3E:11:22:33")->ToString(), "fa:16:3e:11:22:33");
}

TEST(MacAddressParse, Rejects) {
  for (const char* bad :
       {"", "00:11:22:33:44", "00:11:22:33:44:55:66", "001122334455", "00-11-22-33-44-55",
        "00:11:22:33:44:55 ", " 00:11:22:33:44:55", "000:11:22:33:44:55",
        "00:11:22:33:44:", "00:11:22:33:44:5g", "00::22:33:44:55", "zz:11:22:33:44:55"})
    EXPECT_FALSE(MacAddress::Parse(bad)) << "\"" << bad << "\"";
}

TEST(MacAddressFormat, LowerCaseZeroPadded) {
  EXPECT_EQ(MacAddress().ToString(), "00:00:00:00:00:00");
  EXPECT_EQ(MacAddress::Broadcast().ToString(), "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(MacAddress({0x0a, 0x0b, 0x0c, 0x01, 0x02, 0x03}).ToString(), "0a:0b:0c:01:02:03");
}

TEST(MacAddressKinds, ZeroMulticastBroadcast) {
  EXPECT_TRUE(MacAddress().is_zero());
  EXPECT_FALSE(MacAddress().is_multicast());
  EXPECT_TRUE(MacAddress::Parse("01:00:5e:00:00:01")->is_multicast());
  EXPECT_TRUE(MacAddress::Parse("33:33:00:00:00:01")->is_multicast());
  EXPECT_TRUE(MacAddress::Broadcast().is_multicast());
  EXPECT_TRUE(MacAddress::Broadcast().is_broadcast());
  EXPECT_FALSE(MacAddress::Parse("02:00:00:00:00:01")->is_multicast());  // locally administered
  EXPECT_FALSE(MacAddress::Parse("00:00:00:00:00:01")->is_zero());
  EXPECT_FALSE(MacAddress::Parse("fe:ff:ff:ff:ff:ff")->is_broadcast());
}

TEST(MacAddressCompare, ByValue) {
  EXPECT_EQ(*MacAddress::Parse("00:11:22:33:44:55"), *MacAddress::Parse("0:11:22:33:44:55"));
  EXPECT_NE(*MacAddress::Parse("00:11:22:33:44:55"), *MacAddress::Parse("00:11:22:33:44:56"));
}

}  // namespace
}  // namespace softvf
