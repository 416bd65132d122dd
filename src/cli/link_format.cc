#include "cli/link_format.h"

namespace softvf::cli {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

namespace {

std::string LinkStateName(int s) { return s == 0 ? "auto" : s == 1 ? "enable" : "disable"; }

void VfText(std::string& o, const json& v) {
  o += "\n    vf " + std::to_string(v["vf"].get<int>()) + " ";
  o += "    link/ether " + v["mac"].get<std::string>() + " brd " + v["broadcast"].get<std::string>();
  if (v["vlan"].get<int>()) o += ", vlan " + std::to_string(v["vlan"].get<int>());
  if (v["qos"].get<int>()) o += ", qos " + std::to_string(v["qos"].get<int>());
  if (v["vlan_proto"] != "802.1Q") o += ", vlan protocol " + v["vlan_proto"].get<std::string>();
  if (v["tx_rate"].get<uint32_t>()) o += ", tx rate " + std::to_string(v["tx_rate"].get<uint32_t>()) + " (Mbps)";
  if (v["max_tx_rate"].get<uint32_t>()) o += ", max_tx_rate " + std::to_string(v["max_tx_rate"].get<uint32_t>()) + "Mbps";
  if (v["min_tx_rate"].get<uint32_t>()) o += ", min_tx_rate " + std::to_string(v["min_tx_rate"].get<uint32_t>()) + "Mbps";
  if (!v["spoofchk"].is_null()) o += v["spoofchk"].get<bool>() ? ", spoof checking on" : ", spoof checking off";
  o += ", link-state " + LinkStateName(v["link_state"].get<int>());
  if (!v["trust"].is_null()) o += v["trust"].get<bool>() ? ", trust on" : ", trust off";
  if (!v["rss_query_en"].is_null()) o += v["rss_query_en"].get<bool>() ? ", query_rss on" : ", query_rss off";
}

ordered VfJson(const json& v) {
  ordered o;
  o["vf"] = v["vf"];
  o["link_type"] = "ether";
  o["address"] = v["mac"];
  o["broadcast"] = v["broadcast"];
  ordered vlan = ordered::object();
  if (v["vlan"].get<int>()) vlan["vlan"] = v["vlan"];
  if (v["qos"].get<int>()) vlan["qos"] = v["qos"];
  if (v["vlan_proto"] != "802.1Q") vlan["protocol"] = v["vlan_proto"];
  o["vlan_list"] = ordered::array({vlan});
  if (v["tx_rate"].get<uint32_t>()) o["tx_rate"] = v["tx_rate"];
  o["rate"] = ordered{{"max_tx", v["max_tx_rate"]}, {"min_tx", v["min_tx_rate"]}};
  if (!v["spoofchk"].is_null()) o["spoofchk"] = v["spoofchk"];
  o["link_state"] = LinkStateName(v["link_state"].get<int>());
  if (!v["trust"].is_null()) o["trust"] = v["trust"];
  if (!v["rss_query_en"].is_null()) o["query_rss_en"] = v["rss_query_en"];
  return o;
}

}  // namespace

std::string RenderLinksText(const json& links) {
  std::string o;
  for (const json& l : links) {
    o += std::to_string(l["ifindex"].get<int>()) + ": " + l["ifname"].get<std::string>() + ": <";
    bool first = true;
    for (const json& f : l["flags"]) {
      o += (first ? "" : ",") + f.get<std::string>();
      first = false;
    }
    o += "> mtu " + std::to_string(l["mtu"].get<int>()) + " qdisc " + l["qdisc"].get<std::string>() +
         " state " + l["operstate"].get<std::string>() + " mode " + l["linkmode"].get<std::string>() +
         " group " + l["group"].get<std::string>() + " qlen " + std::to_string(l["txqlen"].get<int>());
    o += "\n    link/" + l["link_type"].get<std::string>() + " " + l["address"].get<std::string>() +
         " brd " + l["broadcast"].get<std::string>();
    if (l.contains("vfinfo_list"))
      for (const json& v : l["vfinfo_list"]) VfText(o, v);
    o += "\n";
  }
  return o;
}

std::string RenderLinksJson(const json& links) {
  ordered out = ordered::array();
  for (const json& l : links) {
    ordered o;
    for (const char* key : {"ifindex", "ifname", "flags", "mtu", "qdisc", "operstate", "linkmode",
                            "group", "txqlen", "link_type", "address", "broadcast"})
      o[key] = l[key];
    if (l.contains("vfinfo_list")) {
      ordered list = ordered::array();
      for (const json& v : l["vfinfo_list"]) list.push_back(VfJson(v));
      o["vfinfo_list"] = list;
    }
    out.push_back(o);
  }
  return out.dump() + "\n";
}

namespace {

std::string U(const json& v) { return std::to_string(v.get<uint64_t>()); }

}  // namespace

std::string RenderFdbText(const json& pfs) {
  std::string o;
  for (const json& pf : pfs) {
    const std::string dev = pf["dev"].get<std::string>();
    for (const json& e : pf["entries"]) {
      o += e["mac"].get<std::string>() + " dev " + dev;
      o += e.contains("vf") ? " vf " + U(e["vf"]) : " port " + e["port"].get<std::string>();
      if (e["vlan"].get<int>()) {
        o += " vlan " + U(e["vlan"]);
        if (e.contains("vlan_protocol")) o += " proto " + e["vlan_protocol"].get<std::string>();
      }
      o += " " + e["state"].get<std::string>();
      if (e.contains("age")) o += " age " + U(e["age"]) + "s";
      o += "\n";
    }
    const json& st = pf["stats"];
    o += dev + ": fdb " + U(pf["used"]) + "/" + U(pf["capacity"]) + " entries used (" + U(pf["static"]) +
         " static, " + U(pf["learned"]) + " learned), aging " + U(pf["aging_time"]) + "s; learned " +
         U(st["learned"]) + " moved " + U(st["moved"]) + " learn_full " + U(st["learn_full"]) +
         " static_hold " + U(st["static_hold"]) + " aged " + U(st["aged"]) + "\n";
  }
  return o;
}

std::string RenderFdbJson(const json& pfs) {
  ordered out = ordered::array();
  for (const json& pf : pfs) {
    ordered p;
    for (const char* key : {"dev", "capacity", "used", "static", "learned", "aging_time"}) p[key] = pf[key];
    ordered st;
    for (const char* key : {"learned", "moved", "learn_full", "static_hold", "aged"}) st[key] = pf["stats"][key];
    p["stats"] = st;
    ordered entries = ordered::array();
    for (const json& e : pf["entries"]) {
      ordered j;
      j["mac"] = e["mac"];
      j["ifname"] = pf["dev"];
      if (e.contains("vf")) j["vf"] = e["vf"];
      else j["port"] = e["port"];
      if (e["vlan"].get<int>()) {
        j["vlan"] = e["vlan"];
        if (e.contains("vlan_protocol")) j["vlan_protocol"] = e["vlan_protocol"];
      }
      j["state"] = e["state"];
      if (e.contains("age")) j["age"] = e["age"];
      entries.push_back(j);
    }
    p["entries"] = entries;
    out.push_back(p);
  }
  return out.dump() + "\n";
}

}  // namespace softvf::cli
