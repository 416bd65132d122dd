// TapPort against the kernel's tun driver: the interface as `ip link` shows it, frames
// between the port and a raw socket on the TAP (the host's side) in both directions,
// its lifetime, and the errors a user would see.
#include "netdev/tap_port.h"

#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <net/if.h>

#include "test_net.h"

namespace softvf::netdev {
namespace {

using testing::Frame;
using testing::kHostMac;
using testing::kPortMac;
using testing::Mac;
using testing::RawSocket;
using testing::ReceiveFrames;
using testing::Sh;
using testing::ShOut;

const MacAddress kVfMac = Mac("fa:16:3e:fe:47:d2");

class TapPortTest : public testing::NetnsTest {
 protected:
  std::unique_ptr<TapPort> Open(TapConfig config) {
    auto port = TapPort::Open(config);
    EXPECT_TRUE(port.ok()) << port.status().message();
    return port.ok() ? std::move(port).value() : nullptr;
  }
};

TEST_F(TapPortTest, CreatesTheNamedInterfaceWithTheVfsMacAndMtu) {
  auto port = Open({.name = "enp49s0f1v0", .mac = kVfMac, .mtu = 9000, .up = true});
  ASSERT_TRUE(port);
  EXPECT_EQ(port->name(), "enp49s0f1v0");
  EXPECT_EQ(port->kind(), "tap");
  EXPECT_FALSE(port->persistent());
  EXPECT_EQ(port->ifindex(), static_cast<int>(if_nametoindex("enp49s0f1v0")));

  const std::string shown = ShOut("ip -d link show enp49s0f1v0");
  EXPECT_NE(shown.find("mtu 9000"), std::string::npos) << shown;
  EXPECT_NE(shown.find("link/ether fa:16:3e:fe:47:d2"), std::string::npos) << shown;
  EXPECT_NE(shown.find("<BROADCAST,MULTICAST,UP,LOWER_UP>"), std::string::npos) << shown;
  EXPECT_NE(shown.find("tun type tap"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("persist on"), std::string::npos) << shown;

  EXPECT_TRUE(port->link().up());
  EXPECT_EQ(port->mtu(), 9000u);
  ASSERT_GE(port->event_fd(), 0);
}

TEST_F(TapPortTest, LeftDownUnlessAskedAndTheKernelPicksANameWhenNoneIsGiven) {
  auto port = Open({});
  ASSERT_TRUE(port);
  EXPECT_EQ(port->name().rfind("tap", 0), 0u) << port->name();
  EXPECT_FALSE(port->link().admin_up);
  EXPECT_FALSE(port->link().up());
  EXPECT_EQ(port->mtu(), 1500u);
}

TEST_F(TapPortTest, DisappearsWhenThePortIsDestroyed) {
  auto port = Open({.name = "enp49s0f1v1", .up = true});
  ASSERT_TRUE(port);
  ASSERT_NE(if_nametoindex("enp49s0f1v1"), 0u);
  port.reset();
  EXPECT_EQ(if_nametoindex("enp49s0f1v1"), 0u);
  EXPECT_EQ(errno, ENODEV);
}

TEST_F(TapPortTest, AttachesToAPersistentTapWhichOutlivesThePort) {
  ASSERT_EQ(Sh("ip tuntap add dev ptap0 mode tap"), 0);
  auto port = Open({.name = "ptap0", .mac = kVfMac, .up = true});
  ASSERT_TRUE(port);
  EXPECT_TRUE(port->persistent());
  RawSocket host("ptap0");
  auto frame = Frame(kPortMac, kHostMac, {}, 100);
  ASSERT_TRUE(host.Send(frame));
  auto got = ReceiveFrames(*port, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], frame);
  port.reset();
  EXPECT_NE(if_nametoindex("ptap0"), 0u);
}

// What the host sends out of the TAP reaches the switch byte for byte, tags in place
// (tun_put_user writes a tag the stack kept as metadata back into the frame).
TEST_F(TapPortTest, FramesTheHostSendsArriveIntact) {
  auto port = Open({.name = "enp49s0f1v0", .mac = kVfMac, .mtu = 9000, .up = true});
  ASSERT_TRUE(port);
  RawSocket host("enp49s0f1v0");
  const std::vector<std::vector<uint8_t>> frames = {
      Frame(kVfMac, kHostMac, {}, 60, 1),
      Frame(kVfMac, kHostMac, {{ETH_P_8021Q, 0x2064}}, 64, 2),
      Frame(kVfMac, kHostMac, {{ETH_P_8021AD, 0x00c8}}, 1518, 3),
      Frame(kVfMac, kHostMac, {{ETH_P_8021AD, 10}, {ETH_P_8021Q, 20}}, 1522, 4),
      Frame(kVfMac, kHostMac, {}, 9014, 5),
      Frame(MacAddress::Broadcast(), kHostMac, {}, 200, 6),
  };
  for (const auto& f : frames) ASSERT_TRUE(host.Send(f));
  auto got = ReceiveFrames(*port, frames.size());
  EXPECT_EQ(got, frames);
  EXPECT_EQ(port->counters().rx_frames, frames.size());
  uint64_t bytes = 0;
  for (const auto& f : frames) bytes += f.size();
  EXPECT_EQ(port->counters().rx_bytes, bytes);
  EXPECT_EQ(port->counters().rx_errors, 0u);
}

// What the switch writes is received by the host as that frame; gathered from slices.
TEST_F(TapPortTest, FramesThePortSendsReachTheHostIntact) {
  auto port = Open({.name = "enp49s0f1v0", .mac = kVfMac, .mtu = 9000, .up = true});
  ASSERT_TRUE(port);
  RawSocket host("enp49s0f1v0");

  auto plain = Frame(kHostMac, kPortMac, {}, 9014, 7);
  // Head, a pushed tag, the rest: how the worker sends an edited frame.
  auto tagged = Frame(kHostMac, kPortMac, {{ETH_P_8021Q, 0xa005}}, 1518, 8);
  const uint8_t tag[4] = {0x81, 0x00, 0xa0, 0x05};
  std::vector<uint8_t> untagged = testing::Untagged(tagged);
  const iovec slices[3] = {{untagged.data(), 12},
                           {const_cast<uint8_t*>(tag), 4},
                           {untagged.data() + 12, untagged.size() - 12}};
  ASSERT_TRUE(port->Send(plain.data(), plain.size()));
  ASSERT_TRUE(port->SendV(slices, 3));

  auto a = host.Receive();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bytes, plain);
  auto b = host.Receive();
  ASSERT_TRUE(b);
  // The host's stack holds the tag apart, as for any received tagged frame.
  EXPECT_TRUE(b->vlan_valid);
  EXPECT_EQ(b->tpid, ETH_P_8021Q);
  EXPECT_EQ(b->tci, 0xa005);
  EXPECT_EQ(b->Wire(), tagged);
  EXPECT_EQ(port->counters().tx_frames, 2u);
  EXPECT_EQ(port->counters().tx_bytes, plain.size() + tagged.size());
}

TEST_F(TapPortTest, SendsABurstInOrder) {
  auto port = Open({.name = "tap9", .up = true});
  ASSERT_TRUE(port);
  RawSocket host("tap9");
  std::vector<std::vector<uint8_t>> frames;
  std::vector<iovec> iov;
  std::vector<TxFrame> burst;
  for (int i = 0; i < 32; ++i) frames.push_back(Frame(kHostMac, kPortMac, {}, 60 + i, i));
  for (auto& f : frames) iov.push_back({f.data(), f.size()});
  for (auto& v : iov) burst.push_back({&v, 1});
  EXPECT_EQ(port->SendBurst(burst), 32u);
  for (int i = 0; i < 32; ++i) {
    auto got = host.Receive();
    ASSERT_TRUE(got) << i;
    EXPECT_EQ(got->bytes, frames[i]) << i;
  }
}

// A frame larger than the caller's buffer is counted and dropped; the next one arrives.
TEST_F(TapPortTest, AFrameLargerThanTheBufferIsCountedAndSkipped) {
  auto port = Open({.name = "tap9", .mtu = 9000, .up = true});
  ASSERT_TRUE(port);
  RawSocket host("tap9");
  auto big = Frame(kPortMac, kHostMac, {}, 2000, 1);
  auto small = Frame(kPortMac, kHostMac, {}, 1000, 2);
  ASSERT_TRUE(host.Send(big));
  ASSERT_TRUE(host.Send(small));
  testing::RxBuffers buffers(1514);
  auto got = ReceiveFrames(*port, 1, buffers);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], small);
  EXPECT_EQ(port->counters().rx_oversize, 1u);
  EXPECT_EQ(port->counters().rx_errors, 1u);
  EXPECT_EQ(port->counters().rx_frames, 1u);
}

