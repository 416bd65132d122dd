#include "daemon/netdevs.h"

#include <algorithm>

namespace softvf {

void VfNetdevs::Sync(const Card& card) {
  for (const Port* p : card.AllPorts()) next_ifindex_ = std::max(next_ifindex_, p->ifindex + 1);
  std::map<std::pair<const Port*, uint16_t>, int> next;
  for (const Port* p : card.AllPorts()) {
    const PhysicalFunction& pf = *p->pf;
    for (uint16_t i = 0; i < pf.host().num_vfs; ++i) {
      if (pf.vfs()[i].binding() != Binding::kHostDriver) continue;
      auto key = std::make_pair(p, i);
      auto it = ifindex_.find(key);
      next[key] = it != ifindex_.end() ? it->second : next_ifindex_++;
    }
  }
  ifindex_ = std::move(next);
}

int VfNetdevs::IfIndex(const Port& port, uint16_t vf) const {
  auto it = ifindex_.find(std::make_pair(&port, vf));
  return it == ifindex_.end() ? 0 : it->second;
}

MacAddress VfNetdevs::NetdevMac(const Port& port, uint16_t vf, int ifindex) {
  const MacAddress& admin = port.pf->vfs()[vf].settings().mac;
  if (!admin.is_zero()) return admin;
  uint32_t h = 2166136261u;  // FNV-1a over PF MAC, VF index and ifindex
  auto mix = [&](uint8_t b) { h = (h ^ b) * 16777619u; };
  for (uint8_t b : port.mac.bytes()) mix(b);
  mix(static_cast<uint8_t>(vf));
  mix(static_cast<uint8_t>(vf >> 8));
  mix(static_cast<uint8_t>(ifindex));
  std::array<uint8_t, 6> m{};
  for (uint8_t& b : m) {
    h = h * 16777619u + 0x9e3779b9u;
    b = static_cast<uint8_t>(h >> 24);
  }
  m[0] = static_cast<uint8_t>((m[0] & 0xfe) | 0x02);
  return MacAddress(m);
}

}  // namespace softvf
