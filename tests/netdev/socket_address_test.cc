#include "netdev/socket_address.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace softvf::netdev {
namespace {

TEST(SocketAddress, ParsesIpv4AndIpv6AndPrintsThemBack) {
  auto v4 = SocketAddress::Parse("192.0.2.1:4789");
  ASSERT_TRUE(v4.ok()) << v4.status().message();
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->len, sizeof(sockaddr_in));
  EXPECT_EQ(v4->ToString(), "192.0.2.1:4789");

  auto v6 = SocketAddress::Parse("[2001:db8::1]:0");
  ASSERT_TRUE(v6.ok()) << v6.status().message();
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->ToString(), "[2001:db8::1]:0");
}

TEST(SocketAddress, RefusesWhatIsNotAddrColonPort) {
  for (const char* bad :
       {"", "192.0.2.1", "192.0.2.1:", ":4789", "192.0.2.1:65536", "192.0.2.1:47a9",
        "host.example:4789", "2001:db8::1:4789", "[2001:db8::1]", "[2001:db8::1]4789",
        "[192.0.2.1]:4789", "192.0.2.256:1", "192.0.2.1:-1"}) {
    auto r = SocketAddress::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().errnum(), EINVAL) << bad;
    EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << r.status().message();
  }
}

}  // namespace
}  // namespace softvf::netdev