TEST_F(TapPortTest, CarrierOffShowsNoCarrierAndTheLinkFollows) {
  auto port = Open({.name = "enp49s0f1v0", .up = true});
  ASSERT_TRUE(port);
  ASSERT_TRUE(port->link().up());
  ASSERT_TRUE(port->SetCarrier(false).ok());
  ASSERT_TRUE(testing::WaitForLink(*port, [](const LinkState& s) { return !s.carrier; }));
  EXPECT_FALSE(port->link().up());
  EXPECT_NE(ShOut("ip link show enp49s0f1v0").find("NO-CARRIER"), std::string::npos);
  ASSERT_TRUE(port->SetCarrier(true).ok());
  ASSERT_TRUE(testing::WaitForLink(*port, [](const LinkState& s) { return s.up(); }));
}

// The host taking the interface down is the link going down; writes then fail (EIO).
TEST_F(TapPortTest, TheHostSettingItDownIsSeenAndSendsFail) {
  auto port = Open({.name = "enp49s0f1v0", .up = true});
  ASSERT_TRUE(port);
  ASSERT_EQ(Sh("ip link set enp49s0f1v0 down"), 0);
  ASSERT_TRUE(testing::WaitForLink(*port, [](const LinkState& s) { return !s.admin_up; }));
  EXPECT_FALSE(port->link().up());
  auto f = Frame(kHostMac, kPortMac, {}, 60);
  EXPECT_FALSE(port->Send(f.data(), f.size()));
  EXPECT_EQ(port->counters().tx_errors, 1u);
  EXPECT_EQ(port->counters().tx_frames, 0u);
  ASSERT_EQ(Sh("ip link set enp49s0f1v0 up"), 0);
  ASSERT_TRUE(testing::WaitForLink(*port, [](const LinkState& s) { return s.up(); }));
  EXPECT_TRUE(port->Send(f.data(), f.size()));
}

