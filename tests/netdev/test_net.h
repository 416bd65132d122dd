// Test support for host ports against real kernel objects:
//   - NetnsTest: every test runs in a network namespace of its own (unshare(CLONE_NEWNET)
//     on the test's thread), so TAPs, veths and UDP ports of parallel tests never meet,
//     and whatever a test creates goes away with the namespace, even if the test fails;
//   - Sh(): runs ip(8) inside that namespace (children inherit it);
//   - RawSocket: an independent AF_PACKET observer/injector on the far side of a port,
//     reporting frames exactly as the kernel hands them over (tag metadata apart);
//   - Frame(): test frames, and ReceiveFrames(): what a port delivers, waiting on its fd
//     with poll (never a sleep).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/mac_address.h"
#include "netdev/host_port.h"
#include "netdev/interface.h"

namespace softvf::netdev::testing {

inline constexpr int kWaitMs = 5000;  // how long anything the kernel does may take (a TAP's
                                      // carrier change waits up to 1 s in linkwatch)

inline MacAddress Mac(const char* text) {
  return *MacAddress::Parse(text);
}
// Test frames come from 02:5f:..: locally administered, recognisable.
inline const MacAddress kHostMac = Mac("02:5f:00:00:00:01");
inline const MacAddress kPortMac = Mac("02:5f:00:00:00:02");
inline constexpr uint16_t kTestEtherType = 0x88b5;  // IEEE 802 local experimental

struct Tag {
  uint16_t tpid;
  uint16_t tci;
};

// dst, src, tags, EtherType, then a payload pattern up to `len` bytes in all.
inline std::vector<uint8_t> Frame(const MacAddress& dst, const MacAddress& src,
                                  std::vector<Tag> tags, size_t len, uint8_t seed = 0,
                                  uint16_t ethertype = kTestEtherType) {
  std::vector<uint8_t> f(dst.bytes().begin(), dst.bytes().end());
  f.insert(f.end(), src.bytes().begin(), src.bytes().end());
  for (const Tag& t : tags) {
    f.push_back(static_cast<uint8_t>(t.tpid >> 8));
    f.push_back(static_cast<uint8_t>(t.tpid));
    f.push_back(static_cast<uint8_t>(t.tci >> 8));
    f.push_back(static_cast<uint8_t>(t.tci));
  }
  f.push_back(static_cast<uint8_t>(ethertype >> 8));
  f.push_back(static_cast<uint8_t>(ethertype));
  for (size_t i = 0; f.size() < len; ++i) f.push_back(static_cast<uint8_t>(i * 7 + seed));
  return f;
}

// The frame without its outer tag: what the kernel hands a packet socket, the tag apart.
inline std::vector<uint8_t> Untagged(const std::vector<uint8_t>& tagged) {
  std::vector<uint8_t> f(tagged.begin(), tagged.begin() + 12);
  f.insert(f.end(), tagged.begin() + 16, tagged.end());
  return f;
}

inline bool IsTestFrame(const uint8_t* data, size_t len) {
  return len >= 12 && data[6] == 0x02 && data[7] == 0x5f;
}

inline bool WaitReadable(int fd, int timeout_ms = kWaitMs) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// Runs a shell command (ip, in the test's namespace); returns its exit status.
inline int Sh(const std::string& command) {
  int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
// Runs a shell command and returns what it printed.
inline std::string ShOut(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: network namespaces, TAP, AF_PACKET";
    home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(home_, 0) << std::strerror(errno);
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    // No IPv6 autoconfiguration chatter (router solicitations, MLD) on the test's links.
    for (const char* conf : {"all", "default"}) {
      std::ofstream(std::string("/proc/sys/net/ipv6/conf/") + conf + "/disable_ipv6") << "1";
    }
    ASSERT_TRUE(SetInterfaceUp("lo", true).ok());
  }
  void TearDown() override {
    if (home_ >= 0) {
      ::setns(home_, CLONE_NEWNET);
      ::close(home_);
    }
  }
  // A veth pair a <-> b, both up, with MTU mtu.
  void MakeVeth(const std::string& a, const std::string& b, uint32_t mtu = 1500) {
    ASSERT_EQ(Sh("ip link add " + a + " mtu " + std::to_string(mtu) + " type veth peer name " + b +
                 " mtu " + std::to_string(mtu)),
              0);
    ASSERT_EQ(Sh("ip link set " + a + " up && ip link set " + b + " up"), 0);
  }

 private:
  int home_ = -1;
};

// A frame as the kernel hands it to a packet socket.
struct Captured {
  std::vector<uint8_t> bytes;
  bool vlan_valid = false;  // TP_STATUS_VLAN_VALID: an outer tag was held apart
  uint16_t tpid = 0;
  uint16_t tci = 0;
  // The frame as on the wire: the tag back in front of the EtherType.
  std::vector<uint8_t> Wire() const {
    if (!vlan_valid) return bytes;
    std::vector<uint8_t> f(bytes.begin(), bytes.begin() + 12);
    const uint8_t tag[4] = {static_cast<uint8_t>(tpid >> 8), static_cast<uint8_t>(tpid),
                            static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)};
    f.insert(f.end(), tag, tag + 4);
    f.insert(f.end(), bytes.begin() + 12, bytes.end());
    return f;
  }
};

