#include "daemon/commands.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "config/card_config.h"
#include "daemon/lspci_view.h"
#include "daemon/rtnl.h"
#include "sriov/sysfs.h"

namespace softvf {

using control::ErrorResponse;
using control::Json;
using control::OkResponse;

namespace {

Port* FindPortOrNull(DaemonState& s, const Json& req) {
  return s.card->FindPort(req.at("dev").get<std::string>());
}

Json NoSuchDevice(const Json& req) {
  return ErrorResponse(ENODEV, "no PF named \"" + req.at("dev").get<std::string>() +
                                   "\" (give a netdev name or a PCI address)");
}

Json SriovRead(DaemonState& s, const Json& req) {
  Port* port = FindPortOrNull(s, req);
  if (!port) return NoSuchDevice(req);
  Json out = OkResponse();
  out["dev"] = port->netdev;
  out["pf"] = port->pf->bdf().ToString();
  Json attrs = Json::array();
  if (req.contains("attr")) {
    std::string name = req["attr"].get<std::string>();
    if (name.rfind("sriov_", 0) != 0) name = "sriov_" + name;
    Result<std::string> v = SysfsRead(*port->pf, name);
    if (!v.ok()) return ErrorResponse(v.status().errnum(), name + ": " + v.status().errno_text());
    attrs.push_back(Json::array({name, *v}));
  } else {
    for (const std::string& name : SriovAttributeNames()) {
      Result<std::string> v = SysfsRead(*port->pf, name);
      if (!v.ok()) return ErrorResponse(v.status().errnum(), name + ": " + v.status().errno_text());
      attrs.push_back(Json::array({name, *v}));
    }
  }
  out["attrs"] = attrs;
  return out;
}

Json SriovWrite(DaemonState& s, const Json& req) {
  Port* port = FindPortOrNull(s, req);
  if (!port) return NoSuchDevice(req);
  std::string name = req.at("attr").get<std::string>();
  if (name.rfind("sriov_", 0) != 0) name = "sriov_" + name;
  Status st = SysfsWrite(*port->pf, name, req.at("value").get<std::string>());
  s.netdevs.Sync(*s.card);
  if (st.ok() && s.dataplane) s.dataplane->PolicyChanged(*port);
  if (!st.ok()) {
    Json err = ErrorResponse(st);
    err["attr"] = name;
    return err;
  }
  return OkResponse();
}

Json LinkShow(DaemonState& s, const Json& req) {
  Json links = AllLinks(*s.card, s.netdevs);
  if (req.contains("dev")) {
    std::string dev = req["dev"].get<std::string>();
    Json one = Json::array();
    for (const Json& l : links)
      if (l["ifname"] == dev) one.push_back(l);
    if (one.empty()) return ErrorResponse(ENODEV, "Device \"" + dev + "\" does not exist.");
    links = one;
  }
  // `ip -s link`: IFLA_STATS64 on every link, IFLA_VF_STATS on every VF, from the switch.
  if (req.value("stats", false))
    for (Json& l : links) {
      Port* port = l.contains("pf") ? s.card->FindPort(l["ifname"].get<std::string>()) : nullptr;
      if (!port) {  // a host-bound VF's netdev: not on the switch's data path
        l["stats64"] = LinkStats64FromCounters(Json::object());
        l["carrier_changes"] = 0;
        continue;
      }
      l["stats64"] = LinkStats64FromCounters(s.dataplane->PfHostCounters(*port));
      l["carrier_changes"] = 0;
      if (!l.contains("vfinfo_list")) continue;
      Json per_vf = s.dataplane->Stats(*port);
      for (Json& v : l["vfinfo_list"])
        for (const Json& c : per_vf)
          if (c["vf"] == v["vf"]) v["stats"] = VfStatsFromCounters(c["counters"]);
    }
  Json out = OkResponse();
  out["links"] = links;
  return out;
}

// IFLA_VF_* attributes of one IFLA_VF_INFO, as the CLI parsed them from `vf N ...`.
VfChange ChangeFromRequest(const Json& req) {
  VfChange c;
  c.vf = req.at("vf").get<int64_t>();
  if (req.contains("mac")) {
    auto mac = MacAddress::Parse(req["mac"].get<std::string>());
    c.mac = mac.value_or(MacAddress::Broadcast());  // unparsable: refused like multicast
  }
  if (req.contains("vlans") && !req["vlans"].empty()) {
    const Json& v = req["vlans"][0];
    c.vlan = VfChange::Vlan{v.at("vlan").get<uint32_t>(), v.at("qos").get<uint32_t>(),
                            v.at("proto").get<uint16_t>()};
  }
  if (req.contains("rate")) c.legacy_rate = req["rate"].get<uint32_t>();
  if (req.contains("max_tx_rate"))
    c.rate =
        VfChange::Rate{req.at("min_tx_rate").get<uint32_t>(), req["max_tx_rate"].get<uint32_t>()};
  if (req.contains("spoofchk")) c.spoofchk = req["spoofchk"].get<bool>();
  if (req.contains("state")) c.link_state = req["state"].get<uint32_t>();
  if (req.contains("query_rss")) c.rss_query_en = req["query_rss"].get<bool>();
  if (req.contains("trust")) c.trust = req["trust"].get<bool>();
  c.node_guid = req.contains("node_guid");
  c.port_guid = req.contains("port_guid");
  return c;
}

Json LinkSet(DaemonState& s, const Json& req) {
  Port* port = FindPortOrNull(s, req);
  if (!port)
    return ErrorResponse(ENODEV, "Cannot find device \"" + req["dev"].get<std::string>() + "\"");
  VfChange change = ChangeFromRequest(req);
  PhysicalFunction& pf = *port->pf;
  uint32_t num = pf.host().num_vfs;
  // The settings of VF i live in vfs()[i]; an out-of-range VF is refused by the rules
  // below before any settings are touched, so a scratch copy stands in for it.
  VfConfig scratch = DefaultVfConfig(pf.profile().driver);
  VfConfig& target = (change.vf >= 0 && change.vf < num) ? pf.vfs()[change.vf].settings() : scratch;
  // rtnetlink takes at most one IFLA_VF_VLAN_INFO (MAX_VLAN_LIST_LEN), after IFLA_VF_MAC.
  if (req.contains("vlans") && req["vlans"].size() > 1) {
    VfChange mac_only;
    mac_only.vf = change.vf;
    mac_only.mac = change.mac;
    VfConfig probe = target;
    Status st = ApplyVfChange(pf.profile().driver, num, mac_only, probe);
    return ErrorResponse(st.ok() ? Status::Errno(EOPNOTSUPP) : st);
  }
  Status st = ApplyVfChange(pf.profile().driver, num, change, target);
  s.netdevs.Sync(*s.card);
  if (st.ok() && s.dataplane) s.dataplane->PolicyChanged(*port);
  return st.ok() ? OkResponse() : ErrorResponse(st);
}

Json Attach(DaemonState& s, const Json& req) {
  Port* port = FindPortOrNull(s, req);
  if (!port) return NoSuchDevice(req);
  VfAttachment how;
  if (req.value("kind", "vhost-user") == "tap")
    how = VfAttachment::Tap(req.value("ifname", ""));
  else if (!req.contains("path"))
    return ErrorResponse(EINVAL, "malformed request: \"path\" is required");
  else
    how = VfAttachment{req.at("path").get<std::string>(), req.value("mode", "server") != "client"};
  Status st = s.dataplane->Attach(*port, req.at("vf").get<uint16_t>(), how);
  s.netdevs.Sync(*s.card);
  return st.ok() ? OkResponse() : ErrorResponse(st);
}

Json Detach(DaemonState& s, const Json& req) {
  Port* port = FindPortOrNull(s, req);
  if (!port) return NoSuchDevice(req);
  Status st = s.dataplane->Detach(*port, req.at("vf").get<uint16_t>());
  s.netdevs.Sync(*s.card);
  return st.ok() ? OkResponse() : ErrorResponse(st);
}

Json Stats(DaemonState& s, const Json& req) {
  Json out = OkResponse();
  Json pfs = Json::array();
  for (const Port* p : s.card->AllPorts()) {
    if (req.contains("dev") &&
        !(p->netdev == req["dev"] || p->pf->bdf() == Bdf::Parse(req["dev"].get<std::string>())))
      continue;
    Json pf{{"dev", p->netdev}, {"pf", p->pf->bdf().ToString()}, {"vfs", s.dataplane->Stats(*p)}};
    if (Json up = s.dataplane->HostPortStats(*p, eswitch::PortId::Uplink()); !up.is_null())
      pf["uplink"] = up;
    if (Json host = s.dataplane->HostPortStats(*p, eswitch::PortId::PfHost()); !host.is_null())
      pf["host"] = host;
    pfs.push_back(pf);
  }
  if (pfs.empty() && req.contains("dev")) return NoSuchDevice(req);
  out["pfs"] = pfs;
  return out;
}

// The (VLAN, MAC) key and target of an fdb_add/fdb_del request: {"mac", ["vlan"],
// ["vlan_protocol": "802.1Q"|"802.1ad"], "vf": N | "port": "uplink"|"pf"}.
Result<StaticFdbEntry> FdbEntryFromRequest(const Json& req, bool need_target) {
  StaticFdbEntry e;
  auto mac = MacAddress::Parse(req.at("mac").get<std::string>());
  if (!mac) return Status::Errno(EINVAL, "Invalid mac address " + req["mac"].get<std::string>());
  e.mac = *mac;
  if (req.contains("vlan")) {
    int64_t vid = req["vlan"].get<int64_t>();
    if (vid < 1 || vid >= 4095) return Status::Errno(EINVAL, "invalid vlan id");
    e.vlan = static_cast<uint16_t>(vid);
  }
  std::string proto = req.value("vlan_protocol", "802.1Q");
  if (proto == "802.1ad")
    e.vlan_proto = kEthP8021AD;
  else if (proto != "802.1Q")
    return Status::Errno(EPROTONOSUPPORT, "vlan protocol must be 802.1Q or 802.1ad");
  if (req.contains("vf")) {
    int64_t vf = req["vf"].get<int64_t>();
    if (vf < 0 || vf > 0xffff) return Status::Errno(ENODEV, "no VF " + std::to_string(vf));
    e.target = StaticFdbEntry::Target::kVf;
    e.vf = static_cast<uint16_t>(vf);
  } else if (req.contains("port")) {
    std::string port = req["port"].get<std::string>();
    if (port == "uplink")
      e.target = StaticFdbEntry::Target::kUplink;
    else if (port == "pf")
      e.target = StaticFdbEntry::Target::kPf;
    else
      return Status::Errno(EINVAL, "port must be uplink or pf");
  } else if (need_target) {
    return Status::Errno(EINVAL, "an entry needs a target: vf N, port uplink or port pf");
  }
  return e;
}

// bridge(8) tells its own checks ("Cannot find device", the kernel's extack) from the
// kernel's errno ("RTNETLINK answers: ..."); the response says which with "no_dev" and
// "extack".
Json FdbNoDevice(const Json& req) {
  Json err = NoSuchDevice(req);
  err["no_dev"] = true;
  return err;
}

Json Extack(const Status& st) {
  Json err = ErrorResponse(st);
  err["extack"] = st.message();
  return err;
}

Json FdbAdd(DaemonState& s, const Json& req) {
  Port* port = FindPortOrNull(s, req);
  if (!port) return FdbNoDevice(req);
  Result<StaticFdbEntry> e = FdbEntryFromRequest(req, true);
  if (!e.ok()) return Extack(e.status());
  const uint16_t n = port->pf->host().num_vfs;
  if (e->target == StaticFdbEntry::Target::kVf && e->vf >= n)
    return Extack(Status::Errno(ENODEV, port->netdev + " has no VF " + std::to_string(e->vf) +
                                            " (numvfs is " + std::to_string(n) + ")"));
  Status st = s.dataplane->FdbAdd(*port, *e, req.value("replace", false));
  return st.ok() ? OkResponse() : ErrorResponse(st);
}

Json FdbDel(DaemonState& s, const Json& req) {
  Port* port = FindPortOrNull(s, req);
  if (!port) return FdbNoDevice(req);
  Result<StaticFdbEntry> e = FdbEntryFromRequest(req, false);
  if (!e.ok()) return Extack(e.status());
  Status st = s.dataplane->FdbDel(*port, *e, req.contains("vf") || req.contains("port"));
  return st.ok() ? OkResponse() : ErrorResponse(st);
}

Json FdbShow(DaemonState& s, const Json& req) {
  Json pfs = Json::array();
  if (req.contains("dev")) {
    Port* port = FindPortOrNull(s, req);
    if (!port) return FdbNoDevice(req);
    pfs.push_back(s.dataplane->FdbShow(*port));
  } else {
    for (Adapter& a : s.card->adapters())
      for (Port& p : a.ports) pfs.push_back(s.dataplane->FdbShow(p));
  }
  Json out = OkResponse();
  out["pfs"] = pfs;
  return out;
}

Json IommuGroups(DaemonState& s, const Json&) {
  Card::Groups g = s.card->ComputeGroups();
  Json fns = LspciFunctions(*s.card);
  Json groups = Json::array();
  for (const IommuGroup& grp : g.groups) {
    Json members = Json::array();
    for (size_t i : grp.members) {
      std::string slot = g.members[i].bdf.ToString();
      for (const Json& f : fns)
        if (f["slot"] == slot) members.push_back(f);
    }
    groups.push_back(Json{{"group", grp.id}, {"devices", members}});
  }
  Json out = OkResponse();
  out["groups"] = groups;
  return out;
}

Json Lspci(DaemonState& s, const Json&) {
  Json out = OkResponse();
  out["dump"] = LspciDump(*s.card);
  out["functions"] = LspciFunctions(*s.card);
  return out;
}

Status WriteAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) return Status::Errno(EIO, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::Errno(err, "cannot replace " + path);
  }
  return Status::Ok();
}

