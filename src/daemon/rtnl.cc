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

}  // namespace softvf
