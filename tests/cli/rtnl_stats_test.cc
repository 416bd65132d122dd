// `ip -s link`'s numbers: a VF's (IFLA_VF_STATS) and a PF's (IFLA_STATS64) statistics from
// the counters of its switch port, mirrored (the port's tx is the function's rx).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/rtnl.h"

namespace softvf {
namespace {

using nlohmann::json;

json SwitchPort() {
  return {{"rx_packets", 10},           {"rx_bytes", 1000},       {"rx_multicast", 4},
          {"rx_broadcast", 3},          {"tx_packets", 20},       {"tx_bytes", 3000},
          {"tx_multicast", 6},          {"tx_broadcast", 5},      {"drop_runt", 1},
          {"drop_spoofed", 2},          {"drop_rate_limited", 4}, {"drop_link_down", 8},
          {"drop_filtered", 16},        {"drop_no_buffer", 32},   {"drop_vlan_mismatch", 64},
          {"drop_no_destination", 128}, {"vhost_connected", 1},   {"vhost_connects", 7}};
}

TEST(RtnlStats, AVfSeesItsSwitchPortMirrored) {
  EXPECT_EQ(VfStatsFromCounters(SwitchPort()),
            (json{{"rx_packets", 20},
                  {"rx_bytes", 3000},
                  {"multicast", 6},
                  {"broadcast", 5},
                  {"tx_packets", 10},
                  {"tx_bytes", 1000},
                  // toward the VF, not taken: link_down + filtered + no_buffer + vlan_mismatch
                  {"rx_dropped", 8 + 16 + 32 + 64},
                  // its own frames refused: runt + spoofed + rate_limited + no_destination
                  {"tx_dropped", 1 + 2 + 4 + 128}}));
}

TEST(RtnlStats, EveryDropOnThePortIsCountedOnce) {
  json v = VfStatsFromCounters(SwitchPort());
  EXPECT_EQ(v["rx_dropped"].get<uint64_t>() + v["tx_dropped"].get<uint64_t>(), 255u);
}

TEST(RtnlStats, MissingCountersReadZero) {
  json v = VfStatsFromCounters(json::object());
  for (auto& [k, value] : v.items()) EXPECT_EQ(value, 0) << k;
  // Counters without the multicast/broadcast split still give the rest.
  v = VfStatsFromCounters(json{{"tx_packets", 9}});
  EXPECT_EQ(v["rx_packets"], 9);
  EXPECT_EQ(v["broadcast"], 0);
}

TEST(RtnlStats, APfLinkHasEveryRtnlLinkStats64Field) {
  json s = LinkStats64FromCounters(SwitchPort());
  EXPECT_EQ(s["rx_packets"], 20);
  EXPECT_EQ(s["tx_bytes"], 1000);
  EXPECT_EQ(s["multicast"], 6);
  EXPECT_EQ(s["rx_dropped"], 120);
  EXPECT_EQ(s["tx_dropped"], 135);
  EXPECT_EQ(s["rx_errors"], 0);
  EXPECT_EQ(s["tx_heartbeat_errors"], 0);
  EXPECT_EQ(s.size(), 25u);  // struct rtnl_link_stats64 (6.1), rx_otherhost_dropped included
}

}  // namespace
}  // namespace softvf
