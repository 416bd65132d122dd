#include "card/card.h"

#include <algorithm>
#include <cerrno>

#include "pci/capabilities.h"

namespace softvf {

std::string PredictableNetdevName(Bdf bdf, bool multifunction) {
  std::string name = "enp" + std::to_string(bdf.bus()) + "s" + std::to_string(bdf.device());
  if (multifunction || bdf.function() > 0) name += "f" + std::to_string(bdf.function());
  if (bdf.domain() != 0) name = "enP" + std::to_string(bdf.domain()) + name.substr(2);
  return name;
}

namespace {
// A locally administered MAC derived from the PF's address, so a card without configured
// MACs still has distinct, stable ones.
MacAddress DerivedMac(Bdf bdf) {
  return MacAddress(
      {0x02, 0x5f, static_cast<uint8_t>(bdf.domain()), bdf.bus(), bdf.device(), bdf.function()});
}
}  // namespace

Status Card::AddAdapter(std::shared_ptr<const DeviceProfile> profile, std::string profile_source,
                        Bdf slot, int ports, uint64_t mmio_base,
                        const std::vector<PortSpec>& specs) {
  if (ports < 1 || ports > 8)
    return Status::Errno(EINVAL, "ports must be between 1 and 8, not " + std::to_string(ports));
  for (const Port* other : AllPorts()) {
    const Bdf& o = other->pf->bdf();
    if (o.domain() == slot.domain() && o.bus() == slot.bus() && o.device() == slot.device())
      return Status::Errno(EEXIST, "slot " + slot.ToShortString() + " is already taken");
  }
  Adapter adapter;
  adapter.profile = profile;
  adapter.profile_source = std::move(profile_source);
  adapter.slot = slot;
  adapter.mmio_base = mmio_base;
  MmioAllocator mmio(mmio_base);
  for (int i = 0; i < ports; ++i) {
    Bdf bdf(slot.domain(), slot.bus(), slot.device(), static_cast<uint8_t>(i));
    Port port;
    port.pf = std::make_unique<PhysicalFunction>(*profile, bdf, i, ports, mmio, io_);
    const PortSpec spec = i < static_cast<int>(specs.size()) ? specs[i] : PortSpec{};
    port.netdev = spec.name.empty() ? PredictableNetdevName(bdf, ports > 1) : spec.name;
    if (FindPort(port.netdev))
      return Status::Errno(EEXIST, "netdev name " + port.netdev + " is already taken");
    port.mac = spec.mac.value_or(DerivedMac(bdf));
    port.mtu = spec.mtu;
    IovEnvironment env;
    env.host_page_shift = host_page_shift_;
    env.ari_enabled = topology_.AriEnabledOn(bdf.bus()) && profile->caps.ari != 0;
    env.lowest_pf = (i == 0);
    env.bus_end = topology_.BusEnd(bdf.bus());
    Status st = port.pf->SriovInit(env);
    if (!st.ok()) return Status::Errno(st.errnum(), bdf.ToString() + ": SR-IOV: " + st.message());
    adapter.ports.push_back(std::move(port));
  }
  for (Port& p : adapter.ports) p.ifindex = next_ifindex_++;
  adapters_.push_back(std::move(adapter));
  return Status::Ok();
}

Port* Card::FindPort(std::string_view key) {
  return const_cast<Port*>(static_cast<const Card*>(this)->FindPort(key));
}

const Port* Card::FindPort(std::string_view key) const {
  std::optional<Bdf> bdf = Bdf::Parse(key);
  for (const Adapter& a : adapters_)
    for (const Port& p : a.ports)
      if (p.netdev == key || (bdf && p.pf->bdf() == *bdf)) return &p;
  return nullptr;
}

std::vector<const Port*> Card::AllPorts() const {
  std::vector<const Port*> out;
  for (const Adapter& a : adapters_)
    for (const Port& p : a.ports) out.push_back(&p);
  return out;
}

std::string Card::VfNetdevName(const Port& port, uint16_t vf_index) {
  return port.netdev + "v" + std::to_string(vf_index);
}

std::vector<FunctionRef> Card::Functions() const {
  std::vector<FunctionRef> out;
  for (const PciBridge& b : topology_.bridges())
    out.push_back({FunctionRef::Kind::kBridge, b.bdf(), &b.config(), &b, nullptr, nullptr});
  for (const Port* p : AllPorts()) {
    out.push_back({FunctionRef::Kind::kPf, p->pf->bdf(), &p->pf->config(), nullptr, p, nullptr});
    for (const VirtualFunction& vf : p->pf->vfs())
      if (vf.enabled())
        out.push_back({FunctionRef::Kind::kVf, vf.bdf(), &vf.config(), nullptr, p, &vf});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const FunctionRef& a, const FunctionRef& b) { return a.bdf < b.bdf; });
  return out;
}

