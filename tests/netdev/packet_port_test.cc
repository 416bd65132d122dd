// PacketPort on one end of a veth pair, a plain raw socket on the other end (the "wire"):
// untagged, 802.1Q, 802.1ad and QinQ frames both ways with their tags where they were,
// jumbo frames, bursts, frames from a stack using checksum offload, and errors.
#include "netdev/packet_port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include "test_net.h"

namespace softvf::netdev {
namespace {

using testing::Frame;
using testing::kHostMac;
using testing::kPortMac;
using testing::RawSocket;
using testing::ReceiveFrames;
using testing::Sh;
using testing::ShOut;

class PacketPortTest : public testing::NetnsTest {
 protected:
  std::unique_ptr<PacketPort> Open(const std::string& name) {
    auto port = PacketPort::Open({.interface = name});
    EXPECT_TRUE(port.ok()) << port.status().message();
    return port.ok() ? std::move(port).value() : nullptr;
  }
};

// Frames of every tagging, at the smallest and the largest size of a 1500 MTU.
std::vector<std::vector<uint8_t>> TaggedFrames(const MacAddress& dst, const MacAddress& src) {
  return {
      Frame(dst, src, {}, 60, 1),
      Frame(dst, src, {}, 1514, 2),
      Frame(dst, src, {{ETH_P_8021Q, 100}}, 64, 3),
      Frame(dst, src, {{ETH_P_8021Q, 0xe000 | 4094}}, 1518, 4),  // PCP 7
      Frame(dst, src, {{ETH_P_8021Q, 0xa000}}, 64, 5),           // priority tag: VID 0
      Frame(dst, src, {{ETH_P_8021Q, 0x1000 | 7}}, 64, 6),       // DEI set
      Frame(dst, src, {{ETH_P_8021AD, 200}}, 64, 7),
      Frame(dst, src, {{ETH_P_8021AD, 300}, {ETH_P_8021Q, 42}}, 68, 8),  // QinQ
      Frame(dst, src, {{ETH_P_8021Q, 5}, {ETH_P_8021Q, 6}}, 200, 9),     // 802.1Q in 802.1Q
  };
}

TEST_F(PacketPortTest, WireFramesArriveAsTheyWereOnTheWireTagsIncluded) {
  MakeVeth("va", "vb");
  auto port = Open("va");
  ASSERT_TRUE(port);
  RawSocket wire("vb");
  const auto frames = TaggedFrames(kPortMac, kHostMac);
  for (const auto& f : frames) ASSERT_TRUE(wire.Send(f));
  auto got = ReceiveFrames(*port, frames.size());
  ASSERT_EQ(got.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(got[i], frames[i]) << "frame " << i;
  EXPECT_EQ(port->counters().rx_frames, frames.size());
  EXPECT_EQ(port->counters().rx_errors, 0u);
}

// The far side's kernel holds the outer tag apart (what the port has to undo): the frame
// minus its tag, and the tag in PACKET_AUXDATA, TPID included.
TEST_F(PacketPortTest, FramesSentReachTheWireWithTheirTags) {
  MakeVeth("va", "vb");
  auto port = Open("va");
  ASSERT_TRUE(port);
  RawSocket wire("vb");
  const auto frames = TaggedFrames(kHostMac, kPortMac);
  for (const auto& f : frames) ASSERT_TRUE(port->Send(f.data(), f.size())) << f.size();
  for (size_t i = 0; i < frames.size(); ++i) {
    auto got = wire.Receive();
    ASSERT_TRUE(got) << "frame " << i;
    const auto& f = frames[i];
    const uint16_t tpid = static_cast<uint16_t>(f[12] << 8 | f[13]);
    if (tpid == ETH_P_8021Q || tpid == ETH_P_8021AD) {
      EXPECT_TRUE(got->vlan_valid) << "frame " << i;
      EXPECT_EQ(got->tpid, tpid) << "frame " << i;
      EXPECT_EQ(got->tci, static_cast<uint16_t>(f[14] << 8 | f[15])) << "frame " << i;
      EXPECT_EQ(got->bytes, testing::Untagged(f)) << "frame " << i;
    } else {
      EXPECT_FALSE(got->vlan_valid) << "frame " << i;
      EXPECT_EQ(got->bytes, f) << "frame " << i;
    }
  }
  EXPECT_EQ(port->counters().tx_frames, frames.size());
  EXPECT_EQ(port->counters().tx_errors, 0u);
}

TEST_F(PacketPortTest, JumboFramesCrossBothWaysWithMtu9000) {
  MakeVeth("va", "vb", 9000);
  auto port = Open("va");
  ASSERT_TRUE(port);
  EXPECT_EQ(port->mtu(), 9000u);
  RawSocket wire("vb");
  const auto in_plain = Frame(kPortMac, kHostMac, {}, 9014, 1);
  const auto in_tagged = Frame(kPortMac, kHostMac, {{ETH_P_8021Q, 900}}, 9018, 2);
  ASSERT_TRUE(wire.Send(in_plain));
  ASSERT_TRUE(wire.Send(in_tagged));
  auto got = ReceiveFrames(*port, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], in_plain);
  EXPECT_EQ(got[1], in_tagged);

  const auto out_plain = Frame(kHostMac, kPortMac, {}, 9014, 3);
  const auto out_tagged = Frame(kHostMac, kPortMac, {{ETH_P_8021Q, 901}}, 9018, 4);
  ASSERT_TRUE(port->Send(out_plain.data(), out_plain.size()));
  ASSERT_TRUE(port->Send(out_tagged.data(), out_tagged.size()));
  auto a = wire.Receive();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->Wire(), out_plain);
  auto b = wire.Receive();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->Wire(), out_tagged);
}

