#include "daemon/lspci_view.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "pci/regs.h"

namespace softvf {

namespace {

void AppendFunction(std::string& out, const FunctionRef& f) {
  std::array<uint8_t, ConfigSpace::kSize> bytes;
  std::copy(f.config->bytes().begin(), f.config->bytes().end(), bytes.begin());
  if (f.kind == FunctionRef::Kind::kVf) {
    const DeviceProfile& p = f.port->pf->profile();
    bytes[0] = static_cast<uint8_t>(p.vendor_id);
    bytes[1] = static_cast<uint8_t>(p.vendor_id >> 8);
    bytes[2] = static_cast<uint8_t>(p.vf_device_id);
    bytes[3] = static_cast<uint8_t>(p.vf_device_id >> 8);
  }
  // Trailing all-zero lines carry nothing; the standard header is always complete.
  size_t end = 0x100;
  for (size_t line = ConfigSpace::kSize / 16; line-- > 0x10;) {
    bool zero = true;
    for (size_t i = 0; i < 16; ++i) zero &= bytes[line * 16 + i] == 0;
    if (!zero) {
      end = (line + 1) * 16;
      break;
    }
  }
  // pciutils' dump reader wants text after the address, as `lspci -x` writes a name there.
  out += f.bdf.ToString();
  out += f.kind == FunctionRef::Kind::kBridge ? " bridge\n"
         : f.kind == FunctionRef::Kind::kPf
             ? " pf " + f.port->netdev + "\n"
             : " vf " + std::to_string(f.vf->index()) + " of " + f.port->netdev + "\n";
  char buf[64];
  for (size_t at = 0; at < end; at += 16) {
    int n = std::snprintf(buf, sizeof buf, at < 0x100 ? "%02zx:" : "%03zx:", at);
    out.append(buf, static_cast<size_t>(n));
    for (size_t i = 0; i < 16; ++i) {
      std::snprintf(buf, sizeof buf, " %02x", bytes[at + i]);
      out.append(buf, 3);
    }
    out += '\n';
  }
  out += '\n';
}

const char* UseName(GroupMember::Use u) {
  switch (u) {
    case GroupMember::Use::kUnbound:
      return "unbound";
    case GroupMember::Use::kHostDriver:
      return "host";
    case GroupMember::Use::kConsumer:
      return "consumer";
  }
  return "unbound";
}

}  // namespace

std::string LspciDump(const Card& card) {
  std::string out;
  for (const FunctionRef& f : card.Functions()) AppendFunction(out, f);
  return out;
}

nlohmann::json LspciFunctions(const Card& card) {
  Card::Groups g = card.ComputeGroups();
  std::map<Bdf, int> group_of;
  for (const IommuGroup& grp : g.groups)
    for (size_t i : grp.members) group_of[g.members[i].bdf] = grp.id;
  std::map<Bdf, const GroupMember*> member_of;
  for (const GroupMember& m : g.members) member_of[m.bdf] = &m;

  nlohmann::json list = nlohmann::json::array();
  for (const FunctionRef& f : card.Functions()) {
    nlohmann::json j;
    j["slot"] = f.bdf.ToString();
    const GroupMember& m = *member_of[f.bdf];
    j["iommu_group"] = group_of[f.bdf];
    j["use"] = UseName(m.use);
    switch (f.kind) {
      case FunctionRef::Kind::kBridge:
        j["kind"] = "bridge";
        j["driver"] = "pcieport";
        break;
      case FunctionRef::Kind::kPf: {
        const DeviceProfile& p = f.port->pf->profile();
        j["kind"] = "pf";
        j["netdev"] = f.port->netdev;
        j["driver"] = f.port->pf->host().driver;
        j["module"] = p.driver.name;
        j["vendor"] = p.vendor_name;
        j["device"] = p.device_name;
        nlohmann::json virtfn = nlohmann::json::array();
        for (const VirtualFunction& vf : f.port->pf->vfs())
          if (vf.enabled()) virtfn.push_back(vf.bdf().ToString());
        j["virtfn"] = virtfn;
        break;
      }
      case FunctionRef::Kind::kVf: {
        const DeviceProfile& p = f.port->pf->profile();
        j["kind"] = "vf";
        j["physfn"] = f.port->pf->bdf().ToString();
        j["vf"] = f.vf->index();
        j["driver"] = m.use == GroupMember::Use::kHostDriver ? p.driver.vf_driver
                      : m.use == GroupMember::Use::kConsumer ? "vfio-pci"
                                                             : "";
        if (m.use == GroupMember::Use::kConsumer) j["consumer"] = f.vf->consumer();
        if (m.use == GroupMember::Use::kHostDriver)
          j["netdev"] = Card::VfNetdevName(*f.port, f.vf->index());
        j["module"] = p.driver.vf_driver;
        j["vendor"] = p.vendor_name;
        j["device"] = p.vf_device_name;
        break;
      }
    }
    list.push_back(j);
  }
  return list;
}

}  // namespace softvf
