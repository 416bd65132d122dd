#include "cli/link_format.h"

#include <cinttypes>
#include <cstdio>

namespace softvf::cli {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

namespace {

std::string LinkStateName(int s) {
  return s == 0 ? "auto" : s == 1 ? "enable" : "disable";
}

void VfText(std::string& o, const json& v) {
  o += "\n    vf " + std::to_string(v["vf"].get<int>()) + " ";
  o +=
      "    link/ether " + v["mac"].get<std::string>() + " brd " + v["broadcast"].get<std::string>();
  if (v["vlan"].get<int>()) o += ", vlan " + std::to_string(v["vlan"].get<int>());
  if (v["qos"].get<int>()) o += ", qos " + std::to_string(v["qos"].get<int>());
  if (v["vlan_proto"] != "802.1Q") o += ", vlan protocol " + v["vlan_proto"].get<std::string>();
  if (v["tx_rate"].get<uint32_t>())
    o += ", tx rate " + std::to_string(v["tx_rate"].get<uint32_t>()) + " (Mbps)";
  if (v["max_tx_rate"].get<uint32_t>())
    o += ", max_tx_rate " + std::to_string(v["max_tx_rate"].get<uint32_t>()) + "Mbps";
  if (v["min_tx_rate"].get<uint32_t>())
    o += ", min_tx_rate " + std::to_string(v["min_tx_rate"].get<uint32_t>()) + "Mbps";
  if (!v["spoofchk"].is_null())
    o += v["spoofchk"].get<bool>() ? ", spoof checking on" : ", spoof checking off";
  o += ", link-state " + LinkStateName(v["link_state"].get<int>());
  if (!v["trust"].is_null()) o += v["trust"].get<bool>() ? ", trust on" : ", trust off";
  if (!v["rss_query_en"].is_null())
    o += v["rss_query_en"].get<bool>() ? ", query_rss on" : ", query_rss off";
}

// ---------------------------------------------------------------- statistics (ip -s)

uint64_t Get(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<uint64_t>() : 0;
}

// print_num() of iproute2 6.1 without -h: right-aligned in `width`, then a space.
void Num(std::string& o, unsigned width, uint64_t v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%*" PRIu64 " ", width, v);
  o += buf;
}

// printf("%*s", width, s).
std::string Pad(unsigned width, const std::string& s) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

// size_columns(): every column at least as wide as its value's decimal digits.
void SizeColumns(unsigned (&cols)[8], std::initializer_list<uint64_t> values) {
  unsigned i = 0;
  for (uint64_t v : values) {
    unsigned len = 1;
    for (; v > 9; v /= 10) ++len;
    if (len > cols[i]) cols[i] = len;
    ++i;
  }
}

// ip/ipaddress.c print_stats64(), the text half.
void Stats64Text(std::string& o, const json& s, const json* carrier_changes, int show_stats) {
  unsigned cols[8] = {10, 7, 6, 7, 7, 7, 10, 9};  // "*X errors:", packets, errors, dropped,
                                                  // heartbt, overrun, compressed, otherhost
  const uint64_t cc = carrier_changes ? carrier_changes->get<uint64_t>() : 0;
  SizeColumns(cols,
              {Get(s, "rx_bytes"), Get(s, "rx_packets"), Get(s, "rx_errors"), Get(s, "rx_dropped"),
               Get(s, "rx_missed_errors"), Get(s, "multicast"), Get(s, "rx_compressed")});
  if (show_stats > 1)
    SizeColumns(cols,
                {0, Get(s, "rx_length_errors"), Get(s, "rx_crc_errors"), Get(s, "rx_frame_errors"),
                 Get(s, "rx_fifo_errors"), Get(s, "rx_over_errors"), Get(s, "rx_nohandler"),
                 Get(s, "rx_otherhost_dropped")});
  SizeColumns(cols,
              {Get(s, "tx_bytes"), Get(s, "tx_packets"), Get(s, "tx_errors"), Get(s, "tx_dropped"),
               Get(s, "tx_carrier_errors"), Get(s, "collisions"), Get(s, "tx_compressed")});
  if (show_stats > 1)
    SizeColumns(cols, {0, Get(s, "tx_aborted_errors"), Get(s, "tx_fifo_errors"),
                       Get(s, "tx_window_errors"), Get(s, "tx_heartbeat_errors"), cc});

  const uint64_t rx_compressed = Get(s, "rx_compressed"), tx_compressed = Get(s, "tx_compressed");
  o += "\n    RX: " + Pad(cols[0] - 4, "bytes") + " " + Pad(cols[1], "packets") + " " +
       Pad(cols[2], "errors") + " " + Pad(cols[3], "dropped") + " " + Pad(cols[4], "missed") + " " +
       Pad(cols[5], "mcast") + " " + Pad(cols[6], rx_compressed ? "compressed" : "") + "\n    ";
  Num(o, cols[0], Get(s, "rx_bytes"));
  Num(o, cols[1], Get(s, "rx_packets"));
  Num(o, cols[2], Get(s, "rx_errors"));
  Num(o, cols[3], Get(s, "rx_dropped"));
  Num(o, cols[4], Get(s, "rx_missed_errors"));
  Num(o, cols[5], Get(s, "multicast"));
  if (rx_compressed) Num(o, cols[6], rx_compressed);
  if (show_stats > 1) {
    const uint64_t nohandler = Get(s, "rx_nohandler"), otherhost = Get(s, "rx_otherhost_dropped");
    o += "\n    RX errors:" + Pad(cols[0] - 10, "") + " " + Pad(cols[1], "length") + " " +
         Pad(cols[2], "crc") + " " + Pad(cols[3], "frame") + " " + Pad(cols[4], "fifo") + " " +
         Pad(cols[5], "overrun") + Pad(nohandler ? cols[6] + 1 : 0, nohandler ? " nohandler" : "") +
         Pad(otherhost ? cols[7] + 1 : 0, otherhost ? " otherhost" : "") + "\n" +
         Pad(cols[0] + 5, "");
    Num(o, cols[1], Get(s, "rx_length_errors"));
    Num(o, cols[2], Get(s, "rx_crc_errors"));
    Num(o, cols[3], Get(s, "rx_frame_errors"));
    Num(o, cols[4], Get(s, "rx_fifo_errors"));
    Num(o, cols[5], Get(s, "rx_over_errors"));
    if (nohandler) Num(o, cols[6], nohandler);
    if (otherhost) Num(o, cols[7], otherhost);
  }
  o += "\n    TX: " + Pad(cols[0] - 4, "bytes") + " " + Pad(cols[1], "packets") + " " +
       Pad(cols[2], "errors") + " " + Pad(cols[3], "dropped") + " " + Pad(cols[4], "carrier") +
       " " + Pad(cols[5], "collsns") + " " + Pad(cols[6], tx_compressed ? "compressed" : "") +
       "\n    ";
  Num(o, cols[0], Get(s, "tx_bytes"));
  Num(o, cols[1], Get(s, "tx_packets"));
  Num(o, cols[2], Get(s, "tx_errors"));
  Num(o, cols[3], Get(s, "tx_dropped"));
  Num(o, cols[4], Get(s, "tx_carrier_errors"));
  Num(o, cols[5], Get(s, "collisions"));
  if (tx_compressed) Num(o, cols[6], tx_compressed);
  if (show_stats > 1) {
    o += "\n    TX errors:" + Pad(cols[0] - 10, "") + " " + Pad(cols[1], "aborted") + " " +
         Pad(cols[2], "fifo") + " " + Pad(cols[3], "window") + " " + Pad(cols[4], "heartbt") + " " +
         Pad(carrier_changes ? cols[5] : 0, carrier_changes ? "transns" : "") + "\n" +
         Pad(cols[0] + 5, "");
    Num(o, cols[1], Get(s, "tx_aborted_errors"));
    Num(o, cols[2], Get(s, "tx_fifo_errors"));
    Num(o, cols[3], Get(s, "tx_window_errors"));
    Num(o, cols[4], Get(s, "tx_heartbeat_errors"));
    if (carrier_changes) Num(o, cols[5], cc);
  }
}

// print_stats64(), the JSON half.
ordered Stats64Json(const json& s, const json* carrier_changes, int show_stats) {
  ordered rx, tx;
  rx["bytes"] = Get(s, "rx_bytes");
  rx["packets"] = Get(s, "rx_packets");
  rx["errors"] = Get(s, "rx_errors");
  rx["dropped"] = Get(s, "rx_dropped");
  rx["over_errors"] = Get(s, "rx_over_errors");
  rx["multicast"] = Get(s, "multicast");
  if (Get(s, "rx_compressed")) rx["compressed"] = Get(s, "rx_compressed");
  if (show_stats > 1) {
    rx["length_errors"] = Get(s, "rx_length_errors");
    rx["crc_errors"] = Get(s, "rx_crc_errors");
    rx["frame_errors"] = Get(s, "rx_frame_errors");
    rx["fifo_errors"] = Get(s, "rx_fifo_errors");
    rx["missed_errors"] = Get(s, "rx_missed_errors");
    if (Get(s, "rx_nohandler")) rx["nohandler"] = Get(s, "rx_nohandler");
    if (Get(s, "rx_otherhost_dropped")) rx["otherhost"] = Get(s, "rx_otherhost_dropped");
  }
  tx["bytes"] = Get(s, "tx_bytes");
  tx["packets"] = Get(s, "tx_packets");
  tx["errors"] = Get(s, "tx_errors");
  tx["dropped"] = Get(s, "tx_dropped");
  tx["carrier_errors"] = Get(s, "tx_carrier_errors");
  tx["collisions"] = Get(s, "collisions");
  if (Get(s, "tx_compressed")) tx["compressed"] = Get(s, "tx_compressed");
  if (show_stats > 1) {
    tx["aborted_errors"] = Get(s, "tx_aborted_errors");
    tx["fifo_errors"] = Get(s, "tx_fifo_errors");
    tx["window_errors"] = Get(s, "tx_window_errors");
    tx["heartbeat_errors"] = Get(s, "tx_heartbeat_errors");
    if (carrier_changes) tx["carrier_changes"] = carrier_changes->get<uint64_t>();
  }
  return ordered{{"rx", rx}, {"tx", tx}};
}

// print_vf_stats64(): fixed widths; "dropped" only when the kernel sent it.
void VfStatsText(std::string& o, const json& s) {
  const bool rx_dropped = s.contains("rx_dropped"), tx_dropped = s.contains("tx_dropped");
  o += "\n    RX: bytes  packets  mcast   bcast ";
  if (rx_dropped) o += "  dropped ";
  o += "\n    ";
  Num(o, 10, Get(s, "rx_bytes"));
  Num(o, 8, Get(s, "rx_packets"));
  Num(o, 7, Get(s, "multicast"));
  Num(o, 7, Get(s, "broadcast"));
  if (rx_dropped) Num(o, 8, Get(s, "rx_dropped"));
  o += "\n    TX: bytes  packets ";
  if (tx_dropped) o += "  dropped ";
  o += "\n    ";
  Num(o, 10, Get(s, "tx_bytes"));
  Num(o, 8, Get(s, "tx_packets"));
  if (tx_dropped) Num(o, 8, Get(s, "tx_dropped"));
}

ordered VfStatsJson(const json& s) {
  ordered rx, tx;
  rx["bytes"] = Get(s, "rx_bytes");
  rx["packets"] = Get(s, "rx_packets");
  rx["multicast"] = Get(s, "multicast");
  rx["broadcast"] = Get(s, "broadcast");
  if (s.contains("rx_dropped")) rx["dropped"] = Get(s, "rx_dropped");
  tx["tx_bytes"] = Get(s, "tx_bytes");
  tx["tx_packets"] = Get(s, "tx_packets");
  if (s.contains("tx_dropped")) tx["dropped"] = Get(s, "tx_dropped");
  return ordered{{"rx", rx}, {"tx", tx}};
}

ordered VfJson(const json& v, int show_stats) {
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
  if (show_stats && v.contains("stats")) o["stats"] = VfStatsJson(v["stats"]);
  return o;
}

}  // namespace

std::string RenderLinksText(const json& links, int show_stats) {
  std::string o;
  for (const json& l : links) {
    o += std::to_string(l["ifindex"].get<int>()) + ": " + l["ifname"].get<std::string>() + ": <";
    bool first = true;
    for (const json& f : l["flags"]) {
      o += (first ? "" : ",") + f.get<std::string>();
      first = false;
    }
    o += "> mtu " + std::to_string(l["mtu"].get<int>()) + " qdisc " +
         l["qdisc"].get<std::string>() + " state " + l["operstate"].get<std::string>() + " mode " +
         l["linkmode"].get<std::string>() + " group " + l["group"].get<std::string>() + " qlen " +
         std::to_string(l["txqlen"].get<int>());
    o += "\n    link/" + l["link_type"].get<std::string>() + " " + l["address"].get<std::string>() +
         " brd " + l["broadcast"].get<std::string>();
    if (show_stats && l.contains("stats64"))
      Stats64Text(o, l["stats64"], l.contains("carrier_changes") ? &l["carrier_changes"] : nullptr,
                  show_stats);
    if (l.contains("vfinfo_list"))
      for (const json& v : l["vfinfo_list"]) {
        VfText(o, v);
        if (show_stats && v.contains("stats")) VfStatsText(o, v["stats"]);
      }
    o += "\n";
  }
  return o;
}

std::string RenderLinksJson(const json& links, int show_stats) {
  ordered out = ordered::array();
  for (const json& l : links) {
    ordered o;
    for (const char* key : {"ifindex", "ifname", "flags", "mtu", "qdisc", "operstate", "linkmode",
                            "group", "txqlen", "link_type", "address", "broadcast"})
      o[key] = l[key];
    if (show_stats && l.contains("stats64"))
      o["stats64"] =
          Stats64Json(l["stats64"], l.contains("carrier_changes") ? &l["carrier_changes"] : nullptr,
                      show_stats);
    if (l.contains("vfinfo_list")) {
      ordered list = ordered::array();
      for (const json& v : l["vfinfo_list"]) list.push_back(VfJson(v, show_stats));
      o["vfinfo_list"] = list;
    }
    out.push_back(o);
  }
  return out.dump() + "\n";
}

namespace {

std::string U(const json& v) {
  return std::to_string(v.get<uint64_t>());
}

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
    o += dev + ": fdb " + U(pf["used"]) + "/" + U(pf["capacity"]) + " entries used (" +
         U(pf["static"]) + " static, " + U(pf["learned"]) + " learned), aging " +
         U(pf["aging_time"]) + "s; learned " + U(st["learned"]) + " moved " + U(st["moved"]) +
         " learn_full " + U(st["learn_full"]) + " static_hold " + U(st["static_hold"]) + " aged " +
         U(st["aged"]) + "\n";
  }
  return o;
}

std::string RenderFdbJson(const json& pfs) {
  ordered out = ordered::array();
  for (const json& pf : pfs) {
    ordered p;
    for (const char* key : {"dev", "capacity", "used", "static", "learned", "aging_time"})
      p[key] = pf[key];
    ordered st;
    for (const char* key : {"learned", "moved", "learn_full", "static_hold", "aged"})
      st[key] = pf["stats"][key];
    p["stats"] = st;
    ordered entries = ordered::array();
    for (const json& e : pf["entries"]) {
      ordered j;
      j["mac"] = e["mac"];
      j["ifname"] = pf["dev"];
      if (e.contains("vf"))
        j["vf"] = e["vf"];
      else
        j["port"] = e["port"];
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
