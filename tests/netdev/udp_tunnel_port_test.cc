// Two UdpTunnelPorts over 127.0.0.1 (in the test's own namespace, so fixed ports are
// safe), exchanging frames of every size up to jumbo, tags untouched; and what happens
// when the peer is not there or is not a softvf.
#include "netdev/udp_tunnel_port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include <fstream>

#include "test_net.h"

namespace softvf::netdev {
namespace {

using testing::Frame;
using testing::kHostMac;
using testing::kPortMac;
using testing::ReceiveFrames;

class UdpTunnelPortTest : public testing::NetnsTest {
 protected:
  std::unique_ptr<UdpTunnelPort> Open(const std::string& local, const std::string& peer,
                                      uint32_t mtu = 9000) {
    auto port = UdpTunnelPort::Open({.local = local, .peer = peer, .mtu = mtu});
    EXPECT_TRUE(port.ok()) << port.status().message();
    return port.ok() ? std::move(port).value() : nullptr;
  }
  // A plain UDP socket at addr:port (a peer that is not a softvf).
  int PlainSocket(uint16_t port) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0) << std::strerror(errno);
    return s;
  }
  static sockaddr_in Loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }
};

TEST_F(UdpTunnelPortTest, APairExchangesFramesOfEverySizeAndTagging) {
  auto a = Open("127.0.0.1:4789", "127.0.0.1:4790");
  auto b = Open("127.0.0.1:4790", "127.0.0.1:4789");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->kind(), "udp");
  EXPECT_EQ(a->name(), "127.0.0.1:4789->127.0.0.1:4790");
  EXPECT_TRUE(a->link().up());
  EXPECT_EQ(a->mtu(), 9000u);
  EXPECT_EQ(a->event_fd(), -1);

  const std::vector<std::vector<uint8_t>> frames = {
      Frame(kHostMac, kPortMac, {}, 60, 1),
      Frame(kHostMac, kPortMac, {{ETH_P_8021Q, 100}}, 1518, 2),
      Frame(kHostMac, kPortMac, {{ETH_P_8021AD, 10}, {ETH_P_8021Q, 20}}, 1522, 3),
      Frame(kHostMac, kPortMac, {}, 9014, 4),
      Frame(kHostMac, kPortMac, {{ETH_P_8021Q, 4094}}, 9018, 5),
      Frame(kHostMac, kPortMac, {{ETH_P_8021AD, 7}, {ETH_P_8021Q, 8}}, 9022, 6),
  };
  for (const auto& f : frames) ASSERT_TRUE(a->Send(f.data(), f.size()));
  EXPECT_EQ(ReceiveFrames(*b, frames.size()), frames);
  for (const auto& f : frames) ASSERT_TRUE(b->Send(f.data(), f.size()));
  EXPECT_EQ(ReceiveFrames(*a, frames.size()), frames);

  uint64_t bytes = 0;
  for (const auto& f : frames) bytes += f.size();
  EXPECT_EQ(a->counters().tx_frames, frames.size());
  EXPECT_EQ(a->counters().tx_bytes, bytes);
  EXPECT_EQ(b->counters().rx_frames, frames.size());
  EXPECT_EQ(b->counters().rx_bytes, bytes);
}

TEST_F(UdpTunnelPortTest, ABurstOf32GatheredFromSlicesArrivesInOrder) {
  auto a = Open("127.0.0.1:4789", "127.0.0.1:4790");
  auto b = Open("127.0.0.1:4790", "127.0.0.1:4789");
  ASSERT_TRUE(a && b);
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 32; ++i)
    frames.push_back(Frame(kHostMac, kPortMac, {}, 60 + 100 * i, static_cast<uint8_t>(i)));
  std::vector<iovec> iov;
  for (auto& f : frames) {
    iov.push_back({f.data(), 12});
    iov.push_back({f.data() + 12, 2});
    iov.push_back({f.data() + 14, f.size() - 14});
  }
  std::vector<TxFrame> burst;
  for (size_t i = 0; i < frames.size(); ++i) burst.push_back({&iov[3 * i], 3});
  EXPECT_EQ(a->SendBurst(burst), 32u);
  testing::RxBuffers buffers;
  ASSERT_TRUE(testing::WaitReadable(b->fd()));
  // Already queued on loopback: one call takes the whole burst.
  EXPECT_EQ(b->ReceiveBurst(buffers.slots()), 32u);
  for (size_t i = 0; i < 32; ++i) {
    const RxSlot& s = buffers.slots()[i];
    EXPECT_EQ(std::vector<uint8_t>(s.data(), s.data() + s.len), frames[i]) << i;
  }
}

TEST_F(UdpTunnelPortTest, OnlyThePeersDatagramsAreTaken) {
  auto a = Open("127.0.0.1:4789", "127.0.0.1:4790");
  auto b = Open("127.0.0.1:4790", "127.0.0.1:4789");
  ASSERT_TRUE(a && b);
  int stranger = PlainSocket(5000);
  auto junk = Frame(kPortMac, kHostMac, {}, 100, 1);
  sockaddr_in to = Loopback(4789);
  ASSERT_EQ(
      ::sendto(stranger, junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
      static_cast<ssize_t>(junk.size()));
  ::close(stranger);
  auto real = Frame(kPortMac, kHostMac, {}, 100, 2);
  ASSERT_TRUE(b->Send(real.data(), real.size()));
  auto got = ReceiveFrames(*a, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], real);
  EXPECT_EQ(a->counters().rx_frames, 1u);
}

