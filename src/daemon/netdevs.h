// Host netdevs of VFs bound to the host's VF driver (igbvf, ixgbevf, mlx5_core...):
// each gets an ifindex when it appears and loses it when the VF goes away or is taken by
// a consumer, as the kernel's netdev registration does.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

#include "card/card.h"
#include "common/mac_address.h"

namespace softvf {

class VfNetdevs {
 public:
  // Brings the table in line with the card after any change of VFs or bindings.
  void Sync(const Card& card);
  // 0 when the VF has no host netdev.
  int IfIndex(const Port& port, uint16_t vf) const;
  // The MAC the VF driver uses: the administratively set one, or (like igbvf's
  // eth_hw_addr_random) a locally administered one of its own.
  static MacAddress NetdevMac(const Port& port, uint16_t vf, int ifindex);

 private:
  std::map<std::pair<const Port*, uint16_t>, int> ifindex_;
  int next_ifindex_ = 0;
};

}  // namespace softvf
