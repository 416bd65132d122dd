#include "daemon/dataplane.h"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <tuple>

#include "daemon/netdevs.h"
#include "eswitch/counters.h"
#include "eswitch/policy.h"

namespace softvf {

namespace {

eswitch::VlanId FdbVlan(const StaticFdbEntry& e) {
  return e.vlan_proto == kEthP8021AD ? eswitch::VlanId::Service(e.vlan)
                                     : eswitch::VlanId::Customer(e.vlan);
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

std::shared_ptr<const eswitch::PolicyTable> Dataplane::Policies(const Port& port) const {
  std::vector<VfConfig> vfs;
  for (const VirtualFunction& vf : port.pf->vfs()) vfs.push_back(vf.settings());
  // No wire yet (issue 4): the uplink's carrier counts as up, so link-state auto is up.
  auto table = eswitch::PolicyTable::ForPf(true, true, vfs, port.pf->host().num_vfs);
  return table.ok() ? *table : nullptr;
}

Worker* Dataplane::WorkerFor(const Port& port, bool create) {
  auto it = workers_.find(&port);
  if (it != workers_.end()) return it->second.get();
  if (!create) return nullptr;
  auto policies = Policies(port);
  if (!policies) return nullptr;
  eswitch::Veb::Options options;
  options.fdb_capacity = port.pf->profile().mac_filters;
  // The PF's transmit capacity, shared under contention with min_tx_rate guarantees.
  options.link_speed_mbps = port.pf->profile().driver.link_speed_mbps;
  auto worker = std::make_unique<Worker>(policies, options);
  // The port's static entries, before the thread runs (Call runs them here and now). They
  // were checked when added (CLI) or loaded (file, against the table size), so they fit.
  worker->Call([&](Worker& w) {
    uint64_t now = MonotonicNs();
    for (const StaticFdbEntry& e : port.static_fdb)
      (void)w.veb().AddStatic(FdbVlan(e), e.mac, FdbPort(e), now, true);
  });
  worker->Start();
  return (workers_[&port] = std::move(worker)).get();
}

Status Dataplane::Attach(Port& port, uint16_t vf, const VhostUserAttachment& how) {
  PhysicalFunction& pf = *port.pf;
  if (vf >= pf.host().num_vfs)
    return Status::Errno(ENODEV, port.netdev + " has no VF " + std::to_string(vf) + " (numvfs is " +
                                     std::to_string(pf.host().num_vfs) + ")");
  if (port.attachments.count(vf))
    return Status::Errno(
        EBUSY, "VF " + std::to_string(vf) + " is already attached to " + port.attachments[vf].path);
  SOFTVF_RETURN_IF_ERROR(card_.AssignVf(port, vf, "vhost-user:" + how.path));
  const DeviceProfile& profile = pf.profile();
  vhost_user::BackendOptions options;
  options.queue_pairs = std::min<int>(profile.queues_per_vf, vhost_user::kMaxQueuePairs);
  options.mac = VfNetdevs::NetdevMac(port, vf, 0);
  options.mtu = static_cast<uint16_t>(port.mtu);
  auto vp = std::make_unique<VfPort>(
      how.path, how.server ? vhost_user::Mode::kServer : vhost_user::Mode::kClient, options);
  Status st = vp->Open();
  Worker* worker = st.ok() ? WorkerFor(port, true) : nullptr;
  if (st.ok() && !worker) st = Status::Errno(EINVAL, "no switch for " + port.netdev);
  if (st.ok()) worker->Call([&](Worker& w) { st = w.Attach(vf, std::move(vp)); });
  if (!st.ok()) {
    card_.ReleaseVf(port, vf);
    return st;
  }
  port.attachments[vf] = how;
  PolicyChanged(port);
  return Status::Ok();
}

Status Dataplane::Detach(Port& port, uint16_t vf) {
  if (!port.attachments.count(vf))
    return Status::Errno(ENODEV,
                         "VF " + std::to_string(vf) + " of " + port.netdev + " is not attached");
  if (Worker* w = WorkerFor(port, false)) w->Call([vf](Worker& wk) { wk.Detach(vf); });
  port.attachments.erase(vf);
  return card_.ReleaseVf(port, vf);
}

Status Dataplane::AttachConfigured() {
  for (Adapter& a : card_.adapters())
    for (Port& p : a.ports) {
      if (!p.static_fdb.empty() && !WorkerFor(p, true))
        return Status::Errno(EINVAL, p.netdev + ": cannot start its switch");
      std::map<uint16_t, VhostUserAttachment> wanted;
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
  auto policies = Policies(port);
  if (!policies) return;
  w->Call([&](Worker& wk) { (void)wk.veb().SetPolicies(policies, MonotonicNs()); });
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
        if (VfPort* p = wk->port(vf)) {
          const VfPortStats& ps = p->stats();
          c["vhost_connected"] = p->connected() ? 1 : 0;
          c["vhost_connects"] = ps.connects;
          c["vhost_disconnects"] = ps.disconnects;
          c["vhost_protocol_errors"] = ps.protocol_errors;
          c["vhost_queue_errors"] = ps.queue_errors;
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
