#include "daemon/rtnl.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace softvf {

using nlohmann::json;

namespace {

json VfInfo(const Port& port, const VirtualFunction& vf) {
  const DriverSpec& d = port.pf->profile().driver;
  const VfConfig& c = vf.settings();
  json v;
  v["vf"] = vf.index();
  v["mac"] = c.mac.ToString();
  v["broadcast"] = MacAddress::Broadcast().ToString();
  v["vlan"] = c.vlan;
  v["qos"] = c.qos;
  v["vlan_proto"] = c.vlan_proto == kEthP8021AD ? "802.1ad" : "802.1Q";
  v["tx_rate"] = c.max_tx_rate;  // IFLA_VF_TX_RATE carries the max rate
  v["max_tx_rate"] = c.max_tx_rate;
  v["min_tx_rate"] = c.min_tx_rate;
  v["spoofchk"] = d.spoofchk ? json(c.spoofchk) : json(nullptr);
  v["link_state"] = static_cast<int>(c.link_state);
  v["trust"] = d.trust ? json(c.trust) : json(nullptr);
  v["rss_query_en"] = d.query_rss ? json(c.rss_query_en) : json(nullptr);
  return v;
}

json Base(int ifindex, const std::string& name, bool carrier, uint32_t mtu, const char* qdisc,
          const MacAddress& mac) {
  json l;
  l["ifindex"] = ifindex;
  l["ifname"] = name;
  json flags = json::array();
  if (!carrier) flags.push_back("NO-CARRIER");
  for (const char* f : {"BROADCAST", "MULTICAST", "UP"}) flags.push_back(f);
  if (carrier) flags.push_back("LOWER_UP");
  l["flags"] = flags;
  l["mtu"] = mtu;
  l["qdisc"] = qdisc;
  l["operstate"] = carrier ? "UP" : "DOWN";
  l["linkmode"] = "DEFAULT";
  l["group"] = "default";
  l["txqlen"] = 1000;
  l["link_type"] = "ether";
  l["address"] = mac.ToString();
  l["broadcast"] = MacAddress::Broadcast().ToString();
  return l;
}

}  // namespace

json PfLinkInfo(const Port& port) {
  const PhysicalFunction& pf = *port.pf;
  json l = Base(port.ifindex, port.netdev, true, port.mtu, "mq", port.mac);
  l["pf"] = pf.bdf().ToString();
  l["num_vf"] = pf.host().num_vfs;
  // Without ndo_get_vf_config the kernel sends IFLA_NUM_VF but no IFLA_VFINFO_LIST.
  if (pf.profile().driver.vf_config) {
    json list = json::array();
    for (uint16_t i = 0; i < pf.host().num_vfs; ++i) list.push_back(VfInfo(port, pf.vfs()[i]));
    l["vfinfo_list"] = list;
  }
  return l;
}

json VfLinkInfo(const Port& port, uint16_t vf, int ifindex) {
  const VirtualFunction& v = port.pf->vfs()[vf];
  // The VF's carrier follows its administrative link state (auto: the PF's, which is up).
  bool carrier = v.settings().link_state != LinkState::kDisable;
  const char* qdisc = port.pf->profile().queues_per_vf > 1 ? "mq" : "fq_codel";
  json l = Base(ifindex, Card::VfNetdevName(port, vf), carrier, 1500, qdisc,
                VfNetdevs::NetdevMac(port, vf, ifindex));
  l["vf_of"] = port.netdev;
  return l;
}

json AllLinks(const Card& card, const VfNetdevs& netdevs) {
  json links = json::array();
  for (const Port* p : card.AllPorts()) {
    links.push_back(PfLinkInfo(*p));
    for (uint16_t i = 0; i < p->pf->host().num_vfs; ++i)
      if (int idx = netdevs.IfIndex(*p, i)) links.push_back(VfLinkInfo(*p, i, idx));
  }
  std::stable_sort(links.begin(), links.end(), [](const json& a, const json& b) {
    return a["ifindex"].get<int>() < b["ifindex"].get<int>();
  });
  return links;
}

namespace {

uint64_t Counter(const json& c, const char* name) {
  auto it = c.find(name);
  return it != c.end() && it->is_number_integer() ? it->get<uint64_t>() : 0;
}

bool ReceiveSideDrop(const std::string& name) {
  return name == "drop_link_down" || name == "drop_vlan_mismatch" || name == "drop_filtered" ||
         name == "drop_no_buffer";
}

std::pair<uint64_t, uint64_t> Drops(const json& c) {  // {rx_dropped, tx_dropped}
  uint64_t rx = 0, tx = 0;
  if (c.is_object())
    for (auto& [name, value] : c.items())
      if (name.rfind("drop_", 0) == 0 && value.is_number_integer())
        (ReceiveSideDrop(name) ? rx : tx) += value.get<uint64_t>();
  return {rx, tx};
}

}  // namespace

json VfStatsFromCounters(const json& c) {
  auto [rx_dropped, tx_dropped] = Drops(c);
  return json{{"rx_packets", Counter(c, "tx_packets")},
              {"tx_packets", Counter(c, "rx_packets")},
              {"rx_bytes", Counter(c, "tx_bytes")},
              {"tx_bytes", Counter(c, "rx_bytes")},
              {"broadcast", Counter(c, "tx_broadcast")},
              {"multicast", Counter(c, "tx_multicast")},
              {"rx_dropped", rx_dropped},
              {"tx_dropped", tx_dropped}};
}

json LinkStats64FromCounters(const json& c) {
  auto [rx_dropped, tx_dropped] = Drops(c);
  json s;
  for (const char* zero :
       {"rx_errors", "tx_errors", "collisions", "rx_length_errors", "rx_over_errors",
        "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors", "rx_missed_errors",
        "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors", "tx_heartbeat_errors",
        "tx_window_errors", "rx_compressed", "tx_compressed", "rx_nohandler",
        "rx_otherhost_dropped"})
    s[zero] = 0;
  s["rx_packets"] = Counter(c, "tx_packets");
  s["tx_packets"] = Counter(c, "rx_packets");
  s["rx_bytes"] = Counter(c, "tx_bytes");
  s["tx_bytes"] = Counter(c, "rx_bytes");
  s["rx_dropped"] = rx_dropped;
  s["tx_dropped"] = tx_dropped;
  s["multicast"] = Counter(c, "tx_multicast");  // received multicast, as in rtnl_link_stats64
  return s;
}

}  // namespace softvf