// packet_snd allows the extra 4 bytes for 802.1Q only: a full-size 802.1ad frame is
// refused (EMSGSIZE) and counted, and the burst goes on.
TEST_F(PacketPortTest, AFrameTheKernelRefusesIsCountedAndTheBurstContinues) {
  MakeVeth("va", "vb");
  auto port = Open("va");
  ASSERT_TRUE(port);
  RawSocket wire("vb");
  auto ok1 = Frame(kHostMac, kPortMac, {}, 100, 1);
  auto too_big = Frame(kHostMac, kPortMac, {{ETH_P_8021AD, 7}}, 1518, 2);
  auto ok2 = Frame(kHostMac, kPortMac, {}, 101, 3);
  iovec iov[3] = {
      {ok1.data(), ok1.size()}, {too_big.data(), too_big.size()}, {ok2.data(), ok2.size()}};
  TxFrame burst[3] = {{&iov[0], 1}, {&iov[1], 1}, {&iov[2], 1}};
  EXPECT_EQ(port->SendBurst(burst), 2u);
  EXPECT_EQ(port->counters().tx_errors, 1u);
  EXPECT_EQ(port->counters().tx_frames, 2u);
  auto a = wire.Receive();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bytes, ok1);
  auto b = wire.Receive();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bytes, ok2);
}

TEST_F(PacketPortTest, BurstsOf32BothWaysInOrder) {
  MakeVeth("va", "vb");
  auto port = Open("va");
  ASSERT_TRUE(port);
  RawSocket wire("vb");
  std::vector<std::vector<uint8_t>> in, out;
  for (int i = 0; i < 32; ++i) {
    in.push_back(Frame(kPortMac, kHostMac, {{ETH_P_8021Q, static_cast<uint16_t>(i + 1)}}, 64 + i,
                       static_cast<uint8_t>(i)));
    out.push_back(Frame(kHostMac, kPortMac, {}, 60 + i, static_cast<uint8_t>(i)));
  }
  for (const auto& f : in) ASSERT_TRUE(wire.Send(f));
  EXPECT_EQ(ReceiveFrames(*port, 32), in);

  // Each frame in two slices, as the worker gathers them.
  std::vector<iovec> iov;
  for (auto& f : out) {
    iov.push_back({f.data(), 14});
    iov.push_back({f.data() + 14, f.size() - 14});
  }
  std::vector<TxFrame> burst;
  for (size_t i = 0; i < out.size(); ++i) burst.push_back({&iov[2 * i], 2});
  EXPECT_EQ(port->SendBurst(burst), 32u);
  for (size_t i = 0; i < out.size(); ++i) {
    auto got = wire.Receive();
    ASSERT_TRUE(got) << i;
    EXPECT_EQ(got->bytes, out[i]) << i;
  }
}

// PACKET_IGNORE_OUTGOING: the port's own frames do not come back to it.
TEST_F(PacketPortTest, DoesNotReceiveItsOwnFrames) {
  MakeVeth("va", "vb");
  auto port = Open("va");
  ASSERT_TRUE(port);
  RawSocket wire("vb");
  auto mine = Frame(kHostMac, kPortMac, {}, 60, 1);
  ASSERT_TRUE(port->Send(mine.data(), mine.size()));
  ASSERT_TRUE(wire.Receive());  // it went out
  auto theirs = Frame(kPortMac, kHostMac, {}, 60, 2);
  ASSERT_TRUE(wire.Send(theirs));
  auto got = ReceiveFrames(*port, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], theirs);  // first and only: not `mine`
  EXPECT_EQ(port->counters().rx_frames, 1u);
}