// The peer is a plain socket: a datagram too short for an Ethernet header and one
// larger than the buffer are counted and dropped; the frames around them arrive.
TEST_F(UdpTunnelPortTest, RuntsAndOversizedDatagramsAreCountedAndDropped) {
  auto a = Open("127.0.0.1:4789", "127.0.0.1:4790");
  ASSERT_TRUE(a);
  int peer = PlainSocket(4790);
  sockaddr_in to = Loopback(4789);
  auto send = [&](const std::vector<uint8_t>& d) {
    ASSERT_EQ(::sendto(peer, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              static_cast<ssize_t>(d.size()));
  };
  auto first = Frame(kPortMac, kHostMac, {}, 64, 1);
  auto last = Frame(kPortMac, kHostMac, {}, 64, 2);
  send(first);
  send(std::vector<uint8_t>(13, 0x5f));
  send(Frame(kPortMac, kHostMac, {}, kRxBufferLen + 1, 3));  // one byte more than a buffer
  send(last);
  ::close(peer);
  auto got = ReceiveFrames(*a, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], first);
  EXPECT_EQ(got[1], last);
  EXPECT_EQ(a->counters().rx_errors, 2u);
  EXPECT_EQ(a->counters().rx_oversize, 1u);
  EXPECT_EQ(a->counters().rx_frames, 2u);
}

// Nobody listens at the peer's port: the host answers ICMP port unreachable, which the
// socket reports once as ECONNREFUSED. The link stays up (see udp_tunnel_port.h).
TEST_F(UdpTunnelPortTest, AnAbsentPeerIsCountedAndTheLinkStaysUp) {
  auto a = Open("127.0.0.1:4789", "127.0.0.1:4790");
  ASSERT_TRUE(a);
  auto f = Frame(kHostMac, kPortMac, {}, 100);
  ASSERT_TRUE(a->Send(f.data(), f.size()));     // sent; the refusal comes back later
  ASSERT_TRUE(testing::WaitReadable(a->fd()));  // POLLERR
  testing::RxBuffers buffers;
  EXPECT_EQ(a->ReceiveBurst(buffers.slots()), 0u);
  EXPECT_EQ(a->counters().socket_errors, 1u);
  EXPECT_TRUE(a->link().up());
  // Consumed: the next refusal costs the frame that meets it.
  ASSERT_TRUE(a->Send(f.data(), f.size()));
  ASSERT_TRUE(testing::WaitReadable(a->fd()));
  EXPECT_FALSE(a->Send(f.data(), f.size()));
  EXPECT_EQ(a->counters().tx_errors, 1u);
  EXPECT_EQ(a->counters().tx_frames, 2u);
}

TEST_F(UdpTunnelPortTest, WorksOverIpv6) {
  // NetnsTest turned IPv6 off; lo gets ::1 back when it is on again.
  std::ofstream("/proc/sys/net/ipv6/conf/lo/disable_ipv6") << "0";
  auto a = Open("[::1]:4789", "[::1]:4790");
  auto b = Open("[::1]:4790", "[::1]:4789");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->name(), "[::1]:4789->[::1]:4790");
  auto f = Frame(kHostMac, kPortMac, {{ETH_P_8021Q, 5}}, 9018);
  ASSERT_TRUE(a->Send(f.data(), f.size()));
  auto got = ReceiveFrames(*b, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], f);
}

TEST_F(UdpTunnelPortTest, AnEphemeralLocalPortIsReported) {
  auto a = Open("127.0.0.1:0", "127.0.0.1:4790");
  ASSERT_TRUE(a);
  EXPECT_NE(a->local().ToString(), "127.0.0.1:0");
  EXPECT_EQ(a->name(), a->local().ToString() + "->127.0.0.1:4790");
}

TEST_F(UdpTunnelPortTest, ConfigurationErrorsReadLikeTheKernelsOrNameTheInput) {
  auto busy1 = Open("127.0.0.1:4789", "127.0.0.1:4790");
  ASSERT_TRUE(busy1);
  auto busy2 = UdpTunnelPort::Open({.local = "127.0.0.1:4789", .peer = "127.0.0.1:4791"});
  ASSERT_FALSE(busy2.ok());
  EXPECT_EQ(busy2.status().errnum(), EADDRINUSE);
  EXPECT_EQ(busy2.status().message(), "127.0.0.1:4789: Address already in use");

  auto foreign = UdpTunnelPort::Open({.local = "192.0.2.1:4789", .peer = "127.0.0.1:4790"});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().errnum(), EADDRNOTAVAIL);
  EXPECT_EQ(foreign.status().message(), "192.0.2.1:4789: Cannot assign requested address");

  auto mixed = UdpTunnelPort::Open({.local = "127.0.0.1:4789", .peer = "[::1]:4790"});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().errnum(), EAFNOSUPPORT);

  auto bad = UdpTunnelPort::Open({.local = "localhost:4789", .peer = "127.0.0.1:4790"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().errnum(), EINVAL);

  auto mtu = UdpTunnelPort::Open(
      {.local = "127.0.0.1:4792", .peer = "127.0.0.1:4790", .mtu = kMaxTunnelMtu + 1});
  ASSERT_FALSE(mtu.ok());
  EXPECT_EQ(mtu.status().errnum(), EINVAL);
  EXPECT_EQ(mtu.status().message(), "udp tunnel mtu 9195 is outside [68, 9194]");
}

}  // namespace
}  // namespace softvf::netdev