// Plain AF_PACKET on an interface: sends frames into it, captures what it receives
// (not what it sends), test frames only.
class RawSocket {
 public:
  explicit RawSocket(const std::string& ifname) {
    fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    EXPECT_GE(fd_, 0) << std::strerror(errno);
    int one = 1;
    ::setsockopt(fd_, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
    ifindex_ = static_cast<int>(if_nametoindex(ifname.c_str()));
    EXPECT_GT(ifindex_, 0) << ifname;
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ALL);
    addr.sll_ifindex = ifindex_;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
        << std::strerror(errno);
  }
  ~RawSocket() { ::close(fd_); }
  int fd() const { return fd_; }

  bool Send(const std::vector<uint8_t>& frame) {
    ssize_t n = ::send(fd_, frame.data(), frame.size(), 0);
    EXPECT_EQ(n, static_cast<ssize_t>(frame.size())) << std::strerror(errno);
    return n == static_cast<ssize_t>(frame.size());
  }

  std::optional<Captured> Receive(int timeout_ms = kWaitMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::vector<uint8_t> buf(65536);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || !WaitReadable(fd_, static_cast<int>(left))) return std::nullopt;
      iovec iov{buf.data(), buf.size()};
      alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(tpacket_auxdata))];
      sockaddr_ll from{};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof(from);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
      if (n < 0) continue;
      if (from.sll_pkttype == PACKET_OUTGOING) continue;  // our own sends
      if (!IsTestFrame(buf.data(), static_cast<size_t>(n))) continue;
      Captured c;
      c.bytes.assign(buf.begin(), buf.begin() + n);
      for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_PACKET || cm->cmsg_type != PACKET_AUXDATA) continue;
        tpacket_auxdata aux;
        std::memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
        c.vlan_valid = (aux.tp_status & TP_STATUS_VLAN_VALID) != 0;
        c.tci = aux.tp_vlan_tci;
        c.tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : ETH_P_8021Q;
      }
      return c;
    }
  }

 private:
  int fd_ = -1;
  int ifindex_ = 0;
};

// Receive buffers for a port, kMaxBurst slots of kRxBufferLen bytes (or `capacity`).
class RxBuffers {
 public:
  explicit RxBuffers(uint32_t capacity = kRxBufferLen, size_t count = kMaxBurst)
      : pool_(capacity * count), slots_(count) {
    for (size_t i = 0; i < count; ++i) slots_[i] = RxSlot{&pool_[i * capacity], capacity, 0, 0};
  }
  std::span<RxSlot> slots() { return slots_; }

 private:
  std::vector<uint8_t> pool_;
  std::vector<RxSlot> slots_;
};

// The test frames a port delivers, until `count` arrived or kWaitMs passed.
inline std::vector<std::vector<uint8_t>> ReceiveFrames(HostPort& port, size_t count,
                                                       RxBuffers& buffers) {
  std::vector<std::vector<uint8_t>> frames;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (frames.size() < count) {
    size_t n = port.ReceiveBurst(buffers.slots());
    for (size_t i = 0; i < n; ++i) {
      const RxSlot& s = buffers.slots()[i];
      if (IsTestFrame(s.data(), s.len)) frames.emplace_back(s.data(), s.data() + s.len);
    }
    if (n > 0) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0 || !WaitReadable(port.fd(), static_cast<int>(left))) break;
  }
  return frames;
}
inline std::vector<std::vector<uint8_t>> ReceiveFrames(HostPort& port, size_t count) {
  RxBuffers buffers;
  return ReceiveFrames(port, count, buffers);
}

// Polls the port's link events until pred(link) holds or kWaitMs passed.
template <typename Pred>
bool WaitForLink(HostPort& port, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (!pred(port.link())) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0 || !WaitReadable(port.event_fd(), static_cast<int>(left))) return false;
    port.PollEvents();
  }
  return true;
}

}  // namespace softvf::netdev::testing
