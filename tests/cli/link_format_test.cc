// The link renderer against the real iproute2 6.1's output for the same netlink data
// (tests/golden/iproute2, produced by /bin/ip through tests/tools/iproute2-vfshim.c).
#include "cli/link_format.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace softvf::cli {
namespace {

using nlohmann::json;

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(SOFTVF_SOURCE_DIR) + "/tests/golden/iproute2/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json Vf(int vf, const char* mac, int vlan, int qos, const char* proto, unsigned max, unsigned min,
        json spoofchk, int state, json trust, json rss) {
  return {{"vf", vf},
          {"mac", mac},
          {"broadcast", "ff:ff:ff:ff:ff:ff"},
          {"vlan", vlan},
          {"qos", qos},
          {"vlan_proto", proto},
          {"tx_rate", max},
          {"max_tx_rate", max},
          {"min_tx_rate", min},
          {"spoofchk", spoofchk},
          {"link_state", state},
          {"trust", trust},
          {"rss_query_en", rss}};
}

json Pf(json vfs) {
  return json::array({{{"ifindex", 4},
                       {"ifname", "eth0"},
                       {"flags", {"BROADCAST", "MULTICAST", "UP", "LOWER_UP"}},
                       {"mtu", 1400},
                       {"qdisc", "pfifo_fast"},
                       {"operstate", "UP"},
                       {"linkmode", "DEFAULT"},
                       {"group", "default"},
                       {"txqlen", 1000},
                       {"link_type", "ether"},
                       {"address", "02:fc:00:00:00:01"},
                       {"broadcast", "ff:ff:ff:ff:ff:ff"},
                       {"num_vf", 2},
                       {"vfinfo_list", vfs}}});
}

json IgbPair() {
  return Pf({Vf(0, "00:00:00:00:00:00", 0, 0, "802.1Q", 0, 0, true, 0, false, nullptr),
             Vf(1, "fa:16:3e:11:22:33", 100, 3, "802.1ad", 1000, 100, true, 2, true, nullptr)});
}

json AltPair() {
  return Pf({Vf(0, "00:00:00:00:00:00", 5, 0, "802.1Q", 0, 0, nullptr, 1, nullptr, true),
             Vf(1, "fa:16:3e:11:22:33", 100, 3, "802.1Q", 0, 0, false, 2, true, false)});
}

TEST(LinkFormat, TextMatchesIproute2ForIgbStyleVfs) {
  EXPECT_EQ(RenderLinksText(IgbPair()), Golden("link.txt"));
}
TEST(LinkFormat, JsonMatchesIproute2ForIgbStyleVfs) {
  EXPECT_EQ(RenderLinksJson(IgbPair()), Golden("j.json"));
}
TEST(LinkFormat, TextMatchesIproute2ForUnreportedFields) {
  EXPECT_EQ(RenderLinksText(AltPair()), Golden("alt.txt"));
}
TEST(LinkFormat, JsonMatchesIproute2ForUnreportedFields) {
  EXPECT_EQ(RenderLinksJson(AltPair()), Golden("alt.json"));
}

TEST(LinkFormat, PfWithoutVfListPrintsNoVfLinesAndNoJsonKey) {
  json links = IgbPair();
  links[0].erase("vfinfo_list");
  EXPECT_EQ(RenderLinksText(links),
            "4: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc pfifo_fast state UP mode "
            "DEFAULT group default qlen 1000\n    link/ether 02:fc:00:00:00:01 brd "
            "ff:ff:ff:ff:ff:ff\n");
  EXPECT_EQ(RenderLinksJson(links).find("vfinfo_list"), std::string::npos);
}

TEST(LinkFormat, NoCarrierComesFirstAndLowerUpIsAbsent) {
  json links = IgbPair();
  links[0]["flags"] = {"NO-CARRIER", "BROADCAST", "MULTICAST", "UP"};
  links[0]["operstate"] = "DOWN";
  std::string text = RenderLinksText(links);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "4: eth0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1400 qdisc pfifo_fast state DOWN "
            "mode DEFAULT group default qlen 1000");
}

// The output vectors of shared/reference/sriov-control-semantics.md §3.5, for a driver that
// reports every field (netdevsim-like).
std::string VfLine(const json& vf) {
  std::string text = RenderLinksText(Pf(json::array({vf})));
  size_t at = text.find("    vf ");
  return text.substr(at, text.size() - at - 1);
}

TEST(LinkFormat, ReferenceVectorFreshVf) {
  EXPECT_EQ(VfLine(Vf(0, "00:00:00:00:00:00", 0, 0, "802.1Q", 0, 0, false, 0, false, false)),
            "    vf 0     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking off, "
            "link-state auto, trust off, query_rss off");
}

TEST(LinkFormat, ReferenceVectorEverythingSet) {
  EXPECT_EQ(VfLine(Vf(0, "fa:16:3e:11:22:33", 100, 3, "802.1Q", 1000, 100, true, 1, true, false)),
            "    vf 0     link/ether fa:16:3e:11:22:33 brd ff:ff:ff:ff:ff:ff, vlan 100, qos 3, tx "
            "rate 1000 (Mbps), max_tx_rate 1000Mbps, min_tx_rate 100Mbps, spoof checking on, "
            "link-state enable, trust on, query_rss off");
}