Card::Groups Card::ComputeGroups() const {
  Groups g;
  // Discovery order: bridges and PFs as the bus scan finds them, VFs when enabled later.
  std::vector<FunctionRef> base, vfs;
  for (const FunctionRef& f : Functions())
    (f.kind == FunctionRef::Kind::kVf ? vfs : base).push_back(f);
  std::stable_sort(vfs.begin(), vfs.end(), [](const FunctionRef& a, const FunctionRef& b) {
    return a.port->pf->bdf() < b.port->pf->bdf() ||
           (a.port == b.port && a.vf->index() < b.vf->index());
  });
  g.functions = base;
  g.functions.insert(g.functions.end(), vfs.begin(), vfs.end());
  for (const FunctionRef& f : g.functions) {
    GroupMember m;
    m.bdf = f.bdf;
    switch (f.kind) {
      case FunctionRef::Kind::kBridge:
        m.is_bridge = true;
        m.bridge_index = static_cast<int>(f.bridge - topology_.bridges().data());
        m.multifunction = f.bridge->spec().multifunction;
        m.use = GroupMember::Use::kHostDriver;
        m.driver = "pcieport";
        break;
      case FunctionRef::Kind::kPf: {
        const DeviceProfile& prof = f.port->pf->profile();
        m.upstream_bridge = topology_.UpstreamBridgeOf(f.bdf.bus());
        m.multifunction = f.config->Read8(0x0e) & 0x80;
        m.acs_enabled = AcsFlagsEnabled(*f.config) || prof.mf_endpoint_acs_quirk;
        const std::string& drv = f.port->pf->host().driver;
        m.use = drv.empty() ? GroupMember::Use::kUnbound : GroupMember::Use::kHostDriver;
        m.driver = drv;
        break;
      }
      case FunctionRef::Kind::kVf:
        // A VF hangs below its PF's upstream bridge even when it spills onto a later bus.
        m.upstream_bridge = topology_.UpstreamBridgeOf(f.port->pf->bdf().bus());
        m.multifunction = false;
        m.acs_enabled = false;
        switch (f.vf->binding()) {
          case Binding::kUnbound:
            m.use = GroupMember::Use::kUnbound;
            break;
          case Binding::kHostDriver:
            m.use = GroupMember::Use::kHostDriver;
            m.driver = f.port->pf->profile().driver.vf_driver;
            break;
          case Binding::kConsumer:
            m.use = GroupMember::Use::kConsumer;
            m.driver = f.vf->consumer();
            break;
        }
        break;
    }
    g.members.push_back(m);
  }
  g.groups = ComputeIommuGroups(topology_, g.members);
  return g;
}

Status Card::AssignVf(Port& port, uint16_t vf_index, const std::string& consumer) {
  auto& vfs = port.pf->vfs();
  if (vf_index >= port.pf->enabled_vf_count()) return Status::Errno(ENODEV, "no such VF");
  VirtualFunction& vf = vfs[vf_index];
  if (vf.binding() == Binding::kConsumer && vf.consumer() != consumer)
    return Status::Errno(EBUSY, vf.bdf().ToString() + " is in use by " + vf.consumer());
  Groups g = ComputeGroups();
  for (size_t i = 0; i < g.functions.size(); ++i) {
    if (g.functions[i].vf != &vf) continue;
    Status st = CheckViable(g.groups, g.members, i, consumer);
    if (!st.ok())
      return Status::Errno(st.errnum(), "vfio " + vf.bdf().ToString() + ": " + st.message());
    vf.Bind(Binding::kConsumer, consumer);
    return Status::Ok();
  }
  return Status::Errno(ENODEV, "no such VF");
}

Status Card::ReleaseVf(Port& port, uint16_t vf_index) {
  if (vf_index >= port.pf->enabled_vf_count()) return Status::Errno(ENODEV, "no such VF");
  VirtualFunction& vf = port.pf->vfs()[vf_index];
  // Managed release rebinds the host driver when autoprobe would have bound it.
  bool probe = port.pf->host().drivers_autoprobe && !port.pf->profile().driver.vf_driver.empty();
  vf.Bind(probe ? Binding::kHostDriver : Binding::kUnbound);
  return Status::Ok();
}

}  // namespace softvf
