// ApplyVfChange: `ip link set DEV vf N ...` as it reaches rtnetlink and the PF driver
// (reference §3.4 kernel/driver validation, §3.6 error vectors). The iproute2 client-side
// errors of §3.6 (vlan 4096 refused before sending, bad GUID syntax, ...) belong to the
// CLI; here the kernel sees whatever values a netlink message can carry.
#include "sriov/vf_config.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>

#include "test_profiles.h"

namespace softvf {
namespace {

using testing::Builtin;

const DriverSpec& Igb() {
  static const DriverSpec d = Builtin("i350").driver;
  return d;
}
const DriverSpec& Ixgbe() {
  static const DriverSpec d = Builtin("82599").driver;
  return d;
}
const DriverSpec& Mlx5() {
  static const DriverSpec d = Builtin("cx6dx").driver;
  return d;
}
const DriverSpec& VirtioPci() {
  static const DriverSpec d = Builtin("virtio-net").driver;
  return d;
}

MacAddress Mac(const char* text) {
  return *MacAddress::Parse(text);
}

VfChange On(int64_t vf) {
  VfChange c;
  c.vf = vf;
  return c;
}

// Applies `change` to a fresh default config of `driver` with 8 VFs; returns the errno.
int Apply(const DriverSpec& driver, const VfChange& change, VfConfig* out = nullptr) {
  VfConfig cfg = DefaultVfConfig(driver);
  int err = ApplyVfChange(driver, 8, change, cfg).errnum();
  if (out) *out = cfg;
  return err;
}

TEST(ProfilesDrivers, AreTheOnesTheseTestsAssume) {
  EXPECT_EQ(Igb().name, "igb");
  EXPECT_EQ(Ixgbe().name, "ixgbe");
  EXPECT_EQ(Mlx5().name, "mlx5_core");
  EXPECT_FALSE(VirtioPci().vf_config);
}

// ---- MAC

TEST(VfMac, MulticastIsEinval) {
  VfChange c = On(0);
  c.mac = Mac("01:00:5e:00:00:01");
  EXPECT_EQ(Apply(Igb(), c), EINVAL);
  EXPECT_EQ(Apply(Ixgbe(), c), EINVAL);
  EXPECT_EQ(Apply(Mlx5(), c), EINVAL);
}

TEST(VfMac, BroadcastIsEinval) {
  VfChange c = On(0);
  c.mac = MacAddress::Broadcast();
  EXPECT_EQ(Apply(Igb(), c), EINVAL);
  EXPECT_EQ(Apply(Mlx5(), c), EINVAL);
}

TEST(VfMac, ZeroMeansUnsetAndIsAccepted) {
  VfChange c = On(0);
  c.mac = Mac("00:00:00:00:00:00");
  VfConfig cfg;
  EXPECT_EQ(Apply(Igb(), c, &cfg), 0);
  EXPECT_TRUE(cfg.mac.is_zero());
}

TEST(VfMac, UnicastIsStored) {
  VfChange c = On(3);
  c.mac = Mac("fa:16:3e:11:22:33");
  VfConfig cfg;
  EXPECT_EQ(Apply(Ixgbe(), c, &cfg), 0);
  EXPECT_EQ(cfg.mac.ToString(), "fa:16:3e:11:22:33");
  c.mac = Mac("02:00:00:00:00:01");  // locally administered unicast is fine too
  EXPECT_EQ(Apply(Ixgbe(), c), 0);
}

// ---- VLAN

VfChange Vlan(uint32_t vlan, uint32_t qos, uint16_t proto = kEthP8021Q) {
  VfChange c = On(0);
  c.vlan = VfChange::Vlan{vlan, qos, proto};
  return c;
}

TEST(VfVlan, Vlan4096IsEinval) {
  EXPECT_EQ(Apply(Igb(), Vlan(4096, 0)), EINVAL);
  EXPECT_EQ(Apply(Mlx5(), Vlan(4096, 0)), EINVAL);
}

TEST(VfVlan, Qos8IsEinval) {
  EXPECT_EQ(Apply(Igb(), Vlan(10, 8)), EINVAL);
  EXPECT_EQ(Apply(Ixgbe(), Vlan(10, 8)), EINVAL);
  EXPECT_EQ(Apply(Mlx5(), Vlan(0, 8)), EINVAL);
}

TEST(VfVlan, LimitsAreInclusive) {
  VfConfig cfg;
  EXPECT_EQ(Apply(Igb(), Vlan(4095, 7), &cfg), 0);
  EXPECT_EQ(cfg.vlan, 4095);
  EXPECT_EQ(cfg.qos, 7);
  EXPECT_EQ(cfg.vlan_proto, kEthP8021Q);
  EXPECT_EQ(Apply(Igb(), Vlan(0, 0), &cfg), 0);  // vlan 0 disables tagging
  EXPECT_EQ(cfg.vlan, 0);
}

TEST(VfVlan, Proto8021adOnIgbAndIxgbeIsEprotonosupport) {
  EXPECT_EQ(Apply(Igb(), Vlan(10, 0, kEthP8021AD)), EPROTONOSUPPORT);
  EXPECT_EQ(Apply(Ixgbe(), Vlan(10, 0, kEthP8021AD)), EPROTONOSUPPORT);
}

TEST(VfVlan, Proto8021adOnCx6dxIsStored) {
  VfConfig cfg;
  EXPECT_EQ(Apply(Mlx5(), Vlan(200, 2, kEthP8021AD), &cfg), 0);
  EXPECT_EQ(cfg.vlan, 200);
  EXPECT_EQ(cfg.qos, 2);
  EXPECT_EQ(cfg.vlan_proto, 0x88a8);
}

TEST(VfVlan, RangeIsCheckedBeforeTheProtocol) {
  // igb_ndo_set_vf_vlan: vlan > 4095 || qos > 7 -> EINVAL, then proto -> EPROTONOSUPPORT.
  EXPECT_EQ(Apply(Igb(), Vlan(4096, 0, kEthP8021AD)), EINVAL);
}

// ---- rates

VfChange Rate(uint32_t min, uint32_t max) {
  VfChange c = On(0);
  c.rate = VfChange::Rate{min, max};
  return c;
}

TEST(VfRate, MinAboveMaxIsEinval) {
  EXPECT_EQ(Apply(Mlx5(), Rate(200, 100)), EINVAL);
}

TEST(VfRate, MinWithMaxZeroIsAccepted) {
  VfConfig cfg;
  EXPECT_EQ(Apply(Mlx5(), Rate(200, 0), &cfg), 0);
  EXPECT_EQ(cfg.min_tx_rate, 200u);
  EXPECT_EQ(cfg.max_tx_rate, 0u);
  EXPECT_EQ(Apply(Mlx5(), Rate(100, 1000), &cfg), 0);
  EXPECT_EQ(cfg.min_tx_rate, 100u);
  EXPECT_EQ(cfg.max_tx_rate, 1000u);
  EXPECT_EQ(Apply(Mlx5(), Rate(100, 100)), 0);  // equal is fine
}

TEST(VfRate, I350HasNoRateLimitingEopnotsupp) {
  EXPECT_EQ(Apply(Igb(), Rate(0, 100)), EOPNOTSUPP);
  VfChange legacy = On(0);
  legacy.legacy_rate = 100;
  EXPECT_EQ(Apply(Igb(), legacy), EOPNOTSUPP);
}

TEST(VfRate, IxgbeRefusesAnyMinimum) {
  EXPECT_EQ(Apply(Ixgbe(), Rate(1, 1000)), EINVAL);
  EXPECT_EQ(Apply(Ixgbe(), Rate(0, 1000)), 0);
}

TEST(VfRate, IxgbeMaxMustExceedTenAndNotExceedLinkSpeed) {
  EXPECT_EQ(Apply(Ixgbe(), Rate(0, 10)), EINVAL);
  EXPECT_EQ(Apply(Ixgbe(), Rate(0, 1)), EINVAL);
  EXPECT_EQ(Apply(Ixgbe(), Rate(0, 11)), 0);
  EXPECT_EQ(Apply(Ixgbe(), Rate(0, 10000)), 0);
  EXPECT_EQ(Apply(Ixgbe(), Rate(0, 10001)), EINVAL);
  EXPECT_EQ(Apply(Ixgbe(), Rate(0, 0)), 0);  // 0 removes the limit
}

TEST(VfRate, LegacyRateKeepsTheCurrentMinimum) {
  VfConfig cfg = DefaultVfConfig(Mlx5());
  ASSERT_TRUE(ApplyVfChange(Mlx5(), 8, Rate(100, 1000), cfg).ok());
  VfChange legacy = On(0);
  legacy.legacy_rate = 500;
  ASSERT_TRUE(ApplyVfChange(Mlx5(), 8, legacy, cfg).ok());
  EXPECT_EQ(cfg.min_tx_rate, 100u);
  EXPECT_EQ(cfg.max_tx_rate, 500u);
  legacy.legacy_rate = 50;  // below the kept minimum: rtnl_set_vf_rate refuses
  EXPECT_EQ(ApplyVfChange(Mlx5(), 8, legacy, cfg).errnum(), EINVAL);
  EXPECT_EQ(cfg.max_tx_rate, 500u);
  legacy.legacy_rate = 0;
  ASSERT_TRUE(ApplyVfChange(Mlx5(), 8, legacy, cfg).ok());
  EXPECT_EQ(cfg.min_tx_rate, 100u);
  EXPECT_EQ(cfg.max_tx_rate, 0u);
}

TEST(VfRate, IxgbeLegacyRateSetsMax) {
  VfChange legacy = On(0);
  legacy.legacy_rate = 1000;
  VfConfig cfg;
  EXPECT_EQ(Apply(Ixgbe(), legacy, &cfg), 0);
  EXPECT_EQ(cfg.max_tx_rate, 1000u);
  EXPECT_EQ(cfg.min_tx_rate, 0u);
}

// ---- VF index, link state, flags, GUIDs

TEST(VfIndex, AtOrAboveNumVfsIsEinval) {
  VfConfig cfg = DefaultVfConfig(Ixgbe());
  VfChange c = On(8);
  c.trust = true;
  EXPECT_EQ(ApplyVfChange(Ixgbe(), 8, c, cfg).errnum(), EINVAL);
  c.vf = 7;
  EXPECT_EQ(ApplyVfChange(Ixgbe(), 8, c, cfg).errnum(), 0);
  c.vf = 0;
  EXPECT_EQ(ApplyVfChange(Ixgbe(), 0, c, cfg).errnum(), EINVAL);  // no VFs at all
}

TEST(VfIndex, IntMaxOrNegativeIsEinvalBeforeAnything) {
  VfChange c = On(INT_MAX);
  c.mac = Mac("00:11:22:33:44:55");
  EXPECT_EQ(Apply(VirtioPci(), c), EINVAL);  // before the missing-ndo EOPNOTSUPP
  c.vf = -1;
  EXPECT_EQ(Apply(Mlx5(), c), EINVAL);
}

TEST(VfIndex, MissingNdoIsReportedBeforeTheIndex) {
  VfChange c = On(99);
  c.link_state = 1;  // igb has no ndo_set_vf_link_state
  EXPECT_EQ(Apply(Igb(), c), EOPNOTSUPP);
}

TEST(VfLinkState, ValuesZeroToTwoAndThreeIsEinval) {
  VfConfig cfg;
  VfChange c = On(0);
  c.link_state = 2;
  EXPECT_EQ(Apply(Mlx5(), c, &cfg), 0);
  EXPECT_EQ(cfg.link_state, LinkState::kDisable);
  c.link_state = 1;
  EXPECT_EQ(Apply(Ixgbe(), c, &cfg), 0);
  EXPECT_EQ(cfg.link_state, LinkState::kEnable);
  c.link_state = 3;
  EXPECT_EQ(Apply(Mlx5(), c), EINVAL);
}

TEST(VfFlags, SpoofchkTrustQueryRss) {
  VfConfig cfg;
  VfChange c = On(1);
  c.spoofchk = false;
  c.trust = true;
  EXPECT_EQ(Apply(Igb(), c, &cfg), 0);
  EXPECT_FALSE(cfg.spoofchk);
  EXPECT_TRUE(cfg.trust);
  VfChange rss = On(1);
  rss.rss_query_en = true;
  EXPECT_EQ(Apply(Ixgbe(), rss, &cfg), 0);  // ixgbe_ndo_set_vf_rss_query_en
  EXPECT_TRUE(cfg.rss_query_en);
  EXPECT_EQ(Apply(Igb(), rss), EOPNOTSUPP);
  EXPECT_EQ(Apply(Mlx5(), rss), EOPNOTSUPP);
}

TEST(VfGuid, NodeAndPortGuidOnEthernetAreEopnotsupp) {
  VfChange c = On(0);
  c.node_guid = true;
  EXPECT_EQ(Apply(Mlx5(), c), EOPNOTSUPP);
  c.node_guid = false;
  c.port_guid = true;
  EXPECT_EQ(Apply(Igb(), c), EOPNOTSUPP);
}

TEST(VfConfigAtAll, VirtioNetAnswersEopnotsuppToEverything) {
  VfChange mac = On(0);
  mac.mac = Mac("00:11:22:33:44:55");
  EXPECT_EQ(Apply(VirtioPci(), mac), EOPNOTSUPP);
  EXPECT_EQ(Apply(VirtioPci(), Vlan(10, 0)), EOPNOTSUPP);
  EXPECT_EQ(Apply(VirtioPci(), Rate(0, 100)), EOPNOTSUPP);
  VfChange trust = On(0);
  trust.trust = true;
  EXPECT_EQ(Apply(VirtioPci(), trust), EOPNOTSUPP);
  VfChange state = On(0);
  state.link_state = 0;
  EXPECT_EQ(Apply(VirtioPci(), state), EOPNOTSUPP);
}

// ---- order and atomicity

TEST(VfChangeOrder, MacErrorIsReportedBeforeVlanError) {
  VfChange c = Vlan(10, 0, kEthP8021AD);  // EPROTONOSUPPORT on igb ...
  c.mac = Mac("01:00:5e:00:00:01");       // ... but the MAC is checked first: EINVAL
  EXPECT_EQ(Apply(Igb(), c), EINVAL);
  c.mac = Mac("00:11:22:33:44:55");
  EXPECT_EQ(Apply(Igb(), c), EPROTONOSUPPORT);
}

TEST(VfChangeOrder, VlanBeforeRateBeforeLinkStateBeforeTrustBeforeGuid) {
  VfChange c = Vlan(10, 8);         // EINVAL
  c.rate = VfChange::Rate{0, 100};  // EOPNOTSUPP on igb
  EXPECT_EQ(Apply(Igb(), c), EINVAL);
  c.vlan.reset();
  c.link_state = 9;  // EOPNOTSUPP too, later
  EXPECT_EQ(Apply(Igb(), c), EOPNOTSUPP);
  VfChange m = On(0);
  m.link_state = 3;    // EINVAL on mlx5
  m.node_guid = true;  // EOPNOTSUPP, last
  EXPECT_EQ(Apply(Mlx5(), m), EINVAL);
}

TEST(VfChangeAtomicity, AnErrorChangesNothing) {
  VfConfig cfg = DefaultVfConfig(Mlx5());
  cfg.trust = true;
  const VfConfig before = cfg;
  VfChange c = Vlan(4096, 0);
  c.mac = Mac("fa:16:3e:11:22:33");  // valid, and processed before the bad VLAN
  c.spoofchk = true;
  EXPECT_EQ(ApplyVfChange(Mlx5(), 8, c, cfg).errnum(), EINVAL);
  EXPECT_EQ(cfg, before);
  c.node_guid = true;  // everything valid but the last attribute
  c.vlan = VfChange::Vlan{100, 3, kEthP8021Q};
  EXPECT_EQ(ApplyVfChange(Mlx5(), 8, c, cfg).errnum(), EOPNOTSUPP);
  EXPECT_EQ(cfg, before);
}

TEST(VfChangeAtomicity, AllAttributesTogether) {
  VfConfig cfg = DefaultVfConfig(Mlx5());
  VfChange c = Vlan(100, 3);
  c.mac = Mac("fa:16:3e:11:22:33");
  c.rate = VfChange::Rate{100, 1000};
  c.spoofchk = true;
  c.trust = true;
  c.link_state = 1;
  ASSERT_TRUE(ApplyVfChange(Mlx5(), 8, c, cfg).ok());
  VfConfig want;
  want.mac = Mac("fa:16:3e:11:22:33");
  want.vlan = 100;
  want.qos = 3;
  want.min_tx_rate = 100;
  want.max_tx_rate = 1000;
  want.spoofchk = true;
  want.trust = true;
  want.link_state = LinkState::kEnable;
  EXPECT_EQ(cfg, want);
}

TEST(VfChangeAtomicity, EmptyChangeIsOkAndChangesNothing) {
  VfConfig cfg = DefaultVfConfig(Igb());
  VfConfig before = cfg;
  EXPECT_TRUE(ApplyVfChange(Igb(), 8, On(0), cfg).ok());
  EXPECT_EQ(cfg, before);
}

// ---- defaults

TEST(DefaultVfConfig, SpoofchkFollowsTheDriver) {
  EXPECT_TRUE(DefaultVfConfig(Igb()).spoofchk);    // igb: on
  EXPECT_TRUE(DefaultVfConfig(Ixgbe()).spoofchk);  // ixgbe: on
  EXPECT_FALSE(DefaultVfConfig(Mlx5()).spoofchk);  // mlx5: off
}

TEST(DefaultVfConfig, EverythingElseIsZero) {
  VfConfig d = DefaultVfConfig(Igb());
  EXPECT_TRUE(d.mac.is_zero());
  EXPECT_EQ(d.vlan, 0);
  EXPECT_EQ(d.qos, 0);
  EXPECT_EQ(d.vlan_proto, kEthP8021Q);
  EXPECT_EQ(d.min_tx_rate, 0u);
  EXPECT_EQ(d.max_tx_rate, 0u);
  EXPECT_FALSE(d.trust);
  EXPECT_EQ(d.link_state, LinkState::kAuto);
  EXPECT_FALSE(d.rss_query_en);
}

}  // namespace
}  // namespace softvf