TEST(LinkFormat, ReferenceVector8021ad) {
  EXPECT_EQ(VfLine(Vf(1, "00:00:00:00:00:00", 200, 0, "802.1ad", 0, 0, false, 0, false, false)),
            "    vf 1     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, vlan 200, vlan "
            "protocol 802.1ad, spoof checking off, link-state auto, trust off, query_rss off");
}

TEST(LinkFormat, ReferenceVectorDriverWithoutRssQuery) {
  EXPECT_EQ(VfLine(Vf(0, "00:11:22:33:44:55", 0, 0, "802.1Q", 0, 0, true, 0, false, nullptr)),
            "    vf 0     link/ether 00:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff, spoof checking on, "
            "link-state auto, trust off");
}

// ---------------------------------------------------------------- -s: statistics blocks

// The golden PF's statistics (the real kernel's for the machine's virtio NIC) and the
// shim's VF statistics: VF 0 all zero, VF 1 rx 123456789/1234/42/7/3, tx 98765/5678/1.
json WithStats(json links, bool dropped = true) {
  json& pf = links[0];
  pf["stats64"] = {
      {"rx_bytes", 19088758}, {"rx_packets", 536}, {"tx_bytes", 26028}, {"tx_packets", 310}};
  for (const char* zero :
       {"rx_errors",         "tx_errors",         "rx_dropped",       "tx_dropped",
        "multicast",         "collisions",        "rx_length_errors", "rx_over_errors",
        "rx_crc_errors",     "rx_frame_errors",   "rx_fifo_errors",   "rx_missed_errors",
        "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",   "tx_heartbeat_errors",
        "tx_window_errors",  "rx_compressed",     "tx_compressed",    "rx_nohandler"})
    pf["stats64"][zero] = 0;
  pf["carrier_changes"] = 2;
  json vf0 = {{"rx_bytes", 0}, {"rx_packets", 0}, {"multicast", 0},  {"broadcast", 0},
              {"tx_bytes", 0}, {"tx_packets", 0}, {"rx_dropped", 0}, {"tx_dropped", 0}};
  json vf1 = {{"rx_bytes", 123456789}, {"rx_packets", 1234}, {"multicast", 42}, {"broadcast", 7},
              {"tx_bytes", 98765},     {"tx_packets", 5678}, {"rx_dropped", 3}, {"tx_dropped", 1}};
  if (!dropped)
    for (json* v : {&vf0, &vf1}) {
      v->erase("rx_dropped");
      v->erase("tx_dropped");
    }
  pf["vfinfo_list"][0]["stats"] = vf0;
  pf["vfinfo_list"][1]["stats"] = vf1;
  return links;
}

TEST(LinkStats, TextMatchesIproute2) {
  EXPECT_EQ(RenderLinksText(WithStats(IgbPair()), 1), Golden("s.txt"));
}
TEST(LinkStats, TextWithErrorRowsMatchesIproute2) {
  EXPECT_EQ(RenderLinksText(WithStats(IgbPair()), 2), Golden("ss.txt"));
}
TEST(LinkStats, TextWithoutVfDroppedMatchesIproute2) {
  EXPECT_EQ(RenderLinksText(WithStats(IgbPair(), false), 1), Golden("s-nodrop.txt"));
}
TEST(LinkStats, JsonMatchesIproute2) {
  EXPECT_EQ(RenderLinksJson(WithStats(IgbPair()), 1), Golden("js.json"));
}

TEST(LinkStats, WithoutDashSTheStatisticsAreNotShown) {
  EXPECT_EQ(RenderLinksText(WithStats(IgbPair()), 0), Golden("link.txt"));
  EXPECT_EQ(RenderLinksJson(WithStats(IgbPair()), 0), Golden("j.json"));
}

TEST(LinkStats, ColumnsWidenToTheirValues) {
  // size_columns(): 1e10 bytes takes 11 places, 1e7 packets 8; the TX row uses the same
  // columns (notes §3, checked against /bin/ip).
  json links = WithStats(IgbPair());
  links[0]["stats64"]["rx_bytes"] = 10000000000ull;
  links[0]["stats64"]["rx_packets"] = 10000000;
  std::string text = RenderLinksText(links, 1);
  EXPECT_NE(text.find("\n    RX:   bytes  packets errors dropped  missed   mcast           \n"
                      "    10000000000 10000000      0       0       0       0 \n"
                      "    TX:   bytes  packets errors dropped carrier collsns           \n"
                      "          26028      310      0       0       0       0 \n"),
            std::string::npos)
      << text;
}

TEST(LinkStats, JsonErrorKeysWithTwoDashS) {
  json out = json::parse(RenderLinksJson(WithStats(IgbPair()), 2));
  const json& s = out[0]["stats64"];
  EXPECT_EQ(s["rx"].size(), 11u);
  EXPECT_EQ(s["rx"]["missed_errors"], 0);
  EXPECT_EQ(s["tx"]["carrier_changes"], 2);
  EXPECT_EQ(s["tx"]["heartbeat_errors"], 0);
}

}  // namespace
}  // namespace softvf::cli
