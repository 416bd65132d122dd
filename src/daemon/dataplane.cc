#include "daemon/dataplane.h"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <tuple>

#include "daemon/netdevs.h"
#include "eswitch/counters.h"
#include "eswitch/policy.h"
#include "netdev/packet_port.h"
#include "netdev/tap_port.h"
#include "netdev/udp_tunnel_port.h"

namespace softvf {

namespace {

eswitch::VlanId FdbVlan(const StaticFdbEntry& e) {
  return e.vlan_proto == kEthP8021AD ? eswitch::VlanId::Service(e.vlan)
                                     : eswitch::VlanId::Customer(e.vlan);
}

eswitch::VlanId PfVlan(const Port& port) {
  return port.host_vlan ? eswitch::VlanId::Customer(port.host_vlan) : eswitch::VlanId::Untagged();
}

eswitch::PortId FdbPort(const StaticFdbEntry& e) {
  switch (e.target) {
    case StaticFdbEntry::Target::kUplink:
      return eswitch::PortId::Uplink();
    case StaticFdbEntry::Target::kPf:
      return eswitch::PortId::PfHost();
    case StaticFdbEntry::Target::kVf:
      break;
  }
  return eswitch::PortId::Vf(e.vf);
}

}  // namespace

Dataplane::~Dataplane() {
  for (auto& [port, worker] : workers_) worker->Stop();
}

std::vector<VfConfig> Dataplane::VfConfigs(const Port& port) {
  std::vector<VfConfig> vfs;
  for (const VirtualFunction& vf : port.pf->vfs()) vfs.push_back(vf.settings());
  return vfs;
}

Worker* Dataplane::WorkerFor(const Port& port, bool create) {
  auto it = workers_.find(&port);
  if (it != workers_.end()) return it->second.get();
  if (!create) return nullptr;
  // Until SetVfPolicies below, nothing runs: the table's uplink state does not matter.
  auto policies = eswitch::PolicyTable::ForPf(true, true, VfConfigs(port), port.pf->host().num_vfs);
  if (!policies.ok()) return nullptr;
  eswitch::Veb::Options options;
  options.fdb_capacity = port.pf->profile().mac_filters;
  // The PF's transmit capacity, shared under contention with min_tx_rate guarantees.
  options.link_speed_mbps = port.pf->profile().driver.link_speed_mbps;
  auto worker = std::make_unique<Worker>(*policies, options);
  // The port's static entries, before the thread runs (Call runs them here and now). They
  // were checked when added (CLI) or loaded (file, against the table size), so they fit.
  worker->Call([&](Worker& w) {
    uint64_t now = MonotonicNs();
    for (const StaticFdbEntry& e : port.static_fdb)
      (void)w.veb().AddStatic(FdbVlan(e), e.mac, FdbPort(e), now, true);
    w.SetVfPolicies(VfConfigs(port), port.pf->host().num_vfs, PfVlan(port));
  });
  worker->Start();
  return (workers_[&port] = std::move(worker)).get();
}

Status Dataplane::Attach(Port& port, uint16_t vf, const VfAttachment& how) {
  PhysicalFunction& pf = *port.pf;
  if (vf >= pf.host().num_vfs)
    return Status::Errno(ENODEV, port.netdev + " has no VF " + std::to_string(vf) + " (numvfs is " +
                                     std::to_string(pf.host().num_vfs) + ")");
  if (port.attachments.count(vf))
    return Status::Errno(EBUSY, "VF " + std::to_string(vf) + " is already attached to " +
                                    port.attachments[vf].Consumer());
  VfAttachment att = how;
  if (att.kind == VfAttachment::Kind::kTap && att.ifname.empty())
    att.ifname = Card::VfNetdevName(port, vf);
  SOFTVF_RETURN_IF_ERROR(card_.AssignVf(port, vf, att.Consumer()));
  Status st = att.kind == VfAttachment::Kind::kTap ? AttachTap(port, vf, att.ifname)
                                                   : AttachVhostUser(port, vf, att);
  if (!st.ok()) {
    card_.ReleaseVf(port, vf);
    return st;
  }
  port.attachments[vf] = att;
  PolicyChanged(port);
  return Status::Ok();
}

Status Dataplane::AttachVhostUser(Port& port, uint16_t vf, const VfAttachment& how) {
  const DeviceProfile& profile = port.pf->profile();
  vhost_user::BackendOptions options;
  options.queue_pairs = std::min<int>(profile.queues_per_vf, vhost_user::kMaxQueuePairs);
  options.mac = VfNetdevs::NetdevMac(port, vf, 0);
  options.mtu = static_cast<uint16_t>(port.mtu);
  auto vp = std::make_unique<VfPort>(
      how.path, how.server ? vhost_user::Mode::kServer : vhost_user::Mode::kClient, options);
  SOFTVF_RETURN_IF_ERROR(vp->Open());
  Worker* worker = WorkerFor(port, true);
  if (!worker) return Status::Errno(EINVAL, "no switch for " + port.netdev);
  Status st;
  worker->Call([&](Worker& w) { st = w.Attach(vf, std::move(vp)); });
  return st;
}

// The VF as the host's VF driver would show it: a netdev named like the VF's, with the
// VF's MAC, down until the host brings it up (as a freshly probed netdev is).
Status Dataplane::AttachTap(Port& port, uint16_t vf, const std::string& ifname) {
  netdev::TapConfig cfg;
  cfg.name = ifname;
  cfg.mac = VfNetdevs::NetdevMac(port, vf, 0);
  cfg.mtu = port.mtu;
  auto tap = netdev::TapPort::Open(cfg);
  if (!tap.ok()) return tap.status();
  return AttachHostPort(port, eswitch::PortId::Vf(vf), std::move(tap).value());
}

Status Dataplane::AttachHostPort(Port& port, eswitch::PortId id,
                                 std::unique_ptr<netdev::HostPort> host) {
  Worker* worker = WorkerFor(port, true);
  if (!worker) return Status::Errno(EINVAL, "no switch for " + port.netdev);
  Status st;
  worker->Call([&](Worker& w) { st = w.AttachHost(id, std::move(host)); });
  return st;
}

Result<std::unique_ptr<netdev::HostPort>> Dataplane::OpenUplink(const Port& port) {
  const UplinkConfig& u = port.uplink;
  switch (u.kind) {
    case UplinkConfig::Kind::kNone:
      break;
    case UplinkConfig::Kind::kTap: {
      netdev::TapConfig cfg;
      cfg.name = u.interface;
      cfg.mtu = port.mtu;
      cfg.up = true;  // the wire's far end is the host: it is plugged in
      auto tap = netdev::TapPort::Open(cfg);
      if (!tap.ok()) return tap.status();
      return std::unique_ptr<netdev::HostPort>(std::move(tap).value());
    }
    case UplinkConfig::Kind::kAfPacket: {
      netdev::PacketPortConfig cfg;
      cfg.interface = u.interface;
      auto p = netdev::PacketPort::Open(cfg);
      if (!p.ok()) return p.status();
      return std::unique_ptr<netdev::HostPort>(std::move(p).value());
    }
    case UplinkConfig::Kind::kUdp: {
      netdev::UdpTunnelConfig cfg;
      cfg.local = u.local;
      cfg.peer = u.remote;
      cfg.mtu = port.mtu;
      auto p = netdev::UdpTunnelPort::Open(cfg);
      if (!p.ok()) return p.status();
      return std::unique_ptr<netdev::HostPort>(std::move(p).value());
    }
  }
  return Status::Errno(EINVAL, "no uplink");
}

Status Dataplane::StartHostPorts(Port& port) {
  if (port.uplink.kind != UplinkConfig::Kind::kNone) {
    auto up = OpenUplink(port);
    if (!up.ok()) return Status::Errno(up.status().errnum(), "uplink: " + up.status().message());
    SOFTVF_RETURN_IF_ERROR(AttachHostPort(port, eswitch::PortId::Uplink(), std::move(up).value()));
  }
  if (port.host_netdev) {
    netdev::TapConfig cfg;
    cfg.name = port.netdev;
    cfg.mac = port.mac;
    cfg.mtu = port.mtu;
    auto tap = netdev::TapPort::Open(cfg);
    if (!tap.ok())
      return Status::Errno(tap.status().errnum(), "host netdev: " + tap.status().message());
    SOFTVF_RETURN_IF_ERROR(AttachHostPort(port, eswitch::PortId::PfHost(), std::move(tap).value()));
  }
  return Status::Ok();
}

Status Dataplane::Detach(Port& port, uint16_t vf) {
  if (!port.attachments.count(vf))
    return Status::Errno(ENODEV,
                         "VF " + std::to_string(vf) + " of " + port.netdev + " is not attached");
  const bool tap = port.attachments[vf].kind == VfAttachment::Kind::kTap;
  if (Worker* w = WorkerFor(port, false))
    w->Call([vf, tap](Worker& wk) {
      if (tap)
        wk.DetachHost(eswitch::PortId::Vf(vf));  // closing the TAP removes the netdev
      else
        wk.Detach(vf);
    });
  port.attachments.erase(vf);
  return card_.ReleaseVf(port, vf);
}

Status Dataplane::AttachConfigured() {
  for (Adapter& a : card_.adapters())
    for (Port& p : a.ports) {
      if (!p.static_fdb.empty() && !WorkerFor(p, true))
        return Status::Errno(EINVAL, p.netdev + ": cannot start its switch");
      if (Status st = StartHostPorts(p); !st.ok())
        return Status::Errno(st.errnum(), p.netdev + " " + st.message());
      std::map<uint16_t, VfAttachment> wanted;
      wanted.swap(p.attachments);
      for (auto& [vf, how] : wanted) {
        // The configuration assigned the VF to this same consumer already (viability
        // checked at load, with the file's line); assigning again is a no-op.
        Status st = Attach(p, vf, how);
        if (!st.ok())
          return Status::Errno(st.errnum(),
                               p.netdev + " vf " + std::to_string(vf) + ": " + st.message());
      }
    }
  return Status::Ok();
}

void Dataplane::PruneStaticFdb(Port& port) {
  const uint16_t n = port.pf->host().num_vfs;
  auto gone = [n](const StaticFdbEntry& e) {
    return e.target == StaticFdbEntry::Target::kVf && e.vf >= n;
  };
  if (std::none_of(port.static_fdb.begin(), port.static_fdb.end(), gone)) return;
  if (Worker* w = WorkerFor(port, false))
    w->Call([&](Worker& wk) {
      for (const StaticFdbEntry& e : port.static_fdb)
        if (gone(e)) wk.veb().fdb().FlushPort(FdbPort(e), false);
    });
  std::erase_if(port.static_fdb, gone);
}

void Dataplane::PolicyChanged(Port& port) {
  PruneStaticFdb(port);
  Worker* w = WorkerFor(port, false);
  if (!w) return;
  std::vector<VfConfig> vfs = VfConfigs(port);
  const size_t n = port.pf->host().num_vfs;
  w->Call([&](Worker& wk) { wk.SetVfPolicies(std::move(vfs), n, PfVlan(port)); });
}

nlohmann::json Dataplane::Stats(const Port& port) {
  nlohmann::json out = nlohmann::json::array();
  Worker* w = WorkerFor(port, false);
  uint16_t n = port.pf->host().num_vfs;
  auto fill = [&](Worker* wk) {
    for (uint16_t vf = 0; vf < n; ++vf) {
      nlohmann::json s;
      s["vf"] = vf;
      nlohmann::json c = nlohmann::json::object();
      if (wk) {
        eswitch::VisitCounters(wk->veb().counters(eswitch::PortId::Vf(vf)),
                               [&](const char* name, uint64_t v) { c[name] = v; });
        if (netdev::HostPort* h = wk->host_port(eswitch::PortId::Vf(vf))) {
          c["tap_link_up"] = h->link().up() ? 1 : 0;
          h->counters().ForEach(
              [&](const char* name, uint64_t v) { c[std::string("tap_") + name] = v; });
        }
        if (VfPort* p = wk->port(vf)) {
          const VfPortStats& ps = p->stats();
          c["vhost_connected"] = p->connected() ? 1 : 0;
          c["vhost_connects"] = ps.connects;
          c["vhost_disconnects"] = ps.disconnects;
          c["vhost_protocol_errors"] = ps.protocol_errors;
          c["vhost_queue_errors"] = ps.queue_errors;
          c["vhost_tx_bad_buffers"] = ps.tx_bad_buffers;
        }
      }
      s["counters"] = c;
      out.push_back(s);
    }
  };
  if (w)
    w->Call([&](Worker& wk) { fill(&wk); });
  else
    fill(nullptr);
  return out;
}

nlohmann::json Dataplane::HostPortStats(const Port& port, eswitch::PortId id) {
  nlohmann::json out;
  if (Worker* w = WorkerFor(port, false))
    w->Call([&](Worker& wk) {
      netdev::HostPort* h = wk.host_port(id);
      if (!h) return;
      nlohmann::json c = nlohmann::json::object();
      eswitch::VisitCounters(wk.veb().counters(id),
                             [&](const char* name, uint64_t v) { c[name] = v; });
      c["link_up"] = h->link().up() ? 1 : 0;
      h->counters().ForEach(
          [&](const char* name, uint64_t v) { c[std::string(h->kind()) + "_" + name] = v; });
      out = {{"name", h->name()}, {"kind", std::string(h->kind())}, {"counters", c}};
    });
  return out;
}

nlohmann::json Dataplane::PfHostCounters(const Port& port) {
  nlohmann::json c = nlohmann::json::object();
  if (Worker* w = WorkerFor(port, false))
    w->Call([&](Worker& wk) {
      eswitch::VisitCounters(wk.veb().counters(eswitch::PortId::PfHost()),
                             [&](const char* name, uint64_t v) { c[name] = v; });
    });
  return c;
}

Status Dataplane::FdbAdd(Port& port, const StaticFdbEntry& entry, bool replace) {
  if (entry.vlan >= 4095 || (entry.vlan_proto != kEthP8021Q && entry.vlan_proto != kEthP8021AD))
    return Status::Errno(EINVAL, "invalid vlan id");
  const uint16_t n = port.pf->host().num_vfs;
  if (entry.target == StaticFdbEntry::Target::kVf && entry.vf >= n)
    return Status::Errno(ENODEV, port.netdev + " has no VF " + std::to_string(entry.vf) +
                                     " (numvfs is " + std::to_string(n) + ")");
  Worker* w = WorkerFor(port, true);
  if (!w) return Status::Errno(EINVAL, "no switch for " + port.netdev);
  Status st;
  w->Call([&](Worker& wk) {
    st = wk.veb().AddStatic(FdbVlan(entry), entry.mac, FdbPort(entry), MonotonicNs(), replace);
  });
  if (!st.ok()) return st;
  auto same = [&](const StaticFdbEntry& e) { return e.SameKey(entry); };
  auto it = std::find_if(port.static_fdb.begin(), port.static_fdb.end(), same);
  if (it != port.static_fdb.end())
    *it = entry;
  else
    port.static_fdb.push_back(entry);
  return Status::Ok();
}

Status Dataplane::FdbDel(Port& port, const StaticFdbEntry& key, bool match_target) {
  if (key.vlan >= 4095) return Status::Errno(EINVAL, "invalid vlan id");
  Worker* w = WorkerFor(port, false);
  Status st = Status::Errno(ENOENT, "fdb: no entry for " + key.mac.ToString());
  if (w)
    w->Call([&](Worker& wk) {
      eswitch::Fdb& fdb = wk.veb().fdb();
      const uint64_t now = MonotonicNs();
      if (match_target && fdb.Lookup(FdbVlan(key), key.mac, now) != FdbPort(key)) return;
      st = fdb.Remove(FdbVlan(key), key.mac, now);
    });
  if (st.ok())
    std::erase_if(port.static_fdb, [&](const StaticFdbEntry& e) { return e.SameKey(key); });
  return st;
}

nlohmann::json Dataplane::FdbShow(const Port& port) {
  using nlohmann::json;
  json out;
  out["dev"] = port.netdev;
  std::vector<eswitch::FdbEntry> entries;
  eswitch::FdbStats stats;
  uint32_t capacity = std::min(port.pf->profile().mac_filters, eswitch::Fdb::kMaxCapacity);
  uint64_t aging_ns = eswitch::Fdb::kDefaultAgingNs;
  uint64_t now = MonotonicNs();
  if (Worker* w = WorkerFor(port, false))
    w->Call([&](Worker& wk) {
      const eswitch::Fdb& fdb = wk.veb().fdb();
      now = MonotonicNs();
      entries = fdb.Entries(now);
      stats = fdb.stats();
      capacity = fdb.capacity();
      aging_ns = fdb.aging_ns();
    });
  std::sort(entries.begin(), entries.end(),
            [](const eswitch::FdbEntry& a, const eswitch::FdbEntry& b) {
              return std::tuple(a.port, a.vlan.raw(), a.mac.bytes()) <
                     std::tuple(b.port, b.vlan.raw(), b.mac.bytes());
            });
  json list = json::array();
  uint32_t statics = 0;
  for (const eswitch::FdbEntry& e : entries) {
    json j;
    j["mac"] = e.mac.ToString();
    j["vlan"] = e.vlan.vid();
    if (e.vlan.is_service()) j["vlan_protocol"] = "802.1ad";
    j["port"] = eswitch::PortName(e.port);
    if (e.port.is_vf()) j["vf"] = e.port.vf_index();
    j["state"] = e.is_static ? "static" : "learned";
    if (!e.is_static)
      j["age"] = (now > e.last_seen_ns ? now - e.last_seen_ns : 0) / 1'000'000'000ull;
    statics += e.is_static;
    list.push_back(j);
  }
  out["capacity"] = capacity;
  out["used"] = entries.size();
  out["static"] = statics;
  out["learned"] = entries.size() - statics;
  out["aging_time"] = aging_ns / 1'000'000'000ull;
  out["stats"] = json{{"learned", stats.learned},
                      {"moved", stats.moved},
                      {"learn_full", stats.learn_full},
                      {"static_hold", stats.static_hold},
                      {"aged", stats.aged}};
  out["entries"] = list;
  return out;
}

}  // namespace softvf
