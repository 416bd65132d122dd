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

}  // namespace softvf