TEST_F(PacketPortTest, PutsTheInterfaceInPromiscuousModeWhileOpen) {
  MakeVeth("va", "vb");
  EXPECT_NE(ShOut("ip -d link show va").find("promiscuity 0"), std::string::npos);
  auto port = Open("va");
  ASSERT_TRUE(port);
  EXPECT_NE(ShOut("ip -d link show va").find("promiscuity 1"), std::string::npos);
  port.reset();
  EXPECT_NE(ShOut("ip -d link show va").find("promiscuity 0"), std::string::npos);
}

// A UDP datagram sent by the far side's own stack: veth offers checksum offload, so the
// frame crosses with the UDP checksum unfinished; the port finishes it.
TEST_F(PacketPortTest, ChecksumsLeftToHardwareAreCompleted) {
  MakeVeth("va", "vb");
  ASSERT_EQ(Sh("ip link set vb address 02:5f:00:00:00:01 && ip addr add 10.9.0.1/24 dev vb && "
               "ip neigh add 10.9.0.2 lladdr 02:5f:00:00:00:02 dev vb"),
            0);
  auto port = Open("va");
  ASSERT_TRUE(port);
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  ::inet_pton(AF_INET, "10.9.0.2", &to.sin_addr);
  const char payload[] = "a checksum the NIC was supposed to write";
  ASSERT_EQ(::sendto(s, payload, sizeof(payload), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
            static_cast<ssize_t>(sizeof(payload)));
  ::close(s);
  auto got = ReceiveFrames(*port, 1);
  ASSERT_EQ(got.size(), 1u);
  const auto& f = got[0];
  ASSERT_EQ(f.size(), 14u + 20 + 8 + sizeof(payload));
  ASSERT_EQ(f[12], 0x08);
  ASSERT_EQ(f[23], IPPROTO_UDP);
  // Verify as a receiver does: pseudo-header + UDP header + data sums to all ones.
  uint32_t sum = 0;
  for (size_t i = 26; i < 34; i += 2) sum += static_cast<uint32_t>(f[i] << 8 | f[i + 1]);
  sum += IPPROTO_UDP + static_cast<uint32_t>(f.size() - 34);
  for (size_t i = 34; i < f.size(); i += 2)
    sum += static_cast<uint32_t>(f[i] << 8 | (i + 1 < f.size() ? f[i + 1] : 0));
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
  EXPECT_EQ(port->counters().rx_csum_completed, 1u);
}

// The two repairs together: an 802.1Q-tagged UDP frame whose checksum the sender left
// to hardware (sent through PACKET_VNET_HDR with NEEDS_CSUM, as a VM's virtio-net TX
// would be). The kernel holds the tag apart and reports csum_start for the untagged
// frame; the port puts the tag back and finishes the checksum 4 bytes further on.
TEST_F(PacketPortTest, ATaggedFrameWithAnUnfinishedChecksumGetsBothRepairs) {
  MakeVeth("va", "vb");
  auto port = Open("va");
  ASSERT_TRUE(port);
  // Ethernet + 802.1Q (VID 5) + IPv4 10.9.0.1 -> 10.9.0.2 + UDP 1234 -> 9 + 30 bytes.
  std::vector<uint8_t> f = Frame(kPortMac, kHostMac, {{ETH_P_8021Q, 5}}, 18, 0, ETH_P_IP);
  const size_t udp_len = 8 + 30;
  const std::vector<uint8_t> ip = {
      0x45, 0, 0, static_cast<uint8_t>(20 + udp_len), 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 9, 0, 1, 10,
      9,    0, 2};
  f.insert(f.end(), ip.begin(), ip.end());
  uint32_t pseudo = 0x0a09 + 0x0001 + 0x0a09 + 0x0002 + 17 + udp_len;
  pseudo = (pseudo & 0xffff) + (pseudo >> 16);
  const std::vector<uint8_t> udp = {0x04,
                                    0xd2,
                                    0,
                                    9,
                                    0,
                                    static_cast<uint8_t>(udp_len),
                                    static_cast<uint8_t>(pseudo >> 8),
                                    static_cast<uint8_t>(pseudo)};
  f.insert(f.end(), udp.begin(), udp.end());
  for (int i = 0; i < 30; ++i) f.push_back(static_cast<uint8_t>('a' + i % 26));

  int s = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  int one = 1;
  ASSERT_EQ(::setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)), 0);
  PacketVnetHeader vnet{};
  vnet.flags = PacketVnetHeader::kNeedsCsum;
  vnet.csum_start = 14 + 4 + 20;  // in the frame as sent, tag included
  vnet.csum_offset = 6;
  iovec iov[2] = {{&vnet, sizeof(vnet)}, {f.data(), f.size()}};
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_8021Q);
  to.sll_ifindex = static_cast<int>(if_nametoindex("vb"));
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof(to);
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  ASSERT_EQ(::sendmsg(s, &msg, 0), static_cast<ssize_t>(sizeof(vnet) + f.size()))
      << std::strerror(errno);
  ::close(s);

  auto got = ReceiveFrames(*port, 1);
  ASSERT_EQ(got.size(), 1u);
  const auto& g = got[0];
  ASSERT_EQ(g.size(), f.size());
  // Everything but the checksum is what was sent, the tag where it was.
  EXPECT_EQ(std::vector<uint8_t>(g.begin(), g.begin() + 44),
            std::vector<uint8_t>(f.begin(), f.begin() + 44));
  EXPECT_EQ(std::vector<uint8_t>(g.begin() + 46, g.end()),
            std::vector<uint8_t>(f.begin() + 46, f.end()));
  uint32_t sum = 0x0a09 + 0x0001 + 0x0a09 + 0x0002 + 17 + udp_len;
  for (size_t i = 38; i < g.size(); i += 2)
    sum += static_cast<uint32_t>(g[i] << 8 | (i + 1 < g.size() ? g[i + 1] : 0));
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
  EXPECT_EQ(port->counters().rx_csum_completed, 1u);
}

