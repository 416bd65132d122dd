// LinkMonitor against real interfaces: a veth pair whose ends go down, lose carrier,
// change MTU and disappear, each change seen through the monitor's fd.
#include "netdev/link_monitor.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_net.h"

namespace softvf::netdev {
namespace {

using testing::NetnsTest;
using testing::Sh;
using testing::WaitReadable;

class LinkMonitorTest : public NetnsTest {
 protected:
  std::unique_ptr<LinkMonitor> Open(const std::string& name) {
    auto index = InterfaceIndex(name);
    EXPECT_TRUE(index.ok()) << index.status().message();
    auto m = LinkMonitor::Open(index.ok() ? *index : 0);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? std::move(m).value() : nullptr;
  }
  // Polls until pred(state) holds; false after kWaitMs.
  template <typename Pred>
  bool Await(LinkMonitor& m, Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(testing::kWaitMs);
    while (!pred(m.state())) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || !WaitReadable(m.fd(), static_cast<int>(left))) return false;
      m.Poll();
    }
    return true;
  }
};

TEST_F(LinkMonitorTest, ReadsTheCurrentStateAtOpen) {
  MakeVeth("va", "vb", 9000);
  auto m = Open("va");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->state().present);
  EXPECT_TRUE(m->state().admin_up);
  EXPECT_TRUE(m->state().carrier);
  EXPECT_TRUE(m->state().up());
  EXPECT_EQ(m->state().mtu, 9000u);
  EXPECT_EQ(m->ifindex(), *InterfaceIndex("va"));
}

TEST_F(LinkMonitorTest, ADownInterfaceIsNotUpAndHasNoCarrier) {
  ASSERT_EQ(Sh("ip link add va type veth peer name vb"), 0);
  auto m = Open("va");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->state().present);
  EXPECT_FALSE(m->state().admin_up);
  EXPECT_FALSE(m->state().up());
  EXPECT_EQ(m->state().mtu, 1500u);
}

TEST_F(LinkMonitorTest, ThePeerGoingDownTakesTheCarrierAndBringingItUpReturnsIt) {
  MakeVeth("va", "vb");
  auto m = Open("va");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->state().up());

  ASSERT_EQ(Sh("ip link set vb down"), 0);
  ASSERT_TRUE(Await(*m, [](const LinkState& s) { return !s.carrier; }));
  EXPECT_TRUE(m->state().admin_up);  // va itself is still up: NO-CARRIER
  EXPECT_FALSE(m->state().up());
  // iproute2 agrees.
  EXPECT_NE(testing::ShOut("ip link show va").find("NO-CARRIER"), std::string::npos);

  ASSERT_EQ(Sh("ip link set vb up"), 0);
  ASSERT_TRUE(Await(*m, [](const LinkState& s) { return s.carrier; }));
  EXPECT_TRUE(m->state().up());
  EXPECT_GE(m->events(), 2u);
}

TEST_F(LinkMonitorTest, AdminDownAndMtuChangesAreSeen) {
  MakeVeth("va", "vb");
  auto m = Open("va");
  ASSERT_TRUE(m);
  ASSERT_EQ(Sh("ip link set va mtu 9000"), 0);
  ASSERT_TRUE(Await(*m, [](const LinkState& s) { return s.mtu == 9000; }));
  ASSERT_EQ(Sh("ip link set va down"), 0);
  ASSERT_TRUE(Await(*m, [](const LinkState& s) { return !s.admin_up; }));
  EXPECT_FALSE(m->state().up());
  EXPECT_TRUE(m->state().present);
}

TEST_F(LinkMonitorTest, PollReportsWhetherTheStateChanged) {
  MakeVeth("va", "vb");
  auto m = Open("va");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->Poll());  // nothing happened
  // A change to another interface wakes the fd but changes nothing here.
  ASSERT_EQ(Sh("ip link set vb mtu 1400"), 0);
  ASSERT_TRUE(WaitReadable(m->fd()));
  EXPECT_FALSE(m->Poll());
  EXPECT_EQ(m->state().mtu, 1500u);
  ASSERT_EQ(Sh("ip link set va mtu 1400"), 0);
  ASSERT_TRUE(WaitReadable(m->fd()));
  EXPECT_TRUE(m->Poll());
  EXPECT_EQ(m->state().mtu, 1400u);
}

TEST_F(LinkMonitorTest, ADeletedInterfaceIsNoLongerPresent) {
  MakeVeth("va", "vb");
  auto m = Open("va");
  ASSERT_TRUE(m);
  ASSERT_EQ(Sh("ip link del vb"), 0);  // deleting one end deletes the pair
  ASSERT_TRUE(Await(*m, [](const LinkState& s) { return !s.present; }));
  EXPECT_FALSE(m->state().up());
}

TEST_F(LinkMonitorTest, ANonexistentIfindexIsNoSuchDevice) {
  auto m = LinkMonitor::Open(987654);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().errnum(), ENODEV);
  EXPECT_NE(m.status().message().find("No such device"), std::string::npos) << m.status().message();
}

// More notifications than the socket holds: the kernel drops some (ENOBUFS) and the
// monitor reads the interface again, ending on its true state.
TEST_F(LinkMonitorTest, LostNotificationsAreRecoveredByAskingAgain) {
  MakeVeth("va", "vb");
  auto m = Open("va");
  ASSERT_TRUE(m);
  {
    std::ofstream batch("/tmp/softvf-netdev-batch-" + std::to_string(::getpid()));
    for (int i = 0; i < 600; ++i) batch << "link set va mtu " << (1300 + i % 200) << "\n";
    batch << "link set va mtu 1234\n";
  }
  const std::string path = "/tmp/softvf-netdev-batch-" + std::to_string(::getpid());
  ASSERT_EQ(Sh("ip -batch " + path), 0);
  std::remove(path.c_str());
  bool settled = Await(*m, [](const LinkState& s) { return s.mtu == 1234; });
  ASSERT_TRUE(settled) << "mtu " << m->state().mtu << " resyncs " << m->resyncs() << " events "
                       << m->events() << " now " << testing::ShOut("ip link show va");
  EXPECT_GE(m->resyncs(), 1u) << "600 messages of ~1.4 KB should overflow the socket";
  EXPECT_FALSE(m->Poll());
  EXPECT_EQ(m->state().mtu, 1234u);
}

}  // namespace
}  // namespace softvf::netdev
