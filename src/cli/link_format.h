// Renders links (the daemon's rtnetlink view) exactly as iproute2 6.1 prints them:
// `ip link show` text (ip/ipaddress.c print_linkinfo + print_vfinfo) and `ip -j` JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace softvf::cli {

std::string RenderLinksText(const nlohmann::json& links);
std::string RenderLinksJson(const nlohmann::json& links);

// `softvf fdb show` (the daemon's fdb_show "pfs"), shaped like `bridge fdb show`: one line
// per entry, `MAC dev PF vf N [vlan V [proto 802.1ad]] static|learned age Ns` (`port
// uplink|pf` for the other switch ports), then per PF a line with the table's bound:
// `PF: fdb U/CAP entries used (S static, L learned), aging 300s; learned ... aged N`.
std::string RenderFdbText(const nlohmann::json& pfs);
// JSON: per PF {dev, capacity, used, static, learned, aging_time, stats, entries}, each
// entry with bridge's keys (mac, ifname, vlan, state) plus vf or port, and age.
std::string RenderFdbJson(const nlohmann::json& pfs);

}  // namespace softvf::cli