// A UDP GSO send (UDP_SEGMENT) crosses veth as one super-frame: not a wire frame, so it
// is counted and dropped; the frame after it still arrives.
TEST_F(PacketPortTest, GsoSuperFramesAreCountedAndDropped) {
  MakeVeth("va", "vb");
  ASSERT_EQ(Sh("ip link set vb address 02:5f:00:00:00:01 && ip addr add 10.9.0.1/24 dev vb && "
               "ip neigh add 10.9.0.2 lladdr 02:5f:00:00:00:02 dev vb"),
            0);
  auto port = Open("va");
  ASSERT_TRUE(port);
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  int segment = 500;
  ASSERT_EQ(::setsockopt(s, SOL_UDP, UDP_SEGMENT, &segment, sizeof(segment)), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  ::inet_pton(AF_INET, "10.9.0.2", &to.sin_addr);
  std::vector<uint8_t> payload(1400, 0x5f);  // three segments
  ASSERT_EQ(
      ::sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
      static_cast<ssize_t>(payload.size()));
  ::close(s);
  RawSocket wire("vb");
  auto after = Frame(kPortMac, kHostMac, {}, 60, 9);
  ASSERT_TRUE(wire.Send(after));
  auto got = ReceiveFrames(*port, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], after);
  EXPECT_EQ(port->counters().rx_oversize, 1u);
  EXPECT_EQ(port->counters().rx_errors, 1u);
}

TEST_F(PacketPortTest, AFrameLargerThanTheBufferIsCountedAndSkipped) {
  MakeVeth("va", "vb", 9000);
  auto port = Open("va");
  ASSERT_TRUE(port);
  RawSocket wire("vb");
  auto small1 = Frame(kPortMac, kHostMac, {}, 100, 1);
  auto big = Frame(kPortMac, kHostMac, {}, 3000, 2);
  auto small2 = Frame(kPortMac, kHostMac, {{ETH_P_8021Q, 3}}, 1518, 3);
  ASSERT_TRUE(wire.Send(small1));
  ASSERT_TRUE(wire.Send(big));
  ASSERT_TRUE(wire.Send(small2));
  testing::RxBuffers buffers(kRxHeadroom + 1518);
  auto got = ReceiveFrames(*port, 2, buffers);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], small1);
  EXPECT_EQ(got[1], small2);
  EXPECT_EQ(port->counters().rx_oversize, 1u);
  EXPECT_EQ(port->counters().rx_frames, 2u);
}

