// What the kernel's rtnetlink would answer for the card's netdevs (net/core/rtnetlink.c
// rtnl_fill_ifinfo / rtnl_fill_vf / rtnl_fill_vfinfo), as JSON for the CLI, which renders
// it exactly as iproute2 does. Fields the driver does not report are null (the kernel's -1).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "card/card.h"
#include "daemon/netdevs.h"

namespace softvf {

// The PF netdev with its VF list.
nlohmann::json PfLinkInfo(const Port& port);
// A host-bound VF's own netdev.
nlohmann::json VfLinkInfo(const Port& port, uint16_t vf, int ifindex);
// Every netdev, in ifindex order.
nlohmann::json AllLinks(const Card& card, const VfNetdevs& netdevs);

// Statistics (`ip -s link`), from the counters of a switch port (name -> value, as the
// `stats` op reports them: rx_*/tx_* in the switch port's direction, drop_<reason>).
// A VF or PF sees its port mirrored: its RX is what the switch sent to the port (tx_*),
// its TX what the port handed to the switch (rx_*). Drops split by where they happen:
// frames toward the port that it did not take (drop_link_down, drop_vlan_mismatch,
// drop_filtered, drop_no_buffer) are RX dropped; every other drop on the port (its own
// frames refused at ingress: spoofed, rate limited, ...) is TX dropped. A link-down port's
// own frames are also drop_link_down, which the switch does not tell apart: RX dropped.
// Missing counters read 0.
//
// IFLA_VF_STATS: rx_packets, tx_packets, rx_bytes, tx_bytes, broadcast, multicast,
// rx_dropped, tx_dropped.
nlohmann::json VfStatsFromCounters(const nlohmann::json& counters);
// IFLA_STATS64 (struct rtnl_link_stats64's field names) with the same mapping; the error
// counters a wire would have are 0.
nlohmann::json LinkStats64FromCounters(const nlohmann::json& counters);

}  // namespace softvf