TEST_F(TapPortTest, MalformedSendsAreCountedNotSent) {
  auto port = Open({.name = "tap9", .up = true});
  ASSERT_TRUE(port);
  uint8_t runt[13] = {};
  EXPECT_FALSE(port->Send(runt, sizeof(runt)));
  std::vector<uint8_t> huge(kMaxFrameLen + 1, 0x5f);
  EXPECT_FALSE(port->Send(huge.data(), huge.size()));
  EXPECT_FALSE(port->SendV(nullptr, 0));
  EXPECT_EQ(port->counters().tx_errors, 3u);
}

TEST_F(TapPortTest, ASecondOpenOfTheSameTapIsBusy) {
  auto first = Open({.name = "enp49s0f1v0"});
  ASSERT_TRUE(first);
  auto second = TapPort::Open({.name = "enp49s0f1v0"});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().errnum(), EBUSY);
  EXPECT_EQ(second.status().message(), "enp49s0f1v0: Device or resource busy");
}

TEST_F(TapPortTest, ANameTakenByAnotherKindOfInterfaceIsRefused) {
  MakeVeth("enp49s0f1v0", "peer0");
  auto port = TapPort::Open({.name = "enp49s0f1v0"});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().errnum(), EINVAL);
  EXPECT_EQ(port.status().message(), "enp49s0f1v0: exists and is not a TAP interface");
}

TEST_F(TapPortTest, BadNamesMacsAndMtusAreRefusedAndLeaveNothingBehind) {
  auto long_name = TapPort::Open({.name = "enp49s0f1v0abcde"});  // 16 bytes
  ASSERT_FALSE(long_name.ok());
  EXPECT_EQ(long_name.status().errnum(), EINVAL);
  EXPECT_EQ(long_name.status().message(), "\"enp49s0f1v0abcde\" is not a valid interface name");

  auto multicast = TapPort::Open({.name = "enp49s0f1v0", .mac = Mac("01:00:5e:00:00:01")});
  ASSERT_FALSE(multicast.ok());
  EXPECT_EQ(multicast.status().errnum(), EADDRNOTAVAIL);
  EXPECT_EQ(multicast.status().message(), "enp49s0f1v0: Cannot assign requested address");
  EXPECT_EQ(if_nametoindex("enp49s0f1v0"), 0u);  // the half-made TAP went with the fd

  auto mtu = TapPort::Open({.name = "enp49s0f1v0", .mtu = 40});
  ASSERT_FALSE(mtu.ok());
  EXPECT_EQ(mtu.status().errnum(), EINVAL);
  EXPECT_EQ(mtu.status().message(), "enp49s0f1v0: Invalid argument");
  EXPECT_EQ(if_nametoindex("enp49s0f1v0"), 0u);
}

}  // namespace
}  // namespace softvf::netdev
