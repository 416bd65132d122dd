// `link set` parsing against what the real iproute2 6.1 prints and exits with for the same
// arguments (each expectation was observed with /bin/ip on Debian 12).
#include "cli/ip_args.h"

#include <gtest/gtest.h>

#include <sstream>

namespace softvf::cli {
namespace {

using nlohmann::json;

std::vector<std::string> Split(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Rates the device reports for its VFs (VF 0 has min 10 / max 500; VFs 0..1 exist).
std::function<RateLookup(const std::string&)> Rates() {
  return [](const std::string&) -> RateLookup {
    return [](int vf) -> std::optional<VfRates> {
      if (vf == 0) return VfRates{10, 500, true};
      if (vf == 1) return VfRates{0, 0, true};
      return VfRates{0, 0, false};
    };
  };
}

LinkSetResult Parse(const std::string& args) {
  return ParseLinkSet(Split(args), Rates());
}

void ExpectError(const std::string& args, const std::string& message, int exit_code) {
  LinkSetResult r = Parse(args);
  ASSERT_TRUE(r.error) << args;
  EXPECT_EQ(r.error->message, message) << args;
  EXPECT_EQ(r.error->exit_code, exit_code) << args;
}

json Request(const std::string& args) {
  LinkSetResult r = Parse(args);
  EXPECT_FALSE(r.error) << args << ": " << (r.error ? r.error->message : "");
  EXPECT_EQ(r.parse->requests.size(), 1u);
  return r.parse->requests.at(0);
}

TEST(IpArgs, VlanAbove4095IsInvargExit255) {
  ExpectError("eth0 vf 0 vlan 4096",
              "Error: argument \"4096\" is wrong: Invalid \"vlan\" value\n\n", 255);
}
TEST(IpArgs, QosAboveSevenIsLeftToTheKernel) {
  json r = Request("eth0 vf 0 vlan 10 qos 8");
  EXPECT_EQ(r["vlans"][0]["qos"], 8);
}
TEST(IpArgs, VlanProtocolMustBe8021QOr8021ad) {
  ExpectError("eth0 vf 0 vlan 10 proto 0x0800",
              "Error: argument \"0x0800\" is wrong: Invalid \"vlan protocol\" value - supported "
              "802.1Q, 802.1ad\n\n",
              255);
  ExpectError("eth0 vf 0 vlan 10 proto foo",
              "Error: argument \"foo\" is wrong: protocol is invalid\n\n", 255);
  EXPECT_EQ(Request("eth0 vf 0 vlan 5 proto 802.1q")["vlans"][0]["proto"], 0x8100);
  EXPECT_EQ(Request("eth0 vf 0 vlan 5 proto 802.1ad")["vlans"][0]["proto"], 0x88a8);
}
TEST(IpArgs, ProtoBeforeQosLeavesQosAsGarbage) {
  ExpectError("eth0 vf 0 vlan 10 proto 802.1ad qos 3",
              "Error: either \"dev\" is duplicate, or \"qos\" is a garbage.\n", 255);
}
TEST(IpArgs, MacAddressLengthAndBytes) {
  ExpectError("eth0 vf 0 mac 00:11:22:33:44", "Invalid address length 5 - must be 6 bytes\n", 1);
  ExpectError("eth0 vf 0 mac 1:2:3:4:5:6:7", "Invalid address length 7 - must be 6 bytes\n", 1);
  ExpectError("eth0 vf 0 mac 00:11:22:33:44:zz", "\"zz\" is invalid lladdr.\n", 1);
  ExpectError("eth0 vf 0 mac 00:11:22:33:44:555", "\"555\" is invalid lladdr.\n", 1);
  EXPECT_EQ(Request("eth0 vf 0 mac 0x1:2:3:4:5:6")["mac"], "01:02:03:04:05:06");
  // No client-side multicast check: the driver refuses it.
  EXPECT_EQ(Request("eth0 vf 0 mac 01:00:5e:00:00:01")["mac"], "01:00:5e:00:00:01");
}
TEST(IpArgs, VfNumberParsesLikeGetInteger) {
  ExpectError("eth0 vf x trust on", "Error: argument \"x\" is wrong: Invalid \"vf\" value\n\n",
              255);
  ExpectError("eth0 vf 08 trust on", "Error: argument \"08\" is wrong: Invalid \"vf\" value\n\n",
              255);
  EXPECT_EQ(Request("eth0 vf 0x1 trust on")["vf"], 1);
  EXPECT_EQ(Request("eth0 vf -1 trust on")["vf"], -1);  // the kernel refuses it
}
TEST(IpArgs, OnOffArguments) {
  ExpectError("eth0 vf 0 spoofchk yes",
              "Error: argument of \"spoofchk\" must be one of \"off\", \"on\", not \"yes\"\n", 1);
  ExpectError("eth0 vf 0 trust ON",
              "Error: argument of \"trust\" must be one of \"off\", \"on\", not \"ON\"\n", 1);
  EXPECT_EQ(Request("eth0 vf 0 q on")["query_rss"], true);
}
TEST(IpArgs, StateKeywordsByPrefix) {
  ExpectError("eth0 vf 0 state up", "Error: argument \"up\" is wrong: Invalid \"state\" value\n\n",
              255);
  EXPECT_EQ(Request("eth0 vf 0 st en")["state"], 1);
  EXPECT_EQ(Request("eth0 vf 0 state d")["state"], 2);
  EXPECT_EQ(Request("eth0 vf 0 state auto")["state"], 0);
}
TEST(IpArgs, GuidFormat) {
  ExpectError("eth0 vf 0 node_guid 1:2:3",
              "Error: argument \"1:2:3\" is wrong: Invalid GUID format\n\n", 255);
  EXPECT_TRUE(Request("eth0 vf 0 node_guid 00:11:22:33:44:55:66:77").contains("node_guid"));
}
TEST(IpArgs, IncompleteCommands) {
  const std::string incomplete = "Command line is not complete. Try option \"help\"\n";
  ExpectError("eth0 vf 0", incomplete, 255);
  ExpectError("eth0 vf 0 mac", incomplete, 255);
  ExpectError("eth0 vf 0 vlan 10 qos", incomplete, 255);
  ExpectError("eth0 vf 0 state", incomplete, 255);
  ExpectError("eth0 vf", incomplete, 255);
}
TEST(IpArgs, RateArguments) {
  ExpectError("eth0 vf 0 max_tx_rate abc",
              "Error: argument \"abc\" is wrong: Invalid \"max tx rate\" value\n\n", 255);
  ExpectError("eth0 vf 0 rate -1", "Error: argument \"-1\" is wrong: Invalid \"rate\" value\n\n",
              255);
  ExpectError("eth0 vf 0 min_tx_rate 200 max_tx_rate 100",
              "Invalid min_tx_rate 200 - must be <= max_tx_rate 100\n", 1);
  json legacy = Request("eth0 vf 1 rate 300");
  EXPECT_EQ(legacy["rate"], 300);
  EXPECT_FALSE(legacy.contains("max_tx_rate"));
}
TEST(IpArgs, MissingRateIsFilledFromTheDevice) {
  json r = Request("eth0 vf 0 max_tx_rate 800");
  EXPECT_EQ(r["min_tx_rate"], 10);
  EXPECT_EQ(r["max_tx_rate"], 800);
  ExpectError("eth0 vf 0 max_tx_rate 5", "Invalid min_tx_rate 10 - must be <= max_tx_rate 5\n", 1);
  ExpectError("eth0 vf 7 min_tx_rate 5", "Cannot find VF 7\n", 1);
  // With max_tx_rate present the legacy rate is ignored; without it, rate becomes max.
  EXPECT_EQ(Request("eth0 vf 1 rate 300 max_tx_rate 400")["max_tx_rate"], 400);
  EXPECT_EQ(Request("eth0 vf 1 rate 300 min_tx_rate 20")["max_tx_rate"], 300);
}
TEST(IpArgs, SecondVlanWordAddsAListEntry) {
  EXPECT_EQ(Request("eth0 vf 0 vlan 1 vlan 2")["vlans"].size(), 2u);
}
TEST(IpArgs, DeviceArgument) {
  ExpectError("eth0 vf 0 mac 00:11:22:33:44:55 bogus",
              "Error: either \"dev\" is duplicate, or \"bogus\" is a garbage.\n", 255);
  EXPECT_EQ(Parse("dev eth0 vf 0 trust on").parse->dev, "eth0");
  ExpectError("vf 0 trust on", "Error: argument \"dev\" is required\n", 255);
  ExpectError("", "Not enough information: \"dev\" argument is required.\n", 255);
  EXPECT_TRUE(Parse("eth0").parse->requests.empty());
}
TEST(IpArgs, AbbreviatedKeywords) {
  json r = Request("eth0 vf 0 m 00:11:22:33:44:55 sp off t on");
  EXPECT_EQ(r["mac"], "00:11:22:33:44:55");
  EXPECT_EQ(r["spoofchk"], false);
  EXPECT_EQ(r["trust"], true);
}

}  // namespace
}  // namespace softvf::cli