Json Save(DaemonState& s, const Json& req) {
  std::string path = req.contains("path") ? req["path"].get<std::string>() : s.config_path;
  if (path.empty())
    return ErrorResponse(EINVAL,
                         "the daemon runs the built-in example card; name a file to save to");
  if (Status st = WriteAtomically(path, config::SaveCardText(*s.card)); !st.ok())
    return ErrorResponse(st);
  Json out = OkResponse();
  out["path"] = path;
  return out;
}

}  // namespace

Status SaveState(const DaemonState& s) {
  if (s.state_path.empty()) return Status::Ok();
  return WriteAtomically(s.state_path, config::SaveCardText(*s.card));
}

void RegisterCommands(control::ControlServer& server, DaemonState& s) {
  auto bind = [&s](Json (*fn)(DaemonState&, const Json&)) {
    return [&s, fn](const Json& req) { return fn(s, req); };
  };
  // Commands that may change the card: the state is saved after each, whatever its
  // outcome (a refused request changed nothing, and saving again is harmless).
  auto changes = [&s](Json (*fn)(DaemonState&, const Json&)) {
    return [&s, fn](const Json& req) {
      Json out = fn(s, req);
      if (Status st = SaveState(s); !st.ok())
        std::fprintf(stderr, "softvf: state not saved: %s\n", st.message().c_str());
      return out;
    };
  };
  server.Register({"ping", {}, [](const Json&) { return OkResponse(); }});
  server.Register({"lspci", {}, bind(Lspci)});
  server.Register({"sriov_read", {"dev"}, bind(SriovRead)});
  server.Register({"sriov_write", {"dev", "attr", "value"}, changes(SriovWrite)});
  server.Register({"link_show", {}, bind(LinkShow)});
  server.Register({"link_set", {"dev", "vf"}, changes(LinkSet)});
  server.Register({"iommu_groups", {}, bind(IommuGroups)});
  server.Register({"save", {}, bind(Save)});
  server.Register({"attach", {"dev", "vf"}, changes(Attach)});  // + "path" unless kind is tap
  server.Register({"detach", {"dev", "vf"}, changes(Detach)});
  server.Register({"stats", {}, bind(Stats)});
  server.Register({"fdb_add", {"dev", "mac"}, changes(FdbAdd)});
  server.Register({"fdb_del", {"dev", "mac"}, changes(FdbDel)});
  server.Register({"fdb_show", {}, bind(FdbShow)});
}

}  // namespace softvf