// More frames than the socket holds while nobody reads: the kernel's drops show up in
// rx_dropped with the next frame that gets through. Markers sent after the flood tell
// when every flood frame has been either received or dropped (the path is FIFO).
TEST_F(PacketPortTest, KernelDropsAreCounted) {
  MakeVeth("va", "vb");
  auto opened = PacketPort::Open({.interface = "va", .socket_buffer = 64 * 1024});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  PacketPort& port = **opened;
  RawSocket wire("vb");
  const auto flood = Frame(kPortMac, kHostMac, {}, 1514, 1);
  const auto marker = Frame(kPortMac, kHostMac, {}, 60, 2);
  const uint64_t sent = 400;  // ~1 MB of skbs into a 128 KB queue
  for (uint64_t i = 0; i < sent; ++i) ASSERT_TRUE(wire.Send(flood));
  testing::RxBuffers buffers;
  uint64_t flood_received = 0, markers_sent = 0, markers_received = 0;
  for (int round = 0; round < 10 && markers_received == 0; ++round) {
    while (size_t n = port.ReceiveBurst(buffers.slots())) {  // drain what is queued
      for (size_t i = 0; i < n; ++i) {
        const RxSlot& s = buffers.slots()[i];
        if (s.len == flood.size()) ++flood_received;
        if (s.len == marker.size()) ++markers_received;
      }
    }
    if (markers_received > 0) break;
    ASSERT_TRUE(wire.Send(marker));
    ++markers_sent;
    ASSERT_TRUE(testing::WaitReadable(port.fd()));
  }
  ASSERT_GT(markers_received, 0u);
  ASSERT_GT(flood_received, 0u);
  ASSERT_LT(flood_received, sent);
  // Everything not received was dropped by the kernel, and said so.
  EXPECT_EQ(port.counters().rx_dropped, sent + markers_sent - flood_received - markers_received);
  EXPECT_EQ(port.counters().rx_frames, flood_received + markers_received);
}

// The interface itself going down: the socket reports ENETDOWN once (counted, consumed),
// the link shows it, and frames flow again once it is back up.
TEST_F(PacketPortTest, TheInterfaceGoingDownAndUpAgain) {
  MakeVeth("va", "vb");
  auto port = Open("va");
  ASSERT_TRUE(port);
  ASSERT_EQ(Sh("ip link set va down"), 0);
  ASSERT_TRUE(testing::WaitForLink(*port, [](const LinkState& s) { return !s.admin_up; }));
  ASSERT_TRUE(testing::WaitReadable(port->fd()));  // POLLERR
  testing::RxBuffers buffers;
  EXPECT_EQ(port->ReceiveBurst(buffers.slots()), 0u);
  EXPECT_EQ(port->counters().socket_errors, 1u);
  auto f = Frame(kHostMac, kPortMac, {}, 60);
  EXPECT_FALSE(port->Send(f.data(), f.size()));  // ENETDOWN
  EXPECT_EQ(port->counters().tx_errors, 1u);

  ASSERT_EQ(Sh("ip link set va up"), 0);
  ASSERT_TRUE(testing::WaitForLink(*port, [](const LinkState& s) { return s.up(); }));
  RawSocket wire("vb");
  auto back = Frame(kPortMac, kHostMac, {{ETH_P_8021Q, 12}}, 64);
  ASSERT_TRUE(wire.Send(back));
  auto got = ReceiveFrames(*port, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], back);
}

TEST_F(PacketPortTest, ThePeerGoingDownIsNoCarrier) {
  MakeVeth("va", "vb");
  auto port = Open("va");
  ASSERT_TRUE(port);
  ASSERT_TRUE(port->link().up());
  ASSERT_EQ(Sh("ip link set vb down"), 0);
  ASSERT_TRUE(testing::WaitForLink(*port, [](const LinkState& s) { return !s.carrier; }));
  EXPECT_TRUE(port->link().admin_up);
  EXPECT_FALSE(port->link().up());
}

TEST_F(PacketPortTest, AMissingInterfaceIsNoSuchDevice) {
  auto port = PacketPort::Open({.interface = "veth9"});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().errnum(), ENODEV);
  EXPECT_EQ(port.status().message(), "veth9: No such device");
}

TEST_F(PacketPortTest, ANonEthernetInterfaceIsRefused) {
  ASSERT_EQ(Sh("ip tuntap add dev tun0 mode tun"), 0);
  auto port = PacketPort::Open({.interface = "tun0"});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().errnum(), EINVAL);
  EXPECT_EQ(port.status().message(), "tun0: not an Ethernet interface");
}

}  // namespace
}  // namespace softvf::netdev
