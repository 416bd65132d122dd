// Renders links (the daemon's rtnetlink view) exactly as iproute2 6.1 prints them:
// `ip link show` text (ip/ipaddress.c print_linkinfo + print_vfinfo) and `ip -j` JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace softvf::cli {

// `show_stats` counts the -s options, as iproute2's show_stats: 1 adds each link's
// statistics block (print_stats64, from "stats64" and "carrier_changes") and each VF's
// (print_vf_stats64, from the VF's "stats"); 2 adds the link's error rows. Links or VFs
// without those keys print no block, as when the kernel sends no attribute.
std::string RenderLinksText(const nlohmann::json& links, int show_stats = 0);
std::string RenderLinksJson(const nlohmann::json& links, int show_stats = 0);

// `softvf fdb show` (the daemon's fdb_show "pfs"), shaped like `bridge fdb show`: one line
// per entry, `MAC dev PF vf N [vlan V [proto 802.1ad]] static|learned age Ns` (`port
// uplink|pf` for the other switch ports), then per PF a line with the table's bound:
// `PF: fdb U/CAP entries used (S static, L learned), aging 300s; learned ... aged N`.
std::string RenderFdbText(const nlohmann::json& pfs);
// JSON: per PF {dev, capacity, used, static, learned, aging_time, stats, entries}, each
// entry with bridge's keys (mac, ifname, vlan, state) plus vf or port, and age.
std::string RenderFdbJson(const nlohmann::json& pfs);

}  // namespace softvf::cli
